// The run's outputs: the JSON report (config, rates, counts, percentiles, breakdowns, time
// series, generator health), the once-a-second progress line and the final summary line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/stats.hpp"

namespace switchyard::loadgen {

/// Facts about the run that the statistics do not hold.
struct run_info {
  std::string started_at;      ///< UTC, ISO 8601
  std::string target_address;  ///< the address the preflight connected to, "ip:port"
  double measured_s = 0;       ///< seconds of the measured window actually run
  double elapsed_s = 0;        ///< wall seconds from start to the end of the drain
  bool interrupted = false;    ///< stopped early by a signal
};

/// Why the run is not a valid result (empty when it is).
std::vector<std::string> invalid_reasons(const run_stats& s, const run_info& info);

/// Things that do not invalidate the run but change how to read it (empty when none).
std::vector<std::string> run_warnings(const run_stats& s);

/// The JSON report. Durations are milliseconds (keys end in `_ms`).
std::string build_report(const options& o, const run_stats& s,
                         const std::vector<series_row>& series, const run_info& info);

/// One progress line (no newline): the second's figures plus running totals.
std::string format_progress(const series_row& row, std::uint64_t total_sent,
                            std::uint64_t total_errors, bool open_loop);

/// The one-line summary printed on stderr at the end.
std::string format_summary(const run_stats& s, const run_info& info);

/// `ns` as milliseconds with microsecond resolution, e.g. "1.234ms" (for the human lines).
std::string format_ms(std::uint64_t ns);

}  // namespace switchyard::loadgen
