// Streaming faults: an upstream that breaks after commit (the client gets an error event and no
// [DONE]), one that breaks before commit (failover), and a slow first token.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

TEST_CASE(
    "streaming: an upstream cut mid-stream ends the client stream with an error event and no "
    "[DONE]") {
  temp_dir dir;
  // Paced tokens, so the gateway has relayed (committed) the first ones well before the cut.
  mock_provider a(dir, "a",
                  mock_options().tokens_per_second(20).reply_tokens(30).fault(
                      R"({"kind":"cut","after_tokens":3,"stream":true,"count":1})"));
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .render(dir));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  CHECK(s.header("x-switchyard-provider") == "a");
  auto first = s.next();
  REQUIRE(first);  // a byte reached the client: from here on there is no retry
  auto events = s.rest();
  events.insert(events.begin(), *first);
  INFO("end: " << s.end_reason() << ", events: " << events.size());
  auto sum = summarize(events);
  CHECK(sum.content_chunks >= 1);  // the client had tokens: the response was committed
  CHECK(sum.error_events == 1);
  CHECK_FALSE(sum.error_message.empty());
  CHECK_FALSE(sum.done);
  CHECK(sum.finish_reason.empty());
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().find("\"error\"") != std::string::npos);  // the error is the last word
  CHECK(b.requests_total() == 0);  // no retry after commit: b never saw the request

  // The fault fired once; the same gateway streams normally afterwards.
  sse_stream again(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(again.status() == 200);
  auto ok = summarize(again.rest());
  CHECK(ok.done);
  CHECK(ok.error_events == 0);
}

TEST_CASE("streaming: a connection reset before the first byte is retried on the next target") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().fault(R"({"kind":"reset","stream":true})"));
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url())
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .render(dir));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  CHECK(s.header("x-switchyard-provider") == "b");
  auto sum = summarize(s.rest());
  CHECK(sum.done);
  CHECK(sum.error_events == 0);
  CHECK(a.requests_total() >= 1);
}

TEST_CASE("streaming: a slow first token within first_byte_timeout is waited for") {
  temp_dir dir;
  mock_provider a(dir, "a", mock_options().ttft_ms(400));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"first_byte_timeout_ms", "5000"}})
                      .model("chat", {{"a", "mock-gpt"}})
                      .render(dir));

  auto start = steady::now();
  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  auto first = s.next();
  auto ttft = steady::now() - start;
  REQUIRE(first);
  CHECK(ttft >= 400ms);  // a lower bound only: the gateway cannot invent the first token
  auto sum = summarize(s.rest());
  CHECK(sum.done);
  CHECK(sum.error_events == 0);
}

TEST_CASE("streaming: a first token slower than first_byte_timeout fails over to the next target") {
  temp_dir dir;
  mock_provider a(dir, "a",
                  mock_options().fault(R"({"kind":"slow_first_token","ms":3000,"stream":true})"));
  mock_provider b(dir, "b");
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"first_byte_timeout_ms", "300"}})
                      .provider("b", b.base_url())
                      .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                      .render(dir));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  CHECK(s.header("x-switchyard-provider") == "b");
  auto sum = summarize(s.rest());
  CHECK(sum.done);
  CHECK(sum.error_events == 0);
  CHECK(a.requests_total() >= 1);
}

TEST_CASE("streaming: tokens are relayed as they arrive, not when the upstream stream ends") {
  temp_dir dir;
  // 5 tokens/s and 100 tokens: each upstream stream lasts about 20 s.
  mock_provider a(dir, "a", mock_options().tokens_per_second(5).reply_tokens(100));
  gateway gw(dir, config_builder()
                      .provider("a", a.base_url(), {{"first_byte_timeout_ms", "15000"}})
                      .model("chat", {{"a", "mock-gpt"}})
                      .render(dir));

  // Whether the upstream's head and first events share one TCP read is up to timing, so try a
  // few streams: every one must show its first events within seconds, not after ~20 s.
  for (int i = 0; i < 5; ++i) {
    INFO("stream " << i);
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key, 8s);
    REQUIRE(s.status() == 200);
    REQUIRE(s.next(8s));  // the role chunk
    REQUIRE(s.next(8s));  // the first token
    s.disconnect();
  }
}
