// A tenant's rpm shared by three nodes: the cluster admits the limit per minute, not the limit
// times the number of nodes. Takes a minute and a little more.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "shared_backends.hpp"

using namespace switchyard::itest;
using namespace switchyard::ctest;

TEST_CASE("shared rate limit: 600 rpm over three nodes admits 600 ±5% in a minute") {
  temp_dir dir;
  shared_backends shared(dir);
  auto o = shared.options();
  o.tenant_settings = "    rpm: 600\n";
  cluster c(dir, o);

  // 20 requests/s for 62 s: 1,200 offered in the first minute, 400 per node, so nodes counting
  // alone (each under its own 600) would admit all of them.
  load_plan plan;
  plan.port = c.port();
  plan.clients = 6;
  plan.rate = 20;
  plan.duration = std::chrono::seconds(62);
  plan.body = cluster_request();
  client_load load(plan);
  load.wait();
  const auto answers = load.answers();
  INFO(status_summary(answers));

  // Admissions among the requests sent in the first 60 s: one window from the first request.
  const auto minute_end = load.started() + std::chrono::seconds(60);
  std::size_t admitted = 0, limited = 0, offered = 0;
  for (const auto& a : answers) {
    if (a.sent >= minute_end) continue;
    ++offered;
    if (a.status == 200) ++admitted;
    if (a.status == 429) {
      ++limited;
      CHECK(a.error_code == "rate_limit_exceeded");
    }
  }
  INFO("first minute: " << offered << " sent, " << admitted << " admitted, " << limited
                        << " limited");
  CHECK(offered >= 1000);  // the load really exceeded the limit (a starved client would not)
  CHECK(admitted + limited == offered);
  CHECK(admitted >= 570);
  CHECK(admitted <= 630);
  for (std::size_t i = 0; i < c.size(); ++i) {
    INFO(c.at(i).id());
    CHECK(metric_sum(c.at(i).metrics(), "switchyard_tenant_requests_total",
                     R"(tenant="itest",status_class="2xx")") > 50);
  }
  c.stop_nodes();
  check_records_match_answers(read_usage(shared.pg, "itest"), answers);
}
