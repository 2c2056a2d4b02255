// The metrics exporter: per-request series, pre-created label sets, and scrape-time figures.
#include <catch2/catch.hpp>

#include <regex>

#include "runtime/ingress_stats.hpp"
#include "runtime/metrics.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;

namespace {

// The value of the sample `series` (name and labels exactly as exposed), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  pos += series.size() + 2;
  return std::stod(text.substr(pos, text.find('\n', pos) - pos));
}

actors::request_record record(std::string model, std::string provider, unsigned status,
                              protocols::api_kind kind = protocols::api_kind::chat_completions) {
  actors::request_record r;
  r.model = std::move(model);
  r.provider = std::move(provider);
  r.status = status;
  r.kind = kind;
  r.duration = std::chrono::milliseconds{120};
  return r;
}

}  // namespace

TEST_CASE("every configured series exists before the first request", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  auto text = m.scrape();
  for (const char* model : {"m1", "m2", "unknown"})
    for (const char* cls : {"2xx", "4xx", "5xx"})
      for (const char* route : {"chat", "embeddings"})
        CHECK(sample(text, std::string{"switchyard_requests_total{model=\""} + model +
                               "\",provider=\"\",route=\"" + route + "\",status_class=\"" + cls +
                               "\"}") == 0);
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="m1",provider="p1",route="chat",status_class="2xx"})") ==
      0);
  CHECK(sample(text, R"(switchyard_tokens_total{direction="cached",model="m1"})") == 0);
  CHECK(sample(text, R"(switchyard_tokens_total{direction="output",model="unknown"})") == 0);
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_count{model="m2"})") == 0);
  CHECK(sample(text, R"(switchyard_build_info{version=")" SWITCHYARD_VERSION R"("})") == 1);
}

TEST_CASE("a finished request lands in its series", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  auto r = record("m1", "p1", 200);
  r.usage.prompt_tokens = 10;
  r.usage.completion_tokens = 5;
  r.usage.cached_tokens = 4;
  r.attempts = 2;
  r.cost_usd = 0.25;
  r.time_to_first_byte = std::chrono::milliseconds{30};
  m.on_request_done(r);
  m.on_request_done(record("m2", "", 503, protocols::api_kind::embeddings));
  m.on_request_done(record("no-such-model", "", 404));
  m.on_request_done(record("m1", "p1", 0));  // the client left before any response
  auto broken = record("m1", "p1", 200);
  broken.stream_broken = true;
  m.on_request_done(broken);

  auto text = m.scrape();
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="m1",provider="p1",route="chat",status_class="2xx"})") ==
      2);
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="m1",provider="p1",route="chat",status_class="4xx"})") ==
      1);
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="m2",provider="",route="embeddings",status_class="5xx"})") ==
      1);
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="unknown",provider="",route="chat",status_class="4xx"})") ==
      1);
  CHECK(text.find("no-such-model") ==
        std::string::npos);  // client-chosen names never become labels
  CHECK(sample(text, R"(switchyard_tokens_total{direction="input",model="m1"})") == 10);
  CHECK(sample(text, R"(switchyard_tokens_total{direction="output",model="m1"})") == 5);
  CHECK(sample(text, R"(switchyard_tokens_total{direction="cached",model="m1"})") == 4);
  CHECK(sample(text, R"(switchyard_tokens_total{direction="input",model="m2"})") == 0);
  CHECK(sample(text, R"(switchyard_upstream_attempts_total{model="m1"})") == 2);
  CHECK(sample(text, R"(switchyard_cost_usd_total{model="m1"})") == Approx(0.25));
  CHECK(sample(text, R"(switchyard_streams_broken_total{model="m1"})") == 1);
  CHECK(sample(text, R"(switchyard_request_duration_seconds_count{model="m1",route="chat"})") == 3);
  CHECK(sample(text, R"(switchyard_request_duration_seconds_sum{model="m1",route="chat"})") ==
        Approx(0.36));
  CHECK(sample(text, R"(switchyard_time_to_first_byte_seconds_count{model="m1"})") == 1);
  CHECK(sample(text, R"(switchyard_time_to_first_byte_seconds_bucket{model="m1",le="0.05"})") == 1);
  CHECK(sample(text, R"(switchyard_time_to_first_byte_seconds_bucket{model="m1",le="0.025"})") ==
        0);
}

TEST_CASE("a provider outside the model's targets counts under no provider", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  m.on_request_done(record("m1", "someone-else", 200));
  auto text = m.scrape();
  CHECK(
      sample(
          text,
          R"(switchyard_requests_total{model="m1",provider="",route="chat",status_class="2xx"})") ==
      1);
  CHECK(text.find("someone-else") == std::string::npos);
}

TEST_CASE("ingress figures are read at scrape time", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  runtime::ingress_stats stats;
  CHECK(m.scrape().find("switchyard_connections_open") == std::string::npos);
  m.attach(nullptr, &stats);
  stats.connections_open = 3;
  stats.connections_accepted_total = 7;
  stats.accept_errors_total = 5;
  stats.count_response(200);
  stats.count_response(200);
  stats.count_response(431);
  stats.count_response(999);  // out of range: ignored
  auto text = m.scrape();
  CHECK(sample(text, "switchyard_connections_open") == 3);
  CHECK(sample(text, "switchyard_connections_accepted_total") == 7);
  CHECK(sample(text, "switchyard_accept_errors_total") == 5);
  CHECK(sample(text, "switchyard_draining") == 0);
  CHECK(sample(text, R"(switchyard_http_responses_total{code="200"})") == 2);
  CHECK(sample(text, R"(switchyard_http_responses_total{code="431"})") == 1);
  CHECK(sample(text, R"(switchyard_http_responses_total{code="404"})") == -1);
  CHECK(text.find("# TYPE switchyard_connections_open gauge") != std::string::npos);
  CHECK(text.find("# TYPE switchyard_http_responses_total counter") != std::string::npos);
  stats.draining = true;
  CHECK(sample(m.scrape(), "switchyard_draining") == 1);
}

TEST_CASE("the gateway overhead is the duration minus the upstream time", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  auto r = record("m1", "p1", 200);
  r.duration = std::chrono::milliseconds{120};
  r.upstream_time = std::chrono::microseconds{119'700};
  m.on_request_done(r);
  auto none = record("m2", "", 503);  // no upstream exchange: all of it is the gateway's
  none.duration = std::chrono::milliseconds{2};
  m.on_request_done(none);
  auto skewed = record("m2", "p2", 200);  // clocks of the two sides never make it negative
  skewed.duration = std::chrono::microseconds{100};
  skewed.upstream_time = std::chrono::microseconds{150};
  m.on_request_done(skewed);
  auto text = m.scrape();
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_count{model="m1"})") == 1);
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_sum{model="m1"})") ==
        Approx(0.0003).margin(1e-9));
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_bucket{model="m1",le="0.00025"})") ==
        0);
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_bucket{model="m1",le="0.0005"})") == 1);
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_count{model="m2"})") == 2);
  CHECK(sample(text, R"(switchyard_gateway_overhead_seconds_sum{model="m2"})") ==
        Approx(0.002).margin(1e-9));
}

TEST_CASE("requests are counted by tenant, run-time tenants from their first request",
          "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  REQUIRE(!cfg->tenants.empty());
  const std::string tenant = cfg->tenants.front().name;
  runtime::metrics m{*cfg};
  auto text = m.scrape();
  for (const char* cls : {"2xx", "4xx", "5xx"})
    CHECK(sample(text, "switchyard_tenant_requests_total{status_class=\"" + std::string{cls} +
                           "\",tenant=\"" + tenant + "\"}") == 0);
  auto ok = record("m1", "p1", 200);
  ok.tenant = tenant;
  m.on_request_done(ok);
  auto limited = record("m1", "", 429);
  limited.tenant = tenant;
  m.on_request_done(limited);
  // A tenant the config file does not name (created through the admin API after the start):
  // records name only authenticated tenants, so its series are made on first use.
  auto late = record("m1", "p1", 200);
  late.tenant = "created-later";
  m.on_request_done(late);
  auto anonymous = record("m1", "", 401);  // no tenant: no tenant series
  m.on_request_done(anonymous);
  text = m.scrape();
  CHECK(sample(text, "switchyard_tenant_requests_total{status_class=\"2xx\",tenant=\"" + tenant +
                         "\"}") == 1);
  CHECK(sample(text, "switchyard_tenant_requests_total{status_class=\"4xx\",tenant=\"" + tenant +
                         "\"}") == 1);
  CHECK(sample(text,
               "switchyard_tenant_requests_total{status_class=\"2xx\",tenant=\"created-later\"}") ==
        1);
  CHECK(text.find("tenant=\"\"") == std::string::npos);
}

TEST_CASE("process and ingress byte figures are exported", "[ingress][metrics]") {
  auto cfg = test::make_ingress_config();
  runtime::metrics m{*cfg};
  runtime::ingress_stats stats;
  stats.bytes_received_total = 1234;
  stats.bytes_sent_total = 5678;
  m.attach(nullptr, &stats);
  auto text = m.scrape();
  CHECK(sample(text, "switchyard_http_received_bytes_total") == 1234);
  CHECK(sample(text, "switchyard_http_sent_bytes_total") == 5678);
  CHECK(sample(text, "switchyard_process_resident_memory_bytes") > 0);
  CHECK(sample(text, "switchyard_process_open_fds") >= 3);  // stdin, stdout, stderr at least
  CHECK(sample(text, "switchyard_process_start_time_seconds") > 1.6e9);
  CHECK(sample(text, "switchyard_process_cpu_seconds_total") >= 0);
}
