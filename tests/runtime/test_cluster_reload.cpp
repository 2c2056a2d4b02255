// A SIGHUP that changes `cluster:` is named in a warning: the counters service keeps the node id,
// lease TTL, report interval and policies it started with.
#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "runtime/config_reload.hpp"

using namespace switchyard;

namespace {

config::snapshot_ptr with_cluster(const std::string& cluster) {
  const std::string text =
      "counters: redis://127.0.0.1:6379\ncluster:\n" + cluster +
      "providers:\n  - { name: demo, type: mock }\n"
      "models:\n  - name: chat\n    targets: [ { provider: demo, model: m } ]\n";
  auto r =
      config::load_string(text, "switchyard.yaml", [](std::string_view) { return std::nullopt; });
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("check_reload: a changed cluster section waits for a restart", "[reload]") {
  auto running = with_cluster("  node_id: a\n");
  CHECK(
      runtime::check_reload(*running, *running, *with_cluster("  node_id: a\n")).warnings.empty());
  for (const char* changed : {"  node_id: b\n", "  node_id: a\n  lease_ttl_ms: 9000\n",
                              "  node_id: a\n  report_interval_ms: 200\n",
                              "  node_id: a\n  on_counters_down: { budgets: open }\n",
                              "  node_id: a\n  on_counters_down: { rate_limits: closed }\n"}) {
    CAPTURE(changed);
    auto check = runtime::check_reload(*running, *running, *with_cluster(changed));
    REQUIRE(check.warnings.size() == 1);
    CHECK(check.warnings[0] == "cluster changed; the running value stays until a restart");
  }
}
