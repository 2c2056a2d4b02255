// Failover before commit: a model with two targets, the first one failing in each way the gateway
// must retry (5xx, 429, dead port, hang), and the all-targets-failed answers (502, 504).
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// Model `chat` served by provider `a` first, then `b`.
std::string two_target_config(const temp_dir& dir, const std::string& a_url,
                              const std::string& b_url,
                              std::vector<std::pair<std::string, std::string>> a_settings = {},
                              std::vector<std::pair<std::string, std::string>> b_settings = {}) {
  return config_builder()
      .provider("a", a_url, std::move(a_settings))
      .provider("b", b_url, std::move(b_settings))
      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
      .model("embed", {{"a", "mock-embedding"}, {"b", "mock-embedding"}})
      .render(dir);
}

}  // namespace

TEST_CASE("failover: a 503 from the first target is served by the second") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"status","status":503})"));
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(a.requests_total() >= 1);
  CHECK(b.requests_total() == 1);

  SECTION("streams fail over the same way") {
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(s.status() == 200);
    CHECK(s.header("x-switchyard-provider") == "b");
    auto sum = summarize(s.rest());
    CHECK(sum.done);
    CHECK(sum.error_events == 0);
  }
  SECTION("embeddings fail over the same way") {
    auto e = post_json(gw.port(), "/v1/embeddings", R"({"model":"embed","input":"hi"})", test_key);
    INFO(e.body);
    CHECK(e.status == 200);
    CHECK(e.header("x-switchyard-provider") == "b");
  }
}

TEST_CASE("failover: a 429 with Retry-After from the first target is served by the second") {
  temp_dir dir;
  mock_provider a(dir, "a",
                  mock_options().fault(R"({"kind":"status","status":429,"retry_after":2})"));
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(a.requests_total() >= 1);
  // The upstream's rate limit is the gateway's business, not the client's: no 429 leaks out.
  auto again = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(again);
  CHECK(again.header("x-switchyard-provider") == "b");
}

TEST_CASE("failover: a dead first target (connection refused) is served by the second") {
  temp_dir dir;
  std::string dead_url;
  std::uint16_t dead_port = 0;
  {
    mock_provider dead(dir, "dead");
    dead_port = dead.port();
    dead_url = dead.base_url();
    dead.stop();
  }
  REQUIRE(eventually([&] { return !can_connect(dead_port); }));
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, dead_url, b.base_url()));

  for (int i = 0; i < 3; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(r);
    CHECK(r.header("x-switchyard-provider") == "b");
  }
}

TEST_CASE("failover: a connection reset before any response byte is served by the second") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"reset"})"));
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(a.requests_total() >= 1);
}

TEST_CASE("failover: a first target that hangs past first_byte_timeout is served by the second") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"hang"})"));
  mock_provider b(dir, "b");
  gateway gw(
      dir, two_target_config(dir, a.base_url(), b.base_url(), {{"first_byte_timeout_ms", "300"}}));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "b");
  CHECK(a.requests_total() >= 1);
}

TEST_CASE("failover: every target answering 503 gives the client 502") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"status","status":503})"));
  mock_provider b(dir, "b", mock_options().fault(R"({"kind":"status","status":503})"));
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_openai_error(r, 502);
  CHECK(a.requests_total() >= 1);
  CHECK(b.requests_total() >= 1);
  // Nothing about the upstreams' credentials leaks into the message.
  CHECK(r.body.find("sk-upstream-itest") == std::string::npos);

  SECTION("a stream gets the same 502 before anything is committed") {
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    CHECK(s.status() == 502);
    CHECK_FALSE(s.is_event_stream());
    CHECK(s.body().find("\"error\"") != std::string::npos);
  }
  SECTION("the gateway serves again once the upstream recovers") {
    b.clear_faults();
    auto ok = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(ok);
    CHECK(ok.header("x-switchyard-provider") == "b");
  }
}

TEST_CASE("failover: every target timing out gives the client 504") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"hang"})"));
  mock_provider b(dir, "b", mock_options().fault(R"({"kind":"hang"})"));
  gateway gw(dir,
             two_target_config(dir, a.base_url(), b.base_url(), {{"first_byte_timeout_ms", "300"}},
                               {{"first_byte_timeout_ms", "300"}}));

  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_openai_error(r, 504);
  CHECK(a.requests_total() >= 1);
  CHECK(b.requests_total() >= 1);
}

TEST_CASE("failover: a fault plan changed at run time takes effect on the next request") {
  temp_dir dir;
  mock_provider a(dir, "a");
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  auto first = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(first);
  CHECK(first.header("x-switchyard-provider") == "a");

  a.set_faults(R"([{"kind":"status","status":500}])");
  auto second = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(second);
  CHECK(second.header("x-switchyard-provider") == "b");
}

TEST_CASE("failover: a non-stream answer cut mid-body never reaches the client truncated") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"cut","stream":false})"));
  mock_provider b(dir, "b");
  gateway gw(dir, two_target_config(dir, a.base_url(), b.base_url()));

  // Either the gateway buffered the broken body and failed over (200 from b), or it reports the
  // failure (502); a 200 with half a JSON body is the one wrong answer.
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  INFO(r.status << " " << r.body);
  if (r.status == 200) {
    require_chat_completion(r);
    CHECK(r.header("x-switchyard-provider") == "b");
  } else {
    require_openai_error(r, 502);
  }
  CHECK(a.requests_total() >= 1);
}
