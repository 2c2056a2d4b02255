// bench/run's runner against the real mock and load generator of this build tree: a valid run
// is tabulated and plotted, an unreachable target is reported as "not a result" (exit 1), and
// nothing of the failed run appears as a figure.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/runner/process.hpp"
#include "bench/runner/runner.hpp"

using namespace switchyard::bench;
namespace fs = std::filesystem;

TEST_CASE("end to end: a valid run is reported, an unreachable target is not a result") {
  // This test binary lives in <build>/tests/; the mock and the generator in <build>/bench/.
  fs::path build = fs::path(executable_dir()).parent_path();
  REQUIRE(fs::exists(build / "bench" / "mock_provider" / "mock_provider"));
  REQUIRE(fs::exists(build / "bench" / "loadgen" / "switchyard-bench"));
  auto port = free_port();  // nothing listens there once the probe socket is closed
  REQUIRE(port);

  fs::path dir = fs::temp_directory_path() / ("bench-e2e-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto scenario = (dir / "e2e.yaml").string();
  std::ofstream(scenario)
      << "systems:\n  - direct\n  - { name: nowhere, base_url: \"http://127.0.0.1:" << *port
      << "/v1\", model: m }\n"
         "mocks: [{ name: m, latency: 1, phases: [{ from_s: 0.5, to_s: 1.2, status: 503 }] }]\n"
         "loads: [{ name: brief, rate: 40, duration_s: 1.5 }]\n";

  runner_options o;
  o.scenario = scenario;
  o.root = dir.string();
  o.build_dir = build.string();
  o.results_dir = (dir / "results").string();
  CHECK(run_scenario(o) == runner_not_results);

  std::ifstream in(dir / "results" / "e2e" / "report.md");
  std::stringstream ss;
  ss << in.rdbuf();
  auto md = ss.str();
  CHECK(md.find("| direct | valid | ") != std::string::npos);
  CHECK(md.find("| nowhere | **not a result** |") != std::string::npos);
  CHECK(md.find("Not a result — nowhere: target unreachable") != std::string::npos);
  // The 503 window of the mock's phase shows in the direct run's errors.
  CHECK(md.find("× HTTP 503") != std::string::npos);
  CHECK(fs::exists(dir / "results" / "e2e" / "latency-brief.svg"));
  CHECK(fs::exists(dir / "results" / "e2e" / "timeline-brief.svg"));
  CHECK(fs::exists(dir / "results" / "e2e" / "raw" / "direct-brief.json"));

  std::error_code ec;
  fs::remove_all(dir, ec);
}
