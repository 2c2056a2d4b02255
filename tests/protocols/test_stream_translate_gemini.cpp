// Tests for Gemini upstream streams -> OpenAI chunks: golden vectors (text; thoughts and function
// calls) in any split, the end of a stream that has no terminal event, errors, blocked prompts,
// several candidates.
#include <catch2/catch.hpp>

#include "protocols/gemini_codec.hpp"
#include "protocols/gemini_to_openai_stream.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

stream_options options(bool include_usage, std::string_view seed = {}) {
  stream_options o;
  o.include_usage = include_usage;
  o.created = 1700000000;
  o.id_seed = seed;
  return o;
}

std::string frame(std::string_view json) {
  return "data: " + std::string(json) + "\r\n\r\n";
}

std::string feed_all(gemini_to_openai_stream& t, const std::string& in) {
  std::string out;
  t.feed(in, out);
  return out;
}

}  // namespace

TEST_CASE("the reference Gemini stream becomes the golden OpenAI chunks, in any split",
          "[stream_translate][gemini]") {
  const auto run = vectors::check_split_invariance(
      [] { return std::make_unique<gemini_to_openai_stream>(options(true)); },
      vectors::load("gemini_stream_text.sse"));
  vectors::check_same_events(run.out, vectors::load("openai_from_gemini_stream_text.sse"));
  CHECK(run.eof_ok);
  CHECK(run.state == relay_state::done);
  CHECK(run.events == 3);
  CHECK(run.usage.prompt_tokens == 8);
  CHECK(run.usage.completion_tokens == 37);
  CHECK(run.usage.reasoning_tokens == 16);
  CHECK(run.usage.cached_tokens == 2);
}

TEST_CASE("thoughts and function calls become the golden OpenAI chunks",
          "[stream_translate][gemini]") {
  const auto run = vectors::check_split_invariance(
      [] { return std::make_unique<gemini_to_openai_stream>(options(false)); },
      vectors::load("gemini_stream_function_call.sse"));
  const auto expected =
      vectors::replace_all(vectors::load("openai_from_gemini_stream_function_call.sse"), "$ID0",
                           gemini_tool_call_id("resp-fc-1", 0, 0));
  vectors::check_same_events(run.out, expected);
  CHECK(run.eof_ok);
  // A caller's seed names the generated ids instead of the response id.
  gemini_to_openai_stream seeded(options(false, "req-7"));
  const auto out = feed_all(seeded, vectors::load("gemini_stream_function_call.sse"));
  CHECK(out.find(gemini_tool_call_id("req-7", 0, 0)) != std::string::npos);
  CHECK(seeded.finish() == finish_reason::tool_calls);
}

TEST_CASE("a Gemini stream cut before its finish reason is broken", "[stream_translate][gemini]") {
  const auto in = vectors::load("gemini_stream_text.sse");
  gemini_to_openai_stream t(options(true));
  auto out = feed_all(t, in.substr(0, in.rfind("data: ")));
  const auto before = out;
  CHECK_FALSE(t.finish_eof(out));
  CHECK(out == before);
  CHECK(out.find("[DONE]") == std::string::npos);
  // A partial event at the end is a cut too, even after a finish reason.
  gemini_to_openai_stream partial(options(false));
  out = feed_all(partial, in + "data: {\"candidates\"");
  CHECK_FALSE(partial.finish_eof(out));
  // An empty stream is not a complete one.
  gemini_to_openai_stream empty(options(false));
  CHECK_FALSE(empty.finish_eof(out));
}

TEST_CASE("a Gemini error event becomes an OpenAI error event", "[stream_translate][gemini]") {
  gemini_to_openai_stream t(options(true));
  std::string out;
  CHECK(
      t.feed(
          frame(R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0}]})") +
              frame(
                  R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})"),
          out) == relay_state::upstream_error);
  const auto events = vectors::events_of(out);
  REQUIRE(events.size() == 3);
  const auto err = vectors::parse(events[2].data);
  CHECK(err["error"]["type"] == "UNAVAILABLE");
  CHECK(err["error"]["message"] == "The model is overloaded.");
  CHECK_FALSE(t.finish_eof(out));
}

TEST_CASE("a blocked prompt finishes with content_filter", "[stream_translate][gemini]") {
  gemini_to_openai_stream t(options(false, "req-1"));
  std::string out;
  t.feed(
      frame(
          R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":7}})"),
      out);
  CHECK(t.finish_eof(out));
  const auto events = vectors::events_of(out);
  REQUIRE(events.size() == 3);
  const auto role = vectors::parse(events[0].data);
  CHECK(role["id"] == "chatcmpl-" + gemini_tool_call_id("req-1", 0, 0).substr(5));
  CHECK(vectors::parse(events[1].data)["choices"][0]["finish_reason"] == "content_filter");
  CHECK(events[2].data == "[DONE]");
  CHECK(t.finish() == finish_reason::content_filter);
  CHECK(t.last_usage().prompt_tokens == 7);
}

TEST_CASE("several candidates stream as several choices", "[stream_translate][gemini]") {
  gemini_to_openai_stream t(options(false));
  std::string out;
  t.feed(
      frame(
          R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0},{"content":{"parts":[{"text":"b"}]},"index":1}]})") +
          frame(R"({"candidates":[{"finishReason":"STOP","index":0}]})"),
      out);
  std::string not_yet = out;
  CHECK_FALSE(t.finish_eof(not_yet));  // candidate 1 has not finished
  t.feed(
      frame(
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"STOP","index":1}]})"),
      out);
  CHECK(t.finish_eof(out));
  const auto events = vectors::events_of(out);
  REQUIRE(events.size() == 8);
  CHECK(vectors::parse(events[2].data)["choices"][0]["index"].GetUint() == 1);
  CHECK(vectors::parse(events[3].data)["choices"][0]["delta"]["content"] == "b");
  const auto doc = vectors::parse(events[5].data);
  const auto& call = doc["choices"][0];
  CHECK(call["index"].GetUint() == 1);
  CHECK(call["delta"]["tool_calls"][0]["function"]["arguments"] == "{}");
  CHECK(vectors::parse(events[6].data)["choices"][0]["finish_reason"] == "tool_calls");
}

TEST_CASE("malformed Gemini streams", "[stream_translate][gemini]") {
  for (const char* bad :
       {"not json", "[1,2]", R"({"candidates":[5]})", R"({"candidates":[{"index":"0"}]})",
        R"({"candidates":[{"index":100}]})",
        R"({"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]})",
        R"({"candidates":[{"content":{"parts":[7]}}]})"}) {
    CAPTURE(bad);
    gemini_to_openai_stream t(options(false));
    std::string out;
    CHECK(t.feed(frame(bad), out) == relay_state::malformed);
    CHECK_FALSE(t.finish_eof(out));
  }
  // Parts that carry nothing OpenAI can show are skipped, not fatal.
  gemini_to_openai_stream t(options(false));
  std::string out;
  CHECK(
      t.feed(
          frame(
              R"({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":""}]},"finishReason":"STOP"}]})"),
          out) == relay_state::open);
  CHECK(vectors::events_of(out).size() == 2);  // role and finish
}
