// Figures of the running process read from /proc at scrape time: CPU time, resident memory,
// descriptors and start time (what a Prometheus client library's process collector exports,
// under the gateway's own prefix).
#pragma once

#include <optional>
#include <string_view>

namespace switchyard::runtime {

/// One reading of the process.
struct process_sample {
  double cpu_seconds = 0;         ///< user + system CPU time
  double resident_bytes = 0;      ///< resident set size
  double virtual_bytes = 0;       ///< virtual memory size
  double start_time_seconds = 0;  ///< Unix time the process started
  double open_fds = 0;            ///< descriptors open now
  double max_fds = 0;             ///< soft RLIMIT_NOFILE
};

/// Parses `/proc/<pid>/stat` text: fields 14-15 (utime, stime, in clock ticks), 22 (start time in
/// ticks after boot), 23 (vsize, bytes) and 24 (rss, pages). The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after its last ')'. Nullopt for malformed text.
std::optional<process_sample> parse_proc_stat(std::string_view stat, double ticks_per_second,
                                              double page_bytes, double boot_time_seconds);

/// `btime` (Unix time of boot) from `/proc/stat` text; nullopt when absent.
std::optional<double> parse_boot_time(std::string_view proc_stat);

/// Reads this process's figures; nullopt when /proc is not readable (then nothing is exported).
std::optional<process_sample> read_process_sample();

}  // namespace switchyard::runtime
