// The parts of a switchyard-bench JSON report that the runner tabulates and plots.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/result.hpp"

namespace switchyard::bench {

/// A latency summary in milliseconds (`count` 0 when nothing was recorded).
struct latency_summary {
  std::uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, p99_9 = 0, max = 0;
};

/// One second of the run.
struct series_row {
  double t = 0;
  bool warmup = false;
  double sent = 0, completed = 0, errors = 0, in_flight = 0;
  std::optional<double> p50_ms, p99_ms, ttft_p50_ms;
};

struct load_report {
  bool valid = false;
  std::vector<std::string> invalid_reasons;
  std::vector<std::string> warnings;
  bool fell_behind = false;
  double measured_s = 0;
  std::optional<double> target_rps;
  double completed_rps = 0, ok_rps = 0;
  std::uint64_t scheduled = 0, sent = 0, completed = 0, ok = 0, failed = 0, non_2xx = 0, errors = 0;
  double error_rate = 0;
  std::vector<std::pair<std::string, std::uint64_t>> status_codes;
  /// kind, count, first example
  struct error_kind {
    std::string kind;
    std::uint64_t count = 0;
    std::string example;
  };
  std::vector<error_kind> error_kinds;
  latency_summary latency, ttft, itl;
  latency_summary latency_ok;        ///< 2xx responses only
  latency_summary latency_rejected;  ///< non-2xx responses only
  std::uint64_t streams = 0, streams_done = 0, streams_cut = 0, streams_error_event = 0;
  std::vector<series_row> series;

  /// The most requests in flight in any second (the end-of-second gauge).
  double peak_in_flight() const;
};

/// Parses a switchyard-bench report; errors say which key is missing or malformed.
protocols::result<load_report, std::string> parse_load_report(std::string_view json);

}  // namespace switchyard::bench
