// Integration-test harness: child processes (switchyard, mock_provider) on free loopback ports, a
// per-test temp dir, and a small blocking HTTP/1.1 client (whole responses, SSE streams, raw
// bytes).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::itest {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

/// Default deadline for anything that should happen "at once" on a healthy machine.
inline constexpr ms default_timeout = 10s;

/// Polls `cond` every few milliseconds until it holds or `timeout` passes; true when it held.
template <class F>
bool eventually(F&& cond, ms timeout = default_timeout, ms every = 10ms) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to `name` inside the directory; returns the full path.
  std::filesystem::path write(const std::string& name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

/// A child process with stdout piped (drained by a thread, so the child never blocks on it) and
/// stderr captured to a file. The destructor sends SIGTERM, then SIGKILL after a deadline, and
/// reaps. While alive it is registered so that a failing assertion prints its stderr.
class process {
 public:
  /// Starts `argv[0]` with `argv`; `name` labels it in messages; stderr goes to `stderr_file`.
  process(std::string name, std::vector<std::string> argv, std::filesystem::path stderr_file);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }

  /// The first stdout line (without the newline); throws if it does not come within `timeout`
  /// or the process exits first (the message carries the stderr tail).
  std::string first_line(ms timeout = default_timeout);

  /// Sends `sig` unless the process was already reaped.
  void signal(int sig);

  /// Waits for the process to exit. Returns its exit code, or 128+signal if a signal killed it;
  /// nullopt if it is still running after `timeout`.
  std::optional<int> wait_exit(ms timeout);

  /// True while the process has not exited (reaps it if it has).
  bool running();

  /// SIGTERM, then SIGKILL after `grace`; reaps. Idempotent.
  void stop(ms grace = 5s);

  /// Everything written to stderr so far.
  std::string stderr_text() const;
  /// Waits until the child's stdout is closed (it exited); false after `timeout`.
  bool wait_stdout_closed(ms timeout);
  /// Everything written to stdout so far.
  std::string stdout_text() const;

 private:
  void drain_stdout();
  bool try_reap(bool block);

  std::string name_;
  std::filesystem::path stderr_file_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_code_;
  std::thread drainer_;
  mutable std::mutex mutex_;
  std::string stdout_;
  bool stdout_eof_ = false;
};

/// The stderr of every live process, for failure reports.
std::string live_process_logs();

/// A whole HTTP response. Header names are lowercased.
struct http_response {
  unsigned status = 0;
  std::multimap<std::string, std::string> headers;
  std::string body;

  /// The first value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  /// The body parsed as JSON (a parse error leaves `HasParseError()` true).
  rapidjson::Document json() const;
};

/// Headers for one request, in order.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One request over a fresh connection to 127.0.0.1:`port`; reads the whole response. Throws on
/// a connection error or when no complete response arrives within `timeout`.
http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::string_view body = {}, const header_list& headers = {},
                           ms timeout = default_timeout);

/// `Authorization: Bearer <key>` plus JSON content type (key omitted when empty).
header_list json_headers(std::string_view api_key);

/// POST with a JSON body and a bearer key.
http_response post_json(std::uint16_t port, std::string_view target, std::string_view body,
                        std::string_view api_key, ms timeout = default_timeout);

/// GET with an optional bearer key.
http_response get(std::uint16_t port, std::string_view target, std::string_view api_key = {},
                  ms timeout = default_timeout);

/// A streaming request: sends it, reads the response head, then hands out SSE events as they
/// arrive. If the answer is not a stream, the whole body is read and `body()` holds it.
class sse_stream {
 public:
  sse_stream(std::uint16_t port, std::string_view target, std::string_view body,
             std::string_view api_key, ms timeout = default_timeout);
  ~sse_stream();
  sse_stream(const sse_stream&) = delete;
  sse_stream& operator=(const sse_stream&) = delete;

  unsigned status() const;
  std::string header(std::string_view name) const;
  /// The full body of a non-stream (error) answer.
  const std::string& body() const;
  bool is_event_stream() const;

  /// The `data` of the next event; nullopt when the stream ended (see `end_reason`). Throws when
  /// nothing arrives within `timeout`.
  std::optional<std::string> next(ms timeout = default_timeout);

  /// Reads every remaining event until the stream ends.
  std::vector<std::string> rest(ms timeout = default_timeout);

  /// How the stream ended: "complete" (the final chunk arrived), "eof" (the server closed the
  /// connection without the final chunk), "error: …", or "" while still open.
  const std::string& end_reason() const;

  /// Closes the connection abruptly (a client that goes away).
  void disconnect();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One raw TCP connection to 127.0.0.1:`port`, for malformed, slow or oversized requests.
class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Writes `bytes`; false when the peer has closed or reset the connection.
  bool send(std::string_view bytes);
  /// True when the server has sent something (or closed) within `timeout`.
  bool readable(ms timeout);
  /// Reads one HTTP response. Throws if none arrives within `timeout`.
  http_response read_response(ms timeout = default_timeout);
  /// True when the server closes the connection (EOF or reset) within `timeout`; bytes that
  /// arrive meanwhile are discarded.
  bool closed_by_peer(ms timeout);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// True when a TCP connection to 127.0.0.1:`port` is accepted (false when refused).
bool can_connect(std::uint16_t port);

/// A loopback port the kernel considers free right now (bound to 0, read back, closed), for a
/// server that cannot bind port 0 and report it (Redis, PostgreSQL, nginx, Prometheus). Another
/// process may take it before the server binds: the server's start then fails loudly.
std::uint16_t free_loopback_port();

/// Parses the port out of "… listening on HOST:PORT"; throws on a line of another shape.
std::uint16_t parse_listen_line(const std::string& line, std::string_view prefix);

/// Options of one standalone mock provider, set fluently: `mock_options().reply_tokens(8)`.
struct mock_options {
  std::optional<int> latency_ms_;
  std::optional<int> ttft_ms_;
  std::optional<double> tokens_per_second_;
  std::optional<int> reply_tokens_;
  std::vector<std::string> faults_;  ///< each a JSON rule, passed as `--fault`
  std::string api_key_;
  std::optional<int> seed_;
  std::vector<std::string> extra_args_;

  mock_options& latency_ms(int v) {
    latency_ms_ = v;
    return *this;
  }
  mock_options& ttft_ms(int v) {
    ttft_ms_ = v;
    return *this;
  }
  mock_options& tokens_per_second(double v) {
    tokens_per_second_ = v;
    return *this;
  }
  mock_options& reply_tokens(int v) {
    reply_tokens_ = v;
    return *this;
  }
  /// Adds one fault rule (JSON) to the plan at start.
  mock_options& fault(std::string rule_json) {
    faults_.push_back(std::move(rule_json));
    return *this;
  }
  mock_options& api_key(std::string v) {
    api_key_ = std::move(v);
    return *this;
  }
  mock_options& seed(int v) {
    seed_ = v;
    return *this;
  }
  /// Any other command-line argument (e.g. "--verbose").
  mock_options& arg(std::string v) {
    extra_args_.push_back(std::move(v));
    return *this;
  }
};

/// A running `mock_provider` on a free port.
class mock_provider {
 public:
  mock_provider(const temp_dir& dir, std::string name,
                const mock_options& options = mock_options());

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:PORT/v1": what a provider's `base_url` points at.
  std::string base_url() const;
  process& proc() { return *proc_; }

  /// Replaces the fault plan with `rules_json` (a JSON array of rules). Throws unless accepted.
  void set_faults(std::string_view rules_json);
  /// Clears the fault plan.
  void clear_faults();
  /// `GET /_mock/stats` as JSON.
  rapidjson::Document stats();
  /// The total number of requests the mock has received (API routes, not admin ones).
  std::uint64_t requests_total();

  /// Stops the process (its port is then free, and refuses connections).
  void stop() { proc_->stop(); }

 private:
  std::string name_;
  std::unique_ptr<process> proc_;
  std::uint16_t port_ = 0;
};

/// A running `switchyard` started with a config file.
class gateway {
 public:
  /// Writes `yaml` to the temp dir and starts the gateway with it.
  gateway(const temp_dir& dir, const std::string& yaml);

  std::uint16_t port() const { return port_; }
  process& proc() { return *proc_; }

 private:
  std::unique_ptr<process> proc_;
  std::uint16_t port_ = 0;
};

/// Runs `switchyard --check-config FILE`; returns its exit code and fills `output` with
/// stdout+stderr.
int check_config(const temp_dir& dir, const std::string& yaml, std::string* output = nullptr);

/// The API key every test tenant uses.
inline constexpr std::string_view test_key = "sk-itest-0123456789abcdef";

/// Builds a gateway config: one tenant holding `test_key`, the given providers and models, and
/// small timeouts so that faults resolve fast.
class config_builder {
 public:
  /// Adds `key: value` under `server:` (e.g. "max_body_bytes", "2048").
  config_builder& server(std::string key, std::string value);
  /// Adds an openai-compatible provider at `base_url`; `settings` are extra `key: value` lines.
  config_builder& provider(std::string name, std::string base_url,
                           std::vector<std::pair<std::string, std::string>> settings = {});
  /// Adds a provider of `type` ("anthropic", "gemini", "openai"…) at `base_url`.
  config_builder& typed_provider(std::string name, std::string type, std::string base_url,
                                 std::vector<std::pair<std::string, std::string>> settings = {});
  /// Adds an in-process `type: mock` provider.
  config_builder& mock_provider(
      std::string name, std::vector<std::pair<std::string, std::string>> mock_settings = {});
  /// Adds a model served by `targets` ({provider, upstream model}) in that order.
  config_builder& model(std::string name, std::vector<std::pair<std::string, std::string>> targets,
                        std::optional<int> max_attempts = std::nullopt);
  /// Adds `key: value` to the model added last (e.g. "hedge", "{ after: 100 }").
  config_builder& model_setting(std::string key, std::string value);
  /// Adds a tenant holding `key` (besides `itest`, which holds `test_key`).
  config_builder& tenant(std::string name, std::string key);
  /// Adds `key: value` to the `itest` tenant (e.g. "budget", "{ usd: 100, period: monthly }").
  config_builder& itest_setting(std::string key, std::string value);
  /// Sets `counters:` (default `memory`), e.g. a redis_server's url().
  config_builder& counters(std::string url);
  /// The YAML text; storage lives in `dir`.
  std::string render(const temp_dir& dir) const;

 private:
  struct provider_entry {
    std::string name;
    std::string type;
    std::string base_url;
    std::vector<std::pair<std::string, std::string>> settings;
    std::vector<std::pair<std::string, std::string>> mock;
  };
  struct model_entry {
    std::string name;
    std::vector<std::pair<std::string, std::string>> targets;
    std::optional<int> max_attempts;
    std::vector<std::pair<std::string, std::string>> settings;
  };
  std::vector<std::pair<std::string, std::string>> server_;
  std::vector<provider_entry> providers_;
  std::vector<model_entry> models_;
  std::vector<std::pair<std::string, std::string>> tenants_;  // name, key
  std::vector<std::pair<std::string, std::string>> itest_settings_;
  std::string counters_ = "memory";
};

/// A minimal chat body for `model` (`extra` is spliced in as more top-level members).
std::string chat_body(std::string_view model, bool stream = false, std::string_view extra = {});

/// A JSON member of `doc` at a '/'-separated path ("error/code", "choices/0/message/content"),
/// or nullptr.
const rapidjson::Value* json_at(const rapidjson::Value& doc, std::string_view path);
/// The string at `path`, or "" when absent or not a string.
std::string json_string(const rapidjson::Value& doc, std::string_view path);

}  // namespace switchyard::itest
