// The benchmark runner behind `bench/run SCENARIO`: starts the mocks, each system under test
// and the load generator, samples memory and load, and writes bench/results/<scenario>/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/result.hpp"

namespace switchyard::bench {

/// Exit statuses of bench/run.
enum runner_exit : int {
  runner_ok = 0,           ///< every run is a valid result
  runner_not_results = 1,  ///< the report was written, but some runs are not results (see it)
  runner_bad_input = 2,    ///< bad arguments or a bad scenario file: nothing was run
  runner_environment = 3,  ///< a tool or binary is missing, or the results cannot be written
  runner_needs_issue = 4,  ///< the scenario needs a gateway feature from a later issue
};

struct runner_options {
  std::string scenario;     ///< a name in bench/scenarios/ or a path to a YAML file
  std::string root;         ///< the repository root
  std::string build_dir;    ///< where the binaries are
  std::string results_dir;  ///< default <root>/bench/results
  std::vector<std::string> only_systems;
  bool check_only = false;  ///< parse, validate and probe the gateway; run nothing
  bool help = false;
};

/// Parses bench/run's arguments (after the program name).
protocols::result<runner_options, std::string> parse_runner_args(
    const std::vector<std::string_view>& args);

/// The --help text.
std::string runner_usage();

/// Runs it all; returns a `runner_exit`.
int run_scenario(const runner_options& o);

}  // namespace switchyard::bench
