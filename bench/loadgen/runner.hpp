// Runs a whole benchmark: resolves and probes the target, starts the worker threads, prints
// progress, and turns the merged statistics into the report and the exit status.
#pragma once

#include <atomic>
#include <cstdio>
#include <string>

#include "bench/loadgen/options.hpp"

namespace switchyard::loadgen {

/// Exit statuses of switchyard-bench.
enum exit_status : int {
  exit_ok = 0,           ///< a valid result
  exit_invalid = 1,      ///< the run finished, but its result is not valid (see the report)
  exit_usage = 2,        ///< bad arguments
  exit_unreachable = 3,  ///< the target could not be resolved or connected to; no report
};

/// Where the run's side channels go.
struct run_environment {
  /// Progress lines and the final summary (unless `--quiet`); null for none.
  std::FILE* progress = stderr;
  /// When it becomes true the run stops early (SIGINT); may be null.
  const std::atomic<bool>* interrupt = nullptr;
};

/// The outcome of `run_benchmark`.
struct run_outcome {
  int exit_code = exit_ok;
  std::string report;   ///< the JSON report; empty when there is none (unreachable)
  std::string message;  ///< a line for stderr when the run failed or is invalid
};

/// Runs the benchmark described by `o` (which must have passed `parse_options`).
run_outcome run_benchmark(const options& o, const run_environment& env);

}  // namespace switchyard::loadgen
