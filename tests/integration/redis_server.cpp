#include "redis_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace switchyard::itest {

namespace fs = std::filesystem;

namespace {

// The child is started with execv (no $PATH search): resolve redis-server here.
std::string redis_server_binary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / "redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  throw std::runtime_error("redis-server not found in PATH");
}

}  // namespace

redis_server::redis_server(const temp_dir& dir)
    : data_dir_(dir.path() / "redis-data"), log_dir_(dir.path()), port_(free_loopback_port()) {
  fs::create_directories(data_dir_);
  start();
}

redis_server::~redis_server() {
  if (proc_) proc_->stop();
}

std::string redis_server::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_);
}

void redis_server::start() {
  if (proc_) throw std::logic_error("redis_server::start: already running");
  ++starts_;
  // The append-only file keeps the data across stop()/start(), as a production Redis with
  // persistence would; no RDB snapshots, no protected mode surprises on loopback.
  std::vector<std::string> argv{redis_server_binary(),
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--dir",
                                data_dir_.string(),
                                "--save",
                                "",
                                "--appendonly",
                                "yes",
                                "--appendfsync",
                                "always",
                                "--daemonize",
                                "no",
                                "--protected-mode",
                                "no",
                                "--logfile",
                                ""};
  proc_ = std::make_unique<process>(
      "redis-server", std::move(argv),
      log_dir_ / ("redis-" + std::to_string(port_) + "-" + std::to_string(starts_) + ".stderr"));
  if (!eventually([&] { return !proc_->running() || ping(200ms); })) {
    proc_.reset();
    throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                             " did not answer PING");
  }
  if (!proc_->running()) {
    auto log = proc_->stdout_text() + proc_->stderr_text();
    proc_.reset();
    throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                             " exited at start:\n" + log);
  }
}

void redis_server::stop() {
  if (!proc_) return;
  proc_->stop();
  proc_.reset();
}

void redis_server::kill() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  proc_->wait_exit(default_timeout);
  proc_.reset();
}

bool redis_server::ping(ms timeout) const {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
         std::string(reply->str, reply->len) == "PONG";
    if (reply) freeReplyObject(reply);
  }
  redisFree(c);
  return ok;
}

namespace {

std::string reply_text(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) out += '\n';
        out += reply_text(r->element[i]);
      }
      return out;
    }
    default:
      throw std::runtime_error("redis error reply: " + std::string(r->str, r->len));
  }
}

}  // namespace

std::string redis_server::query(const std::vector<std::string>& args) const {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeval{5, 0});
  if (c == nullptr || c->err != 0) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw std::runtime_error("cannot connect to redis on port " + std::to_string(port_) + ": " +
                             why);
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    std::string why = c->errstr;
    redisFree(c);
    throw std::runtime_error("redis command failed: " + why);
  }
  std::string out;
  try {
    out = reply_text(reply);
  } catch (...) {
    freeReplyObject(reply);
    redisFree(c);
    throw;
  }
  freeReplyObject(reply);
  redisFree(c);
  return out;
}

}  // namespace switchyard::itest
