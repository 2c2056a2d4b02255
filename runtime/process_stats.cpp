// /proc readers for the process metrics. Only the scrape calls them (a few syscalls per scrape).
#include "runtime/process_stats.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <string>
#include <vector>

namespace switchyard::runtime {

namespace {

// The whole of a small /proc file (their size is reported as 0, so read until EOF).
std::optional<std::string> slurp(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) break;  // /proc/stat on a huge machine: btime comes early
  }
  ::close(fd);
  return out;
}

bool to_double(std::string_view s, double& out) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return false;
  out = static_cast<double>(v);
  return true;
}

// Descriptors open now: the entries of /proc/self/fd, minus the one reading it.
std::optional<double> count_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double n = 0;
  while (auto* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;
}

}  // namespace

std::optional<process_sample> parse_proc_stat(std::string_view stat, double ticks_per_second,
                                              double page_bytes, double boot_time_seconds) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  // Fields from 3 (state) on, split on single spaces.
  std::vector<std::string_view> fields;
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    if (rest.empty()) break;
    auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // Field k (1-based, as in proc(5)) is fields[k - 3].
  auto field = [&](std::size_t k, double& out) {
    return k - 3 < fields.size() && to_double(fields[k - 3], out);
  };
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!field(14, utime) || !field(15, stime) || !field(22, start) || !field(23, vsize) ||
      !field(24, rss))
    return std::nullopt;
  process_sample s;
  s.cpu_seconds = (utime + stime) / ticks_per_second;
  s.start_time_seconds = boot_time_seconds + start / ticks_per_second;
  s.virtual_bytes = vsize;
  s.resident_bytes = rss * page_bytes;
  return s;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    auto end = proc_stat.find('\n', pos);
    auto line = proc_stat.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (line.rfind("btime ", 0) == 0) {
      double v = 0;
      if (to_double(line.substr(6), v)) return v;
      return std::nullopt;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<process_sample> read_process_sample() {
  // Boot time and the tick rate do not change while the process runs.
  static const std::optional<double> boot = [] {
    auto text = slurp("/proc/stat");
    return text ? parse_boot_time(*text) : std::nullopt;
  }();
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (!boot) return std::nullopt;
  auto stat = slurp("/proc/self/stat");
  if (!stat) return std::nullopt;
  auto sample = parse_proc_stat(*stat, ticks, page, *boot);
  if (!sample) return std::nullopt;
  if (auto fds = count_fds()) sample->open_fds = *fds;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    sample->max_fds = static_cast<double>(lim.rlim_cur);
  return sample;
}

}  // namespace switchyard::runtime
