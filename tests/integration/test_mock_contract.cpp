// The standalone mock provider's own contract, checked directly (no gateway): when a gateway
// test fails, these tell whether the fake upstream or the gateway is at fault.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

TEST_CASE("mock contract: answers chat, streams with and without usage, embeddings and models") {
  temp_dir dir;
  mock_provider mock(dir, "m", mock_options().reply_tokens(5));

  auto r = post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {});
  require_chat_completion(r);

  {
    sse_stream s(mock.port(), "/v1/chat/completions", chat_body("mock-gpt", true), {});
    REQUIRE(s.status() == 200);
    auto sum = summarize(s.rest());
    CHECK(sum.done);
    CHECK(sum.usage_chunks == 0);
    CHECK(sum.content_chunks == 5);
    CHECK(s.end_reason() == "complete");
  }
  {
    sse_stream s(mock.port(), "/v1/chat/completions",
                 chat_body("mock-gpt", true, R"("stream_options":{"include_usage":true})"), {});
    auto sum = summarize(s.rest());
    CHECK(sum.done);
    CHECK(sum.usage_chunks == 1);
    CHECK(sum.usage_last);
  }
  auto e = post_json(mock.port(), "/v1/embeddings", R"({"model":"e","input":"x"})", {});
  CHECK(e.status == 200);
  auto m = get(mock.port(), "/v1/models");
  CHECK(m.status == 200);
  CHECK(mock.requests_total() == 5);
}

TEST_CASE("mock contract: fault plans from the command line and the admin API") {
  temp_dir dir;
  mock_provider mock(
      dir, "m",
      mock_options().fault(R"({"kind":"status","status":503,"retry_after":2,"count":1})"));

  auto first = post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {});
  CHECK(first.status == 503);
  CHECK(first.header("retry-after") == "2");
  auto second = post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {});
  CHECK(second.status == 200);

  mock.set_faults(R"([{"kind":"status","status":429}])");
  CHECK(post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {}).status == 429);
  CHECK(post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {}).status == 429);
  mock.clear_faults();
  CHECK(post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), {}).status == 200);

  mock.set_faults(R"([{"kind":"cut","after_tokens":2,"stream":true}])");
  sse_stream s(mock.port(), "/v1/chat/completions", chat_body("mock-gpt", true), {});
  REQUIRE(s.status() == 200);
  auto sum = summarize(s.rest());
  CHECK_FALSE(sum.done);
  CHECK(sum.content_chunks == 2);
  CHECK(s.end_reason() != "complete");
}

TEST_CASE("mock contract: --api-key is enforced") {
  temp_dir dir;
  mock_provider mock(dir, "m", mock_options().api_key("sk-up"));
  CHECK(post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), "sk-wrong").status ==
        401);
  CHECK(post_json(mock.port(), "/v1/chat/completions", chat_body("mock-gpt"), "sk-up").status ==
        200);
}
