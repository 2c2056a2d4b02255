// switchyard-bench: an honest open-loop load generator for any OpenAI-compatible endpoint.
// See bench/loadgen/README.md.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/runner.hpp"

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_signal(int) {
  interrupted.store(true);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace switchyard::loadgen;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_options(args);
  if (!parsed) {
    std::fprintf(stderr, "switchyard-bench: %s\n", parsed.error().c_str());
    return exit_usage;
  }
  const options& o = parsed.value();
  if (o.help) {
    std::fputs(usage_text().c_str(), stdout);
    return exit_ok;
  }
  // Fail on a bad --out before spending a whole run.
  std::FILE* out = stdout;
  if (!o.out.empty()) {
    out = std::fopen(o.out.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "switchyard-bench: --out: cannot open \"%s\" for writing\n",
                   o.out.c_str());
      return exit_usage;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  run_environment env;
  env.interrupt = &interrupted;
  const run_outcome r = run_benchmark(o, env);
  if (!r.report.empty()) {
    std::fwrite(r.report.data(), 1, r.report.size(), out);
    std::fflush(out);
  }
  if (out != stdout) std::fclose(out);
  if (!r.message.empty()) std::fprintf(stderr, "switchyard-bench: %s\n", r.message.c_str());
  if (r.report.empty() && !o.out.empty()) std::remove(o.out.c_str());
  return r.exit_code;
}
