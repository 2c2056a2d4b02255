// The budget book's hot path: one admission (rate windows + reservation against a key and a
// tenant) and its settlement, uncontended and with threads racing for the same tenant; and the
// cost of adding usage.cost to a whole response.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <limits>

#include "actors/budget_book.hpp"
#include "protocols/usage_cost.hpp"

namespace {

using namespace switchyard;

struct book_fixture {
  config::snapshot snap;
  std::unique_ptr<actors::budget_book> book;

  book_fixture() {
    config::tenant_config t;
    t.name = "team";
    t.limits.budget = config::budget_config{1e9, config::budget_period::monthly, 0.8};
    // The highest limits there are: checked on every admission, never reached by one run.
    t.limits.rpm = std::numeric_limits<std::uint32_t>::max();
    t.limits.tpm = std::numeric_limits<std::uint32_t>::max();
    config::key_config k;
    k.hash = std::string(64, 'a');
    k.limits.budget = config::budget_config{1e9, config::budget_period::daily, 0.8};
    t.keys.push_back(k);
    snap.tenants.push_back(t);
    book =
        std::make_unique<actors::budget_book>(snap, std::make_shared<actors::system_wall_clock>(),
                                              std::make_shared<actors::steady_clock>());
  }
};

actors::spend_demand demand() {
  actors::spend_demand d;
  d.prompt_tokens = 500;
  d.max_tokens = 256;
  d.input_usd_per_token = 0.15e-6;
  d.output_usd_per_token = 0.6e-6;
  return d;
}

book_fixture& shared_book() {
  static book_fixture f;
  return f;
}

// Each run starts from an empty book: the runs of one process together admit more than a
// minute's tpm, which would refuse (and leave no hold to settle) rather than measure admission.
void fresh_book(const benchmark::State&) {
  shared_book() = book_fixture{};
}

void BM_budget_admit_settle(benchmark::State& state) {
  auto& f = shared_book();
  const std::string key_id(16, 'a');
  const auto d = demand();
  for (auto _ : state) {
    auto v = f.book->admit(f.snap.tenants[0], key_id, d);
    if (!v.hold) {
      state.SkipWithError("refused: a run outgrew the limits (see fresh_book)");
      break;
    }
    v.hold->settle(0.0001, 700);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_budget_admit_settle)
    ->Setup(fresh_book)
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->UseRealTime();

void BM_usage_cost_whole_body(benchmark::State& state) {
  const std::string body =
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":"Hello there, this is a reply of some length."},)"
      R"("finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":40,"total_tokens":52}})";
  for (auto _ : state) benchmark::DoNotOptimize(protocols::with_usage_cost(body, 0.0000258));
}
BENCHMARK(BM_usage_cost_whole_body);

}  // namespace
