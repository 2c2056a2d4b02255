// Resilience against the real binary and the mock's faults: outlier ejection and recovery after a
// restart, hedged requests, same-target retries with Retry-After, per-model timeouts, load
// shedding and the resilience metrics — each asserting what the client sees.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// The value of one exact series (`name{labels}`) in the gateway's /metrics, NaN when absent.
double metric(std::uint16_t port, const std::string& series) {
  return metric_series(port, series).value_or(std::nan(""));
}

std::string provider_series(const std::string& name, const std::string& provider) {
  return name + "{provider=\"" + provider + "\"}";
}

// The usage record of request `id` (GET /v1/generation), once the request's actor has ended.
rapidjson::Document generation(std::uint16_t port, const std::string& id) {
  rapidjson::Document rec;
  REQUIRE(eventually([&] {
    auto g = get(port, "/v1/generation?id=" + id, test_key);
    if (g.status != 200) return false;
    rec = g.json();
    return !rec.HasParseError();
  }));
  return rec;
}

double ms_since(steady::time_point t) {
  return std::chrono::duration<double, std::milli>(steady::now() - t).count();
}

}  // namespace

TEST_CASE("resilience: a provider failing in a row is ejected and later requests skip it") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"status","status":503})"));
  mock_provider b(dir, "b");
  constexpr std::string_view admin_key = "adm-itest-secret-0123456789";
  gateway gw(dir, config_builder()
                      .server("admin_key", std::string{admin_key})
                      .provider("a", a.base_url(),
                                {{"circuit",
                                  "{ consecutive_failures: 3, base_ejection_ms: 60000, "
                                  "max_ejection_ms: 60000 }"}})
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .render(dir));

  // Every series exists before the first request.
  CHECK(metric(gw.port(), provider_series("switchyard_provider_circuit_state", "a")) == 0);
  CHECK(metric(gw.port(),
               "switchyard_provider_upstream_errors_total{provider=\"b\",reason=\"connect\"}") ==
        0);
  CHECK(metric(gw.port(),
               "switchyard_provider_hedges_total{provider=\"a\",outcome=\"throttled\"}") == 0);

  for (int i = 0; i < 10; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(r);  // the client never sees a's 503s
    CHECK(r.header("x-switchyard-provider") == "b");
  }
  CHECK(a.requests_total() == 3);  // ejected after the third: no more traffic
  CHECK(b.requests_total() == 10);
  CHECK(metric(gw.port(), provider_series("switchyard_provider_circuit_state", "a")) == 1);
  CHECK(metric(gw.port(), provider_series("switchyard_provider_ejections_total", "a")) == 1);
  CHECK(metric(gw.port(), provider_series("switchyard_provider_failovers_total", "a")) == 3);
  CHECK(
      metric(
          gw.port(),
          "switchyard_provider_upstream_errors_total{provider=\"a\",reason=\"upstream_status\"}") ==
      3);
  CHECK(metric(gw.port(), provider_series("switchyard_provider_circuit_state", "b")) == 0);

  // The admin view of the same: a is out for (at most) its minute of ejection, b takes traffic.
  auto r = http_request(gw.port(), "GET", "/admin/providers", {}, json_headers(admin_key));
  REQUIRE(r.status == 200);
  auto providers = r.json();
  CHECK(json_string(providers, "data/0/name") == "a");
  CHECK(json_string(providers, "data/0/circuit/state") == "open");
  CHECK(json_at(providers, "data/0/circuit/ejections_total")->GetUint64() == 1);
  const auto* back_in = json_at(providers, "data/0/circuit/available_in_ms");
  REQUIRE(back_in != nullptr);
  REQUIRE(back_in->IsInt64());
  CHECK(back_in->GetInt64() > 0);
  CHECK(back_in->GetInt64() <= 60000);
  CHECK(json_string(providers, "data/1/name") == "b");
  CHECK(json_string(providers, "data/1/circuit/state") == "closed");
  CHECK(json_at(providers, "data/1/circuit/ejections_total")->GetUint64() == 0);
  CHECK(json_at(providers, "data/1/circuit/available_in_ms")->IsNull());
}

TEST_CASE("resilience: every target ejected still serves from the least bad one") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"status","status":500,"count":2})"));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(),
                                {{"circuit",
                                  "{ consecutive_failures: 1, base_ejection_ms: 60000, "
                                  "max_ejection_ms: 60000 }"}})
                      .model("chat", {{"a", "mock-gpt"}}, 1)
                      .render(dir));
  auto first = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_openai_error(first, 502);
  REQUIRE(metric(gw.port(), provider_series("switchyard_provider_circuit_state", "a")) == 1);
  // Ejected for a minute, but it is the model's only target: requests still go to it.
  auto second = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_openai_error(second, 502);
  auto third = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(third);  // the fault is used up: it serves, and its circuit closes
  // (the request actor hears the end just after the client has it)
  CHECK(eventually([&] {
    return metric(gw.port(), provider_series("switchyard_provider_circuit_state", "a")) == 0;
  }));
  CHECK(a.requests_total() == 3);
}

TEST_CASE(
    "resilience: a provider that dies is ejected, no client sees an error, and it is back soon "
    "after its restart") {
  temp_dir dir;
  // a stops listening (and drops its connections) from 1.5 s to 4.5 s after its start.
  mock_provider a(dir, "a",
                  mock_options().arg("--phase").arg(R"({"from_s":1.5,"to_s":4.5,"down":true})"));
  const auto a_started = steady::now();
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"connect_timeout_ms", "500"}})
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .render(dir));
  int errors = 0;
  double back_after_restart_ms = -1;
  bool ejected = false;
  while (ms_since(a_started) < 12'000) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    if (r.status != 200) ++errors;
    const double t = ms_since(a_started);
    if (t > 2'500 && t < 4'000 &&
        metric(gw.port(), provider_series("switchyard_provider_circuit_state", "a")) != 0)
      ejected = true;
    if (t > 4'500 && back_after_restart_ms < 0 && r.header("x-switchyard-provider") == "a") {
      back_after_restart_ms = t - 4'500;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::printf("resilience: provider back %.0f ms after its restart\n", back_after_restart_ms);
  CHECK(errors == 0);
  CHECK(ejected);
  CHECK(back_after_restart_ms >= 0);  // it serves again (default max ejection: 4 s)
  CHECK(metric(gw.port(), provider_series("switchyard_provider_ejections_total", "a")) >= 1);
}

TEST_CASE("resilience: a slow first answer is hedged on the second target, which wins") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"delay","ms":5000})"));
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .model_setting("hedge", "{ after: 100, max: 1 }")
                      .render(dir));
  const auto start = steady::now();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  const double took = ms_since(start);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(took < 5'000);  // it did not wait for a
  {
    auto rec = generation(gw.port(), r.header("x-request-id"));
    CHECK(json_at(rec, "data/hedged")->GetBool());
    CHECK(json_at(rec, "data/attempts")->GetUint() == 2);
  }
  CHECK(eventually([&] {
    return metric(gw.port(), "switchyard_provider_hedges_total{provider=\"b\",outcome=\"won\"}") ==
           1;
  }));
  // The losing exchange with a was cancelled: its slot is free long before a would answer.
  CHECK(eventually(
      [&] { return metric(gw.port(), provider_series("switchyard_provider_in_flight", "a")) == 0; },
      2s));

  SECTION("a stream is hedged the same way") {
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(s.status() == 200);
    CHECK(s.header("x-switchyard-provider") == "b");
    auto sum = summarize(s.rest());
    CHECK(sum.done);
    CHECK(sum.error_events == 0);
  }
}

TEST_CASE("resilience: a fast first answer sends no hedge") {
  temp_dir dir;
  mock_provider a(dir, "a");
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .model_setting("hedge", "{ after: 3000 }")
                      .render(dir));
  for (int i = 0; i < 5; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(r);
    CHECK(r.header("x-switchyard-provider") == "a");
    if (i == 0) {
      auto rec = generation(gw.port(), r.header("x-request-id"));
      CHECK_FALSE(json_at(rec, "data/hedged")->GetBool());
      CHECK(json_at(rec, "data/attempts")->GetUint() == 1);
    }
  }
  CHECK(b.requests_total() == 0);
}

TEST_CASE("resilience: a single target's 503 burst is retried on it after a backoff") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"status","status":503,"count":2})"));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .model("chat", {{"a", "mock-gpt"}}, 3)
                      .model_setting("retry_backoff", "{ base_ms: 10, max_ms: 100 }")
                      .render(dir));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(a.requests_total() == 3);
  CHECK(metric(gw.port(), provider_series("switchyard_provider_retries_total", "a")) == 2);
}

TEST_CASE("resilience: a single target's long Retry-After goes to the client, not into a wait") {
  temp_dir dir;
  mock_provider a(
      dir, "a",
      mock_options().fault(R"({"kind":"status","status":429,"retry_after":30,"count":1})"));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .model("chat", {{"a", "mock-gpt"}}, 3)
                      .render(dir));
  const auto start = steady::now();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_openai_error(r, 429);
  CHECK(r.header("retry-after") == "30");
  CHECK(ms_since(start) < 5'000);
  CHECK(a.requests_total() == 1);
}

TEST_CASE("resilience: a model's first_token_ms overrides its provider's first-byte timeout") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"hang"})"));
  mock_provider b(dir, "b");
  // The provider waits 5 s for a first byte (the harness default); the model only 300 ms.
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .model_setting("timeouts", "{ first_token_ms: 300 }")
                      .model("patient", {{"a", "mock-gpt"}}, 1)
                      .model_setting("timeouts", "{ first_token_ms: 800 }")
                      .render(dir));
  const auto start = steady::now();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(ms_since(start) < 4'000);
  auto t = post_json(gw.port(), "/v1/chat/completions", chat_body("patient"), test_key);
  require_openai_error(t, 504);
  CHECK(t.body.find("800 ms") == std::string::npos);  // the body names no internals
  CHECK(metric(gw.port(),
               "switchyard_provider_upstream_errors_total{provider=\"a\",reason=\"first_byte_"
               "timeout\"}") == 2);
}

TEST_CASE("resilience: a cut stream ends with an error event and its partial usage is recorded") {
  temp_dir dir;
  mock_provider a(dir, "a",
                  mock_options().tokens_per_second(50).reply_tokens(40).fault(
                      R"({"kind":"cut","after_tokens":5,"stream":true,"count":1})"));
  gateway gw(
      dir,
      config_builder().provider("a", a.base_url()).model("chat", {{"a", "mock-gpt"}}).render(dir));
  std::string id;
  {
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(s.status() == 200);
    id = s.header("x-request-id");
    auto sum = summarize(s.rest());
    CHECK(sum.error_events == 1);
    CHECK_FALSE(sum.done);
  }
  // GET /v1/generation answers the request's record (once written).
  rapidjson::Document rec;
  REQUIRE(eventually([&] {
    auto g = get(gw.port(), "/v1/generation?id=" + id, test_key);
    if (g.status != 200) return false;
    rec = g.json();
    return !rec.HasParseError();
  }));
  const auto* completion = json_at(rec, "data/tokens_completion");
  REQUIRE(completion);
  CHECK(completion->GetUint() >= 5);  // the tokens the client received are billed
}

TEST_CASE("resilience: a full gateway sheds at once with 503 and Retry-After") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().tokens_per_second(10).reply_tokens(1000));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"max_in_flight", "1"}, {"max_queue", "0"}})
                      .model("chat", {{"a", "mock-gpt"}})
                      .render(dir));
  sse_stream hold(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(hold.status() == 200);
  REQUIRE(hold.next());
  std::vector<double> took;
  for (int i = 0; i < 50; ++i) {
    const auto start = steady::now();
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    took.push_back(ms_since(start));
    require_openai_error(r, 503);
    CHECK(r.header("retry-after") == "1");
  }
  std::sort(took.begin(), took.end());
  std::printf("resilience: 503 shed round trip (new connection each) p50 %.3f ms, max %.3f ms\n",
              took[took.size() / 2], took.back());
  CHECK(a.requests_total() == 1);
}

TEST_CASE(
    "resilience: a client that disconnects before the first byte cancels its upstream exchange") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"hang"})"));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"max_in_flight", "1"}, {"max_queue", "0"}})
                      .model("chat", {{"a", "mock-gpt"}})
                      .render(dir));
  auto open_upstream = [&] {
    const auto stats = a.stats();  // the value below points into it
    auto* v = json_at(stats, "open_connections");
    return v && v->IsInt64() ? v->GetInt64() : -1;
  };
  {
    raw_connection c(gw.port());
    const std::string body = chat_body("chat");
    REQUIRE(c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   std::string(test_key) +
                   "\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body));
    REQUIRE(eventually([&] { return open_upstream() >= 2; }));  // the hanging exchange + stats
  }
  const auto gone = steady::now();
  REQUIRE(eventually([&] { return open_upstream() <= 1; }, 5s, 1ms));
  std::printf("resilience: upstream exchange closed %.1f ms after the client left\n",
              ms_since(gone));
  // The slot is free again: the next request is served, not refused.
  a.clear_faults();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
}
