// Child processes, ports, a minimal HTTP client and /proc readings for the benchmark runner.
#include "bench/runner/process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace switchyard::bench {

using clock_type = std::chrono::steady_clock;

namespace {

// The children still running, for the signal handler (lock-free slots: a handler may not lock).
constexpr std::size_t max_tracked = 256;
std::array<std::atomic<pid_t>, max_tracked> tracked{};

void track(pid_t pid) {
  for (auto& slot : tracked) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void untrack(pid_t pid) {
  for (auto& slot : tracked) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

extern "C" void on_stop_signal(int sig) {
  ::signal(sig, SIG_DFL);
  for (auto& slot : tracked) {
    pid_t p = slot.load();
    if (p > 0) ::kill(p, SIGTERM);
  }
  ::_exit(128 + sig);
}

}  // namespace

void stop_children_on_signals() {
  ::signal(SIGINT, on_stop_signal);
  ::signal(SIGTERM, on_stop_signal);
}

child::child(child&& o) noexcept
    : pid_(o.pid_), status_(o.status_), out_(std::move(o.out_)), err_(std::move(o.err_)) {
  o.pid_ = -1;
}

child& child::operator=(child&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    status_ = o.status_;
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
    o.pid_ = -1;
  }
  return *this;
}

child::~child() {
  stop();
}

std::string child::start(const std::vector<std::string>& argv, const std::string& stdout_path,
                         const std::string& stderr_path,
                         const std::vector<std::string>& env_extra) {
  out_ = stdout_path;
  err_ = stderr_path;
  status_.reset();
  int out_fd = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return "cannot create " + stdout_path + ": " + std::strerror(errno);
  }
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : env_extra) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    ::close(out_fd);
    ::close(err_fd);
    return std::string("pipe: ") + std::strerror(errno);
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out_fd);
    ::close(err_fd);
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    // Its own process group: a Ctrl-C at the runner's terminal goes to the runner, which stops
    // the children in order.
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(args[0], args.data(), envp.data());
    int e = errno;
    [[maybe_unused]] auto n = ::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  ::close(exec_pipe[1]);
  int exec_errno = 0;
  auto n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  ::close(exec_pipe[0]);
  pid_ = pid;
  track(pid);
  if (n == sizeof exec_errno) {
    wait();
    pid_ = -1;
    return "cannot run " + argv[0] + ": " + std::strerror(exec_errno);
  }
  return {};
}

std::optional<std::string> child::wait_for_line(const std::string& marker,
                                                std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (true) {
    std::ifstream in(out_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(marker) != std::string::npos) return line;
    }
    if (!running() || clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool child::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return true;
  if (r == pid_)
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  else
    status_ = -1;
  untrack(pid_);
  return false;
}

int child::wait() {
  if (status_) return *status_;
  if (pid_ <= 0) return -1;
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  untrack(pid_);
  return *status_;
}

void child::stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  auto deadline = clock_type::now() + grace;
  while (running() && clock_type::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

namespace {

// Strips terminal colour codes (Portkey prints them) and surrounding blanks.
std::string clean_line(const std::string& line) {
  std::string clean;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      while (i < line.size() && !std::isalpha(static_cast<unsigned char>(line[i]))) ++i;
      continue;
    }
    clean += line[i];
  }
  auto b = clean.find_first_not_of(" \t\r");
  auto e = clean.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : clean.substr(b, e - b + 1);
}

}  // namespace

std::string first_line_with(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto clean = clean_line(line);
    if (clean.find(needle) != std::string::npos) return clean;
  }
  return {};
}

std::vector<std::string> warning_lines(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::vector<std::pair<std::string, std::size_t>> counts;
  std::string line;
  while (std::getline(in, line)) {
    auto clean = clean_line(line);
    std::string lower;
    for (char c : clean) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("warn") == std::string::npos && lower.find("error") == std::string::npos)
      continue;
    if (clean.size() > 300) clean = clean.substr(0, 300) + "…";
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& p) { return p.first == clean; });
    if (it == counts.end()) {
      if (counts.size() < 1000) counts.emplace_back(clean, 1);
    } else {
      ++it->second;
    }
  }
  std::stable_sort(counts.begin(), counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < counts.size() && i < max_lines; ++i) {
    out.push_back(std::to_string(counts[i].second) + " × " + counts[i].first);
  }
  return out;
}

std::string tail_of_file(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    std::string clean = clean_line(line);
    if (clean.empty()) continue;
    lines.push_back(clean);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : " | ") + l;
  return out;
}

std::optional<std::uint16_t> free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::optional<std::uint16_t> port;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::optional<std::uint16_t> port_of_listening_line(const std::string& line) {
  auto at = line.find("listening on ");
  if (at == std::string::npos) return std::nullopt;
  auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < at) return std::nullopt;
  auto digits = line.substr(colon + 1);
  while (!digits.empty() && (digits.back() == '\r' || digits.back() == ' ')) digits.pop_back();
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  auto v = std::stoul(digits);
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

namespace {

int connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    error = "connect: timed out";
    ::close(fd);
    return -1;
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    error = std::string("connect: ") + std::strerror(so_error);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool wait_connectable(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    std::string error;
    int fd = connect_loopback(port, std::chrono::milliseconds(500), error);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

http_result http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body, const std::vector<std::string>& headers,
                      std::chrono::milliseconds timeout) {
  http_result r;
  auto deadline = clock_type::now() + timeout;
  int fd = connect_loopback(port, timeout, r.error);
  if (fd < 0) return r;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::size_t sent = 0;
  std::string raw;
  char buf[16384];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      r.error = "timed out after " + std::to_string(timeout.count()) + " ms";
      break;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (sent < req.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (sent < req.size() && (p.revents & POLLOUT)) {
      auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        r.error = std::string("send: ") + std::strerror(errno);
        break;
      }
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        raw.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) break;
      if (errno != EAGAIN) {
        r.error = std::string("recv: ") + std::strerror(errno);
        break;
      }
    }
  }
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 && raw.compare(0, 9, "HTTP/1.0 ") != 0) {
    if (r.error.empty()) r.error = raw.empty() ? "no response" : "not an HTTP response";
    return r;
  }
  r.status = std::atoi(raw.c_str() + 9);
  if (head_end == std::string::npos) return r;
  std::string head = raw.substr(0, head_end);
  std::string payload = raw.substr(head_end + 4);
  std::string lower;
  for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    // Decode the chunked body (the SSE answers of a preflight stream).
    std::string out;
    std::size_t pos = 0;
    while (pos < payload.size()) {
      auto eol = payload.find("\r\n", pos);
      if (eol == std::string::npos) break;
      auto size = std::strtoul(payload.substr(pos, eol - pos).c_str(), nullptr, 16);
      if (size == 0) break;
      out += payload.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    payload = out;
  }
  r.body = payload;
  return r;
}

memory_reading read_memory(pid_t pid) {
  memory_reading m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    auto kib = [&] { return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024; };
    if (line.rfind("VmRSS:", 0) == 0) m.rss = kib();
    if (line.rfind("VmHWM:", 0) == 0) m.hwm = kib();
  }
  return m;
}

std::vector<pid_t> process_tree(pid_t pid) {
  std::vector<pid_t> out{pid};
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t c = 0;
  while (in >> c) out.push_back(c);
  return out;
}

int count_fds(pid_t pid) {
  auto path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(path.c_str());
  if (!d) return -1;
  int n = 0;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  std::getline(in, all);
  auto close = all.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(all.substr(close + 2));
  std::string f;
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  std::vector<std::string> v;
  while (fields >> f) v.push_back(f);
  if (v.size() < 13) return -1;
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::strtod(v[11].c_str(), nullptr) + std::strtod(v[12].c_str(), nullptr)) / ticks;
}

double load_average_1m() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  in >> l;
  return l;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

fd_limits raise_fd_limit() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  return {static_cast<std::uint64_t>(r.rlim_cur), static_cast<std::uint64_t>(r.rlim_max)};
}

std::string executable_dir() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<std::size_t>(n));
  return p.substr(0, p.find_last_of('/'));
}

bool on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace switchyard::bench
