#include "runtime/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace switchyard::runtime {

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string out;
  char buf[3];
  for (unsigned char b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

// Sends one command and reads its reply on a fresh context (connect-time AUTH and SELECT).
bool simple_command(redisContext* c, const std::vector<std::string>& args, std::string& error) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    error = c->errstr;
    return false;
  }
  const bool ok = reply->type != REDIS_REPLY_ERROR;
  if (!ok) error = std::string(reply->str, reply->len);
  freeReplyObject(reply);
  return ok;
}

}  // namespace

std::optional<double> redis_value::number_at(std::size_t i) const {
  if (type != kind::array || i >= elements.size()) return std::nullopt;
  const auto& e = elements[i];
  if (e.type == kind::integer) return static_cast<double>(e.integer);
  if (e.type != kind::string && e.type != kind::status) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(e.text.data(), e.text.data() + e.text.size(), v);
  if (ec != std::errc{} || end != e.text.data() + e.text.size()) return std::nullopt;
  return v;
}

redis_script::redis_script(std::string n, std::string src)
    : name(std::move(n)), source(std::move(src)), sha1(sha1_hex(source)) {}

redis_value to_value(const redisReply* r) {
  redis_value v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = redis_value::kind::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      v.type = redis_value::kind::string;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = redis_value::kind::status;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = redis_value::kind::error;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = redis_value::kind::array;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(to_value(r->element[i]));
      break;
    default:
      v.type = redis_value::kind::nil;
  }
  return v;
}

redisContext* redis_connect(const redis_endpoint& ep, std::chrono::milliseconds timeout,
                            std::string& error) {
  redisContext* c = redisConnectWithTimeout(ep.host.c_str(), ep.port, to_timeval(timeout));
  if (c == nullptr) {
    error = "cannot connect to redis at " + ep.where() + ": out of memory";
    return nullptr;
  }
  if (c->err != 0) {
    error = "cannot connect to redis at " + ep.where() + ": " + c->errstr;
    redisFree(c);
    return nullptr;
  }
  std::string why;
  if (redisSetTimeout(c, to_timeval(timeout)) != REDIS_OK) {
    error = "cannot set the redis timeout for " + ep.where();
    redisFree(c);
    return nullptr;
  }
  if (!ep.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!ep.user.empty()) auth.push_back(ep.user);
    auth.push_back(ep.password);
    if (!simple_command(c, auth, why)) {
      // The server's reason (WRONGPASS…) never echoes the password.
      error = "redis at " + ep.where() + " refused AUTH: " + why;
      redisFree(c);
      return nullptr;
    }
  }
  if (ep.db != 0 && !simple_command(c, {"SELECT", std::to_string(ep.db)}, why)) {
    error = "redis at " + ep.where() + " refused SELECT " + std::to_string(ep.db) + ": " + why;
    redisFree(c);
    return nullptr;
  }
  return c;
}

redis_client::redis_client(redis_endpoint ep, redis_client_options options, op_counter count)
    : ep_(std::move(ep)), options_(options), count_(std::move(count)) {}

redis_client::~redis_client() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

void redis_client::fail(std::string& error, std::string why) {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  up_ = false;
  backoff_ =
      backoff_.count() == 0 ? options_.backoff_min : std::min(backoff_ * 2, options_.backoff_max);
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
  error = std::move(why);
}

bool redis_client::ensure_connected(std::string& error) {
  if (ctx_ != nullptr) return true;
  if (std::chrono::steady_clock::now() < retry_at_) {
    error = "redis at " + ep_.where() + " is unreachable; retrying in the background";
    return false;
  }
  std::string why;
  ctx_ = redis_connect(ep_, options_.connect_timeout, why);
  if (ctx_ == nullptr) {
    fail(error, std::move(why));
    return false;
  }
  // Timeouts now apply per command.
  redisSetTimeout(ctx_, to_timeval(options_.command_timeout));
  return true;
}

std::optional<std::vector<redis_value>> redis_client::round_trip(
    const std::vector<std::vector<std::string>>& argvs, std::string& error) {
  if (!ensure_connected(error)) return std::nullopt;
  for (const auto& args : argvs) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      fail(error, "redis at " + ep_.where() + ": " + ctx_->errstr);
      return std::nullopt;
    }
  }
  std::vector<redis_value> out;
  out.reserve(argvs.size());
  for (std::size_t i = 0; i < argvs.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      fail(error, "redis at " + ep_.where() + ": " +
                      (ctx_->err == REDIS_ERR_IO && ctx_->errstr[0] == '\0'
                           ? std::string{"connection lost"}
                           : std::string{ctx_->errstr}));
      return std::nullopt;
    }
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(to_value(reply));
    freeReplyObject(reply);
  }
  up_ = true;
  backoff_ = std::chrono::milliseconds{0};
  return out;
}

std::optional<redis_value> redis_client::command(std::string_view op,
                                                 const std::vector<std::string>& args,
                                                 std::string& error) {
  if (count_) count_(op);
  auto replies = round_trip({args}, error);
  if (!replies) return std::nullopt;
  return std::move(replies->front());
}

std::optional<std::vector<redis_value>> redis_client::eval(const std::vector<redis_eval>& calls,
                                                           std::string& error) {
  auto argv_of = [](const redis_eval& c) {
    std::vector<std::string> a{"EVALSHA", c.script->sha1, std::to_string(c.keys.size())};
    a.insert(a.end(), c.keys.begin(), c.keys.end());
    a.insert(a.end(), c.args.begin(), c.args.end());
    return a;
  };
  std::vector<std::vector<std::string>> argvs;
  argvs.reserve(calls.size());
  for (const auto& c : calls) {
    if (count_) count_(c.script->name);
    argvs.push_back(argv_of(c));
  }
  auto replies = round_trip(argvs, error);
  if (!replies) return std::nullopt;
  // A server that restarted (or had its script cache flushed) does not know the scripts: load
  // each missing one once, then send its calls again.
  std::vector<const redis_script*> loaded;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& r = (*replies)[i];
    if (!r.is_error() || r.text.rfind("NOSCRIPT", 0) != 0) continue;
    const auto* script = calls[i].script;
    if (std::find(loaded.begin(), loaded.end(), script) == loaded.end()) {
      if (count_) count_("script_load");
      auto load = round_trip({{"SCRIPT", "LOAD", script->source}}, error);
      if (!load) return std::nullopt;
      if (load->front().is_error()) {
        error = "redis at " + ep_.where() + " refused the " + script->name +
                " script: " + load->front().text;
        return std::nullopt;
      }
      loaded.push_back(script);
    }
    if (count_) count_(script->name);
    auto again = round_trip({argv_of(calls[i])}, error);
    if (!again) return std::nullopt;
    r = std::move(again->front());
  }
  return replies;
}

}  // namespace switchyard::runtime
