// mock_provider: a fast standalone upstream speaking the OpenAI, Anthropic and Gemini dialects,
// with injected faults, for the gateway's integration tests and benchmarks. See bench/README.md.
#include <cstdio>
#include <string>

#include "bench/mock_provider/options.hpp"
#include "bench/mock_provider/server.hpp"

int main(int argc, char** argv) {
  using namespace switchyard::mock;
  auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "mock_provider: %s\n", parsed.error().c_str());
    return 2;
  }
  if (parsed->help) {
    std::fputs(usage_text().c_str(), stdout);
    return 0;
  }
  const auto threads = parsed->threads;
  const auto rules = parsed->faults.size();
  server srv(std::move(parsed.value()));
  auto bound = srv.listen();
  if (!bound) {
    std::fprintf(stderr, "mock_provider: %s\n", bound.error().c_str());
    return 1;
  }
  srv.stop_on_signals();
  // Tests parse this exact first line, so it goes out alone and at once.
  auto line = "mock_provider listening on " +
              format_endpoint(bound->address().to_string(), bound->port()) + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "mock_provider: %u thread(s), %zu fault rule(s) at start\n", threads, rules);
  srv.run();
  std::fprintf(stderr, "mock_provider: stopped\n");
  return 0;
}
