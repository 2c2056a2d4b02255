// What the benchmark runner needs from the operating system: child processes whose output goes
// to files, free loopback ports, a tiny blocking HTTP client for the mocks' admin API and
// preflight requests, and /proc readings (resident memory, descriptors, CPU, load average).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::bench {

/// A child process; SIGTERM then SIGKILL on stop() or destruction.
class child {
 public:
  child() = default;
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  child(child&& o) noexcept;
  child& operator=(child&& o) noexcept;
  ~child();

  /// Starts `argv` with stdout and stderr to the given files (truncated) and `env_extra`
  /// ("NAME=value") added to the environment. Empty error on success.
  std::string start(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path, const std::vector<std::string>& env_extra = {});

  /// Waits until the stdout file has a line containing `marker` and returns that line, or
  /// nullopt when the process exited or `timeout` passed.
  std::optional<std::string> wait_for_line(const std::string& marker,
                                           std::chrono::milliseconds timeout);

  /// True while the process runs (reaps it when it has exited).
  bool running();
  /// Waits for the exit; the exit status (128+signal when killed).
  int wait();
  /// Exit status once exited (nullopt while running).
  std::optional<int> exit_status() const { return status_; }

  /// SIGTERM, up to `grace` for it to exit, then SIGKILL.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  pid_t pid() const { return pid_; }
  const std::string& stdout_path() const { return out_; }
  const std::string& stderr_path() const { return err_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_;
  std::string err_;
};

/// Makes SIGINT and SIGTERM send SIGTERM to every child still running (each runs in its own
/// process group, so a terminal's Ctrl-C reaches only the runner), then exit 128+signal.
void stop_children_on_signals();

/// The last `max_lines` lines of a file (for error messages).
std::string tail_of_file(const std::string& path, std::size_t max_lines = 5);

/// The first line of a file that contains `needle` (colour codes stripped), or "".
std::string first_line_with(const std::string& path, const std::string& needle);

/// Lines of a file that mention a warning or an error (any case), counted: "N × line", most
/// frequent first, at most `max_lines` of them.
std::vector<std::string> warning_lines(const std::string& path, std::size_t max_lines = 6);

/// A port on 127.0.0.1 that was free a moment ago (for programs that cannot listen on port 0
/// and report it, such as nginx and Portkey).
std::optional<std::uint16_t> free_port();

/// Port from a "... listening on HOST:PORT" line.
std::optional<std::uint16_t> port_of_listening_line(const std::string& line);

/// True once a TCP connection to 127.0.0.1:`port` succeeds (polling until `timeout`).
bool wait_connectable(std::uint16_t port, std::chrono::milliseconds timeout);

/// A response from `http_call`.
struct http_result {
  int status = 0;  ///< 0 when no response
  std::string body;
  std::string error;  ///< why there is no response
};

/// One HTTP/1.1 request to 127.0.0.1:`port` on a new connection (Connection: close), read to
/// the end. `headers` are "Name: value" lines.
http_result http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body, const std::vector<std::string>& headers = {},
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// Figures from /proc/PID/status: resident set now (VmRSS) and its high-water mark (VmHWM), in
/// bytes; 0 when unreadable.
struct memory_reading {
  std::uint64_t rss = 0;
  std::uint64_t hwm = 0;
};
memory_reading read_memory(pid_t pid);

/// The process and its direct children (nginx workers, for instance).
std::vector<pid_t> process_tree(pid_t pid);

/// Open descriptors of `pid` (entries of /proc/PID/fd); -1 when unreadable.
int count_fds(pid_t pid);

/// user + system CPU seconds of `pid` so far (/proc/PID/stat); -1 when unreadable.
double cpu_seconds(pid_t pid);

/// The 1-minute load average (/proc/loadavg); -1 when unreadable.
double load_average_1m();

/// The CPU model (first "model name" of /proc/cpuinfo).
std::string cpu_model();

/// The soft and hard RLIMIT_NOFILE, after raising the soft limit to the hard one.
struct fd_limits {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};
fd_limits raise_fd_limit();

/// Directory of the running executable's build tree (…/build) when it can tell.
std::string executable_dir();

/// True when `name` is an executable on PATH (or a path that is executable).
bool on_path(const std::string& name);

}  // namespace switchyard::bench
