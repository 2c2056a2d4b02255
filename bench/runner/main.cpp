// bench_runner: the program behind bench/run. See docs/benchmarks.md.
#include <csignal>
#include <cstdio>
#include <string_view>
#include <vector>

#include "bench/runner/process.hpp"
#include "bench/runner/runner.hpp"

int main(int argc, char** argv) {
  using namespace switchyard::bench;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_runner_args(args);
  if (!parsed) {
    std::fprintf(stderr, "bench/run: %s\n", parsed.error().c_str());
    return runner_bad_input;
  }
  auto o = parsed.value();
  if (o.help) {
    std::fputs(runner_usage().c_str(), stdout);
    return runner_ok;
  }
  if (o.root.empty()) o.root.assign(1, '.');  // (assign: GCC 12 warns falsely on = ".")
  if (o.build_dir.empty()) o.build_dir = o.root + "/build";
  std::signal(SIGPIPE, SIG_IGN);
  stop_children_on_signals();
  return run_scenario(o);
}
