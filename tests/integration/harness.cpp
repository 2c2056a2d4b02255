// Integration-test harness: process control, the blocking HTTP client (Beast over an io_context
// run to completion per operation, so every read and write has a deadline), and config building.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "harness.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

extern char** environ;

namespace switchyard::itest {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// A write to a socket the server already closed must fail with EPIPE, not kill the test.
[[maybe_unused]] const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::mutex registry_mutex;
std::set<process*>& registry() {
  static std::set<process*> live;
  return live;
}

std::string tail(const std::string& text, std::size_t max = 6000) {
  if (text.size() <= max) return text;
  return "…" + text.substr(text.size() - max);
}

[[noreturn]] void fail(const std::string& what) {
  std::string logs = live_process_logs();
  throw std::runtime_error(logs.empty() ? what : what + "\n" + logs);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Prints the logs of every live child process once per test case, at its first failure.
class failure_reporter : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    dumped_ = false;
    TestEventListenerBase::testCaseStarting(info);
  }

  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk() && !dumped_) {
      dumped_ = true;
      std::string logs = live_process_logs();
      if (!logs.empty())
        std::cerr << "---- child process logs at the first failure ----\n" << logs << std::flush;
    }
    return TestEventListenerBase::assertionEnded(stats);
  }

 private:
  bool dumped_ = false;
};

}  // namespace

CATCH_REGISTER_LISTENER(failure_reporter)

// ---------------------------------------------------------------------------------------------
// temp_dir

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/switchyard-itest-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  path_ = templ;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path temp_dir::write(const std::string& name, std::string_view content) const {
  fs::path p = path_ / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
  return p;
}

// ---------------------------------------------------------------------------------------------
// process

process::process(std::string name, std::vector<std::string> argv, fs::path stderr_file)
    : name_(std::move(name)), stderr_file_(std::move(stderr_file)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // Sockets the test holds open (Asio does not mark them close-on-exec) must not leak into the
  // child, or a "disconnected" client would stay connected through it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  stdout_fd_ = fds[0];
  drainer_ = std::thread([this] { drain_stdout(); });
  std::lock_guard lock(registry_mutex);
  registry().insert(this);
}

process::~process() {
  {
    std::lock_guard lock(registry_mutex);
    registry().erase(this);
  }
  stop();
  if (drainer_.joinable()) drainer_.join();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

// The condition variable lives outside the class so the header needs no <condition_variable>.
namespace {
std::condition_variable_any& stdout_cv() {
  static std::condition_variable_any cv;
  return cv;
}
}  // namespace

void process::drain_stdout() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      stdout_eof_ = true;
      stdout_cv().notify_all();
      return;
    }
    stdout_.append(buf, static_cast<std::size_t>(n));
    stdout_cv().notify_all();
  }
}

std::string process::first_line(ms timeout) {
  std::unique_lock lock(mutex_);
  bool got = stdout_cv().wait_for(
      lock, timeout, [&] { return stdout_.find('\n') != std::string::npos || stdout_eof_; });
  auto nl = stdout_.find('\n');
  if (got && nl != std::string::npos) return stdout_.substr(0, nl);
  std::string out = stdout_;
  lock.unlock();
  std::string why = got ? "exited (stdout closed) before printing its first line"
                        : "printed no first line within " + std::to_string(timeout.count()) + " ms";
  throw std::runtime_error(name_ + " " + why + "\nstdout: " + tail(out) +
                           "\nstderr: " + tail(stderr_text()));
}

bool process::try_reap(bool block) {
  if (exit_code_) return true;
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) {
    exit_code_ = -1;
    return true;
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

void process::signal(int sig) {
  if (!try_reap(false)) ::kill(pid_, sig);
}

std::optional<int> process::wait_exit(ms timeout) {
  if (eventually([&] { return try_reap(false); }, timeout, 5ms)) return exit_code_;
  return std::nullopt;
}

bool process::running() {
  return !try_reap(false);
}

void process::stop(ms grace) {
  if (try_reap(false)) return;
  ::kill(pid_, SIGTERM);
  if (wait_exit(grace)) return;
  ::kill(pid_, SIGKILL);
  try_reap(true);
}

std::string process::stderr_text() const {
  return read_file(stderr_file_);
}

bool process::wait_stdout_closed(ms timeout) {
  std::unique_lock lock(mutex_);
  return stdout_cv().wait_for(lock, timeout, [&] { return stdout_eof_; });
}

std::string process::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string live_process_logs() {
  std::lock_guard lock(registry_mutex);
  std::string out;
  for (process* p : registry()) {
    out += "==== " + p->name() + " (pid " + std::to_string(p->pid()) + ") stdout ====\n" +
           tail(p->stdout_text(), 3000);
    out += "\n==== " + p->name() + " stderr ====\n" + tail(p->stderr_text()) + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP

std::string http_response::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool http_response::has_header(std::string_view name) const {
  return headers.count(lower(name)) > 0;
}

rapidjson::Document http_response::json() const {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  return doc;
}

namespace {

// One connection whose every operation runs the io_context to completion; the tcp_stream's
// expiry bounds each operation.
struct connection {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  void run() {
    ioc.restart();
    ioc.run();
  }

  beast::error_code connect(std::uint16_t port, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port),
                         [&](beast::error_code ec) { result = ec; });
    run();
    return result;
  }

  beast::error_code write_bytes(std::string_view bytes, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    net::async_write(stream, net::buffer(bytes.data(), bytes.size()),
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  template <class Message>
  beast::error_code write(Message& msg, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    http::async_write(stream, msg, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  template <class Parser>
  beast::error_code read(Parser& parser, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    http::async_read(stream, buffer, parser,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  template <class Parser>
  beast::error_code read_header(Parser& parser, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    http::async_read_header(stream, buffer, parser,
                            [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  template <class Parser>
  beast::error_code read_some(Parser& parser, ms timeout) {
    beast::error_code result;
    stream.expires_after(timeout);
    http::async_read_some(stream, buffer, parser,
                          [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  bool readable(ms timeout) {
    if (buffer.size() > 0) return true;
    pollfd p{stream.socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }
};

http::request<http::string_body> make_request(std::string_view method, std::string_view target,
                                              std::string_view body, const header_list& headers,
                                              std::uint16_t port) {
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(method);
  req.target(target);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "switchyard-itest");
  for (auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  return req;
}

template <class Fields>
void copy_headers(const Fields& fields, std::multimap<std::string, std::string>& out) {
  for (const auto& f : fields) out.emplace(lower(f.name_string()), std::string(f.value()));
}

http_response to_response(http::response_parser<http::string_body>& parser) {
  http_response r;
  auto& msg = parser.get();
  r.status = msg.result_int();
  copy_headers(msg.base(), r.headers);
  r.body = msg.body();
  return r;
}

std::string describe(std::string_view what, std::uint16_t port, const beast::error_code& ec) {
  return std::string(what) + " (127.0.0.1:" + std::to_string(port) + "): " + ec.message();
}

}  // namespace

http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::string_view body, const header_list& headers, ms timeout) {
  connection c;
  if (auto ec = c.connect(port, timeout)) fail(describe("connect", port, ec));
  auto req = make_request(method, target, body, headers, port);
  if (auto ec = c.write(req, timeout)) fail(describe("write " + std::string(target), port, ec));
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (auto ec = c.read(parser, timeout))
    fail(describe("read response to " + std::string(method) + " " + std::string(target), port, ec));
  return to_response(parser);
}

header_list json_headers(std::string_view api_key) {
  header_list h{{"Content-Type", "application/json"}};
  if (!api_key.empty()) h.emplace_back("Authorization", "Bearer " + std::string(api_key));
  return h;
}

http_response post_json(std::uint16_t port, std::string_view target, std::string_view body,
                        std::string_view api_key, ms timeout) {
  return http_request(port, "POST", target, body, json_headers(api_key), timeout);
}

http_response get(std::uint16_t port, std::string_view target, std::string_view api_key,
                  ms timeout) {
  header_list h;
  if (!api_key.empty()) h.emplace_back("Authorization", "Bearer " + std::string(api_key));
  return http_request(port, "GET", target, {}, h, timeout);
}

// ---------------------------------------------------------------------------------------------
// sse_stream

struct sse_stream::impl {
  std::uint16_t port = 0;
  connection conn;
  http::response_parser<http::string_body> parser;
  std::size_t consumed = 0;  // body bytes already handed to the splitter
  std::string pending;       // a partial line
  std::string data;          // data of the event being assembled
  bool has_data = false;
  std::vector<std::string> events;
  std::size_t next_event = 0;
  bool event_stream = false;
  std::string end_reason;
  std::string body;  // non-stream answers

  // A minimal, independent SSE splitter: the gateway's own parser is under test, so not used.
  void take_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data) events.push_back(data);
      data.clear();
      has_data = false;
      return;
    }
    if (line.front() == ':') return;
    if (line.substr(0, 5) == "data:") {
      std::string_view v = line.substr(5);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (has_data) data += '\n';
      data.append(v);
      has_data = true;
    }
  }

  void feed_new_body() {
    const std::string& b = parser.get().body();
    if (b.size() <= consumed) return;
    pending.append(b, consumed, std::string::npos);
    consumed = b.size();
    std::size_t start = 0;
    for (;;) {
      auto nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      take_line(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  }
};

sse_stream::sse_stream(std::uint16_t port, std::string_view target, std::string_view body,
                       std::string_view api_key, ms timeout)
    : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->parser.body_limit(boost::none);
  auto& c = impl_->conn;
  if (auto ec = c.connect(port, timeout)) fail(describe("connect", port, ec));
  auto headers = json_headers(api_key);
  headers.emplace_back("Accept", "text/event-stream");
  auto req = make_request("POST", target, body, headers, port);
  if (auto ec = c.write(req, timeout)) fail(describe("write stream request", port, ec));
  if (auto ec = c.read_header(impl_->parser, timeout))
    fail(describe("read stream response head", port, ec));
  auto ct = std::string(impl_->parser.get()[http::field::content_type]);
  impl_->event_stream = lower(ct).find("text/event-stream") != std::string::npos;
  if (!impl_->event_stream) {
    if (auto ec = c.read(impl_->parser, timeout)) fail(describe("read non-stream body", port, ec));
    impl_->body = impl_->parser.get().body();
    impl_->end_reason = "complete";
  }
}

sse_stream::~sse_stream() = default;

unsigned sse_stream::status() const {
  return impl_->parser.get().result_int();
}

std::string sse_stream::header(std::string_view name) const {
  return std::string(impl_->parser.get()[boost::beast::string_view(name.data(), name.size())]);
}

const std::string& sse_stream::body() const {
  return impl_->body;
}
bool sse_stream::is_event_stream() const {
  return impl_->event_stream;
}
const std::string& sse_stream::end_reason() const {
  return impl_->end_reason;
}

std::optional<std::string> sse_stream::next(ms timeout) {
  auto& s = *impl_;
  const auto deadline = steady::now() + timeout;
  for (;;) {
    if (s.next_event < s.events.size()) return s.events[s.next_event++];
    if (!s.end_reason.empty()) return std::nullopt;
    if (s.parser.is_done()) {
      s.end_reason = "complete";
      continue;
    }
    auto left = std::chrono::duration_cast<ms>(deadline - steady::now());
    if (left <= ms(0)) fail("no SSE event within " + std::to_string(timeout.count()) + " ms");
    auto ec = s.conn.read_some(s.parser, left);
    s.feed_new_body();
    if (ec == beast::error::timeout) {
      fail("no SSE event within " + std::to_string(timeout.count()) + " ms");
    } else if (ec == http::error::end_of_stream || ec == net::error::eof ||
               ec == http::error::partial_message) {
      s.end_reason = "eof";
    } else if (ec) {
      s.end_reason = "error: " + ec.message();
    } else if (s.parser.is_done()) {
      s.end_reason = "complete";
    }
    if (!s.end_reason.empty() && s.has_data) {
      // An event without its blank line before the end: hand it out so the test can judge it.
      s.events.push_back(s.data);
      s.has_data = false;
    }
  }
}

std::vector<std::string> sse_stream::rest(ms timeout) {
  std::vector<std::string> out;
  while (auto e = next(timeout)) out.push_back(std::move(*e));
  return out;
}

void sse_stream::disconnect() {
  beast::error_code ec;
  impl_->conn.stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->conn.stream.socket().close(ec);
  if (impl_->end_reason.empty()) impl_->end_reason = "disconnected";
}

// ---------------------------------------------------------------------------------------------
// raw_connection

struct raw_connection::impl {
  connection conn;
};

raw_connection::raw_connection(std::uint16_t port) : impl_(std::make_unique<impl>()) {
  if (auto ec = impl_->conn.connect(port, default_timeout)) fail(describe("connect", port, ec));
}

raw_connection::~raw_connection() = default;

bool raw_connection::send(std::string_view bytes) {
  return !impl_->conn.write_bytes(bytes, default_timeout);
}

bool raw_connection::readable(ms timeout) {
  return impl_->conn.readable(timeout);
}

http_response raw_connection::read_response(ms timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (auto ec = impl_->conn.read(parser, timeout)) fail("read raw response: " + ec.message());
  return to_response(parser);
}

bool raw_connection::closed_by_peer(ms timeout) {
  auto& c = impl_->conn;
  const auto deadline = steady::now() + timeout;
  char buf[4096];
  c.buffer.consume(c.buffer.size());
  for (;;) {
    auto left = std::chrono::duration_cast<ms>(deadline - steady::now());
    if (left <= ms(0)) return false;
    beast::error_code result;
    std::size_t n = 0;
    c.stream.expires_after(left);
    c.stream.async_read_some(net::buffer(buf), [&](beast::error_code ec, std::size_t got) {
      result = ec;
      n = got;
    });
    c.run();
    if (result == beast::error::timeout) return false;
    if (result) return true;  // eof, reset: closed either way
    (void)n;
  }
}

bool can_connect(std::uint16_t port) {
  connection c;
  return !c.connect(port, 3s);
}

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot bind a free loopback port");
  return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------------------------------------
// processes under test

std::uint16_t parse_listen_line(const std::string& line, std::string_view prefix) {
  if (line.rfind(prefix, 0) != 0)
    throw std::runtime_error("unexpected first line: '" + line + "', want '" + std::string(prefix) +
                             "HOST:PORT'");
  auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < prefix.size())
    throw std::runtime_error("no port in first line: '" + line + "'");
  std::string digits = line.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    throw std::runtime_error("bad port in first line: '" + line + "'");
  int port = std::stoi(digits);
  if (port <= 0 || port > 65535) throw std::runtime_error("bad port in first line: '" + line + "'");
  return static_cast<std::uint16_t>(port);
}

mock_provider::mock_provider(const temp_dir& dir, std::string name, const mock_options& o)
    : name_(std::move(name)) {
  std::vector<std::string> argv{MOCK_PROVIDER_BINARY, "--listen", "127.0.0.1:0"};
  auto opt = [&](const char* flag, auto v) {
    if (v) {
      std::ostringstream ss;
      ss << *v;
      argv.push_back(flag);
      argv.push_back(ss.str());
    }
  };
  opt("--latency-ms", o.latency_ms_);
  opt("--ttft-ms", o.ttft_ms_);
  opt("--tokens-per-second", o.tokens_per_second_);
  opt("--reply-tokens", o.reply_tokens_);
  opt("--seed", o.seed_);
  for (auto& f : o.faults_) {
    argv.push_back("--fault");
    argv.push_back(f);
  }
  if (!o.api_key_.empty()) {
    argv.push_back("--api-key");
    argv.push_back(o.api_key_);
  }
  for (auto& a : o.extra_args_) argv.push_back(a);
  // Verbose logs cost little and explain failures (they are printed when a test fails).
  if (std::find(argv.begin(), argv.end(), "--verbose") == argv.end()) argv.push_back("--verbose");
  proc_ = std::make_unique<process>("mock_provider " + name_, argv,
                                    dir.path() / ("mock-" + name_ + ".stderr"));
  port_ = parse_listen_line(proc_->first_line(), "mock_provider listening on ");
}

std::string mock_provider::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

void mock_provider::set_faults(std::string_view rules_json) {
  auto r = http_request(port_, "POST", "/_mock/faults", rules_json,
                        {{"Content-Type", "application/json"}});
  if (r.status / 100 != 2)
    fail("mock " + name_ + " refused fault plan " + std::string(rules_json) + ": " +
         std::to_string(r.status) + " " + r.body);
}

void mock_provider::clear_faults() {
  auto r = http_request(port_, "DELETE", "/_mock/faults");
  if (r.status / 100 != 2)
    fail("mock " + name_ + " refused to clear faults: " + std::to_string(r.status) + " " + r.body);
}

rapidjson::Document mock_provider::stats() {
  auto r = get(port_, "/_mock/stats");
  auto doc = r.json();
  if (r.status != 200 || doc.HasParseError() || !doc.IsObject())
    fail("mock " + name_ + " stats: " + std::to_string(r.status) + " " + r.body);
  return doc;
}

std::uint64_t mock_provider::requests_total() {
  // The mock's own `requests_total` counts admin calls (this one included): sum the API routes.
  auto doc = stats();
  std::uint64_t total = 0;
  for (const char* path : {"routes/chat_completions", "routes/embeddings", "routes/models",
                           "routes/messages", "routes/generate_content"}) {
    auto* v = json_at(doc, path);
    if (!v || !v->IsUint64()) fail("mock " + name_ + " stats lack " + path);
    total += v->GetUint64();
  }
  return total;
}

gateway::gateway(const temp_dir& dir, const std::string& yaml) {
  auto cfg = dir.write("switchyard.yaml", yaml);
  proc_ = std::make_unique<process>(
      "switchyard", std::vector<std::string>{SWITCHYARD_BINARY, "--config", cfg.string()},
      dir.path() / "switchyard.stderr");
  try {
    port_ = parse_listen_line(proc_->first_line(), "switchyard listening on ");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + "\nconfig:\n" + yaml);
  }
}

int check_config(const temp_dir& dir, const std::string& yaml, std::string* output) {
  auto cfg = dir.write("check.yaml", yaml);
  process p("switchyard --check-config", {SWITCHYARD_BINARY, "--check-config", cfg.string()},
            dir.path() / "check.stderr");
  auto code = p.wait_exit(default_timeout);
  if (!code) fail("switchyard --check-config did not exit");
  if (output) {
    // The stdout drainer may still be reading the last bytes: wait for its EOF.
    p.wait_stdout_closed(default_timeout);
    *output = p.stdout_text() + p.stderr_text();
  }
  return *code;
}

// ---------------------------------------------------------------------------------------------
// config

config_builder& config_builder::server(std::string key, std::string value) {
  server_.emplace_back(std::move(key), std::move(value));
  return *this;
}

config_builder& config_builder::provider(
    std::string name, std::string base_url,
    std::vector<std::pair<std::string, std::string>> settings) {
  providers_.push_back(
      {std::move(name), "openai-compatible", std::move(base_url), std::move(settings), {}});
  return *this;
}

config_builder& config_builder::tenant(std::string name, std::string key) {
  tenants_.emplace_back(std::move(name), std::move(key));
  return *this;
}

config_builder& config_builder::itest_setting(std::string key, std::string value) {
  itest_settings_.emplace_back(std::move(key), std::move(value));
  return *this;
}

config_builder& config_builder::counters(std::string url) {
  counters_ = std::move(url);
  return *this;
}

config_builder& config_builder::typed_provider(
    std::string name, std::string type, std::string base_url,
    std::vector<std::pair<std::string, std::string>> settings) {
  providers_.push_back(
      {std::move(name), std::move(type), std::move(base_url), std::move(settings), {}});
  return *this;
}

config_builder& config_builder::mock_provider(
    std::string name, std::vector<std::pair<std::string, std::string>> mock_settings) {
  providers_.push_back({std::move(name), "mock", {}, {}, std::move(mock_settings)});
  return *this;
}

config_builder& config_builder::model(std::string name,
                                      std::vector<std::pair<std::string, std::string>> targets,
                                      std::optional<int> max_attempts) {
  models_.push_back({std::move(name), std::move(targets), max_attempts});
  return *this;
}

config_builder& config_builder::model_setting(std::string key, std::string value) {
  if (models_.empty()) throw std::logic_error("model_setting before any model");
  models_.back().settings.emplace_back(std::move(key), std::move(value));
  return *this;
}

namespace {

using kv_list = std::vector<std::pair<std::string, std::string>>;

// Writes `defaults` overridden (and extended) by `overrides`, each as `indent key: value`.
void emit(std::ostringstream& out, const std::string& indent, const kv_list& defaults,
          const kv_list& overrides) {
  for (auto& [k, v] : defaults) {
    auto it =
        std::find_if(overrides.begin(), overrides.end(), [&](auto& o) { return o.first == k; });
    out << indent << k << ": " << (it == overrides.end() ? v : it->second) << "\n";
  }
  for (auto& [k, v] : overrides) {
    auto it = std::find_if(defaults.begin(), defaults.end(), [&](auto& d) { return d.first == k; });
    if (it == defaults.end()) out << indent << k << ": " << v << "\n";
  }
}

}  // namespace

std::string config_builder::render(const temp_dir& dir) const {
  std::ostringstream out;
  out << "# written by the integration harness\n";
  out << "server:\n";
  emit(out, "  ",
       {{"listen", "127.0.0.1:0"},
        {"read_timeout_ms", "5000"},
        {"drain_timeout_ms", "10000"},
        {"io_threads", "2"},
        {"actor_threads", "2"},
        {"spool_dir", (dir.path() / "spool").string()}},
       server_);
  out << "storage: sqlite://" << (dir.path() / "switchyard.db").string() << "\n";
  out << "counters: " << counters_ << "\n";
  out << "providers:\n";
  for (auto& p : providers_) {
    out << "  - name: " << p.name << "\n";
    out << "    type: " << p.type << "\n";
    if (p.type == "mock") {
      if (!p.mock.empty()) {
        out << "    mock:\n";
        emit(out, "      ", {}, p.mock);
      }
      continue;
    }
    out << "    base_url: " << p.base_url << "\n";
    emit(out, "    ",
         {{"api_key", "sk-upstream-itest"},
          {"connect_timeout_ms", "1000"},
          {"first_byte_timeout_ms", "5000"},
          {"idle_timeout_ms", "5000"},
          {"total_timeout_ms", "30000"}},
         p.settings);
  }
  out << "models:\n";
  for (auto& m : models_) {
    out << "  - name: " << m.name << "\n";
    if (m.max_attempts) out << "    max_attempts: " << *m.max_attempts << "\n";
    emit(out, "    ", {}, m.settings);
    out << "    targets:\n";
    for (auto& [prov, upstream] : m.targets) {
      out << "      - provider: " << prov << "\n";
      out << "        model: " << upstream << "\n";
    }
  }
  out << "tenants:\n";
  out << "  - name: itest\n";
  emit(out, "    ", {}, itest_settings_);
  out << "    keys:\n";
  out << "      - " << test_key << "\n";
  for (auto& [name, key] : tenants_) {
    out << "  - name: " << name << "\n";
    out << "    keys:\n";
    out << "      - " << key << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

std::string chat_body(std::string_view model, bool stream, std::string_view extra) {
  std::string body = R"({"model":")" + std::string(model) +
                     R"(","messages":[{"role":"user","content":"Say hello."}])";
  if (stream) body += R"(,"stream":true)";
  if (!extra.empty()) {
    body += ',';
    body.append(extra);
  }
  body += '}';
  return body;
}

const rapidjson::Value* json_at(const rapidjson::Value& doc, std::string_view path) {
  const rapidjson::Value* v = &doc;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string part(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (v->IsObject()) {
      auto it = v->FindMember(part.c_str());
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      if (part.empty() || !std::all_of(part.begin(), part.end(), ::isdigit)) return nullptr;
      auto i = static_cast<rapidjson::SizeType>(std::stoul(part));
      if (i >= v->Size()) return nullptr;
      v = &(*v)[i];
    } else {
      return nullptr;
    }
  }
  return v;
}

std::string json_string(const rapidjson::Value& doc, std::string_view path) {
  auto* v = json_at(doc, path);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

}  // namespace switchyard::itest
