// What one `bench/run` produced, and how it is written down: report.md with tables, ratios and
// the conditions of the run, and the SVG plots next to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/runner/budget_check.hpp"
#include "bench/runner/load_report.hpp"
#include "bench/runner/scenario.hpp"

namespace switchyard::bench {

/// One load against one system.
struct load_run {
  std::string load;
  /// The generator's report, when it wrote one (valid or not).
  std::optional<load_report> report;
  /// Why there is no result (unreachable target, generator error...); empty when there is one.
  std::string failure;
  int exit_code = 0;
  /// Resident memory of the system's processes (bytes): before the load, the highest sample
  /// during it, and VmHWM at its end; with the samples (seconds from the load's start, bytes).
  std::uint64_t rss_before = 0, rss_peak = 0, hwm_after = 0;
  std::vector<std::pair<double, double>> rss_samples;
  int fds_peak = -1;
  double cpu_s = -1;  ///< CPU seconds the system's processes used during the load
  /// What the system still held once the load was over (e.g. Switchyard's in-flight gauges),
  /// when that is not zero: a leak or a stuck request.
  std::vector<std::string> leftovers;
  /// Chat requests each mock received during the load (retries and failovers show here).
  std::vector<std::pair<std::string, std::uint64_t>> mock_requests;
  /// Switchyard only: each provider's circuit state (`switchyard_provider_circuit_state`: 0
  /// closed, 1 open, 2 half-open) sampled from /metrics, as (seconds from the load's start, state).
  struct circuit_series {
    std::string provider;
    std::vector<std::pair<double, int>> samples;
  };
  std::vector<circuit_series> circuits;
  /// The tenant budget after the load (scenarios that give the tenant one; Switchyard only).
  std::optional<budget_outcome> budget;
  /// Redis round trips of every node during the load (`gateway.shared_state` only).
  std::optional<double> counters_operations;

  /// A valid result: the generator wrote a report it calls valid.
  bool is_result() const { return report && report->valid && failure.empty(); }
};

/// One system under test.
struct system_run {
  std::string name;
  system_kind kind = system_kind::direct;
  std::string what;     ///< how it was set up, one line
  std::string skipped;  ///< why it was not measured (empty when it was)
  std::vector<load_run> loads;
  /// Its warnings and errors during the run: "N × line", most frequent first.
  std::vector<std::string> log_lines;
};

/// The whole run.
struct run_record {
  scenario sc;
  std::string started_at, finished_at;
  unsigned nproc = 0;
  std::string cpu;
  std::string kernel;
  std::string switchyard_version;
  std::vector<std::pair<double, double>> load_average;  ///< (seconds from start, 1-min load)
  std::uint64_t fd_soft = 0, fd_hard = 0;
  std::vector<std::string> notes;  ///< conditions worth stating (fd budget, Portkey, ...)
  std::vector<system_run> systems;
  std::string command;  ///< how to reproduce
};

/// Writes report.md and the plots into `dir`; returns the files written (names only).
std::vector<std::string> write_report(const run_record& r, const std::string& dir);

/// How a provider's circuit answered one fault phase of its mock: seconds from the phase's start
/// to the first sample that is not closed, and from the phase's end to the first closed sample
/// after that (each unset when it never happened within the samples).
struct circuit_reaction {
  std::optional<double> ejected_after_s;
  std::optional<double> closed_after_s;
};
circuit_reaction circuit_reaction_to(const load_run::circuit_series& c, const phase_spec& p);

/// The markdown alone (for tests).
std::string render_markdown(const run_record& r);

/// Human formatting: "1.23 ms", "456 µs", "12.3 s".
std::string format_ms(double ms);
/// "123 MiB", "45.6 KiB".
std::string format_bytes(double bytes);

}  // namespace switchyard::bench
