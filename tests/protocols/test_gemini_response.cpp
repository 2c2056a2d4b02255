// Tests for Gemini responses -> canonical -> OpenAI and Anthropic clients: golden translations,
// generated tool call ids, usage normalization, blocked prompts, several candidates, errors.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

canonical_response gemini(std::string_view body, std::string_view seed = {}) {
  auto r = decode_gemini_response(body, seed);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

std::string with_ids(std::string golden, std::string_view seed) {
  golden = vectors::replace_all(std::move(golden), "$ID0", gemini_tool_call_id(seed, 0, 0));
  return vectors::replace_all(std::move(golden), "$ID1", gemini_tool_call_id(seed, 0, 1));
}

}  // namespace

TEST_CASE("a Gemini response decodes into the canonical model", "[gemini_response][golden]") {
  const auto resp = gemini(vectors::load("gemini_response_function_call.json"));
  CHECK(resp.origin == dialect::gemini);
  CHECK(resp.id == "mAitaLmkHPPlz7IPvtfUqQ4");
  CHECK(resp.model == "gemini-2.5-flash");
  REQUIRE(resp.choices.size() == 1);
  const auto& c = resp.choices[0];
  CHECK(c.finish == finish_reason::tool_calls);  // STOP with function calls
  CHECK(c.raw_finish == "STOP");
  REQUIRE(c.content.size() == 2);
  CHECK(c.content[0].kind == part_kind::thinking);
  CHECK(c.content[0].signature == "CiQBVKhc7oc=");
  CHECK(c.content[1].text == "Checking both cities.");
  REQUIRE(c.tool_calls.size() == 2);
  CHECK(c.tool_calls[0].id == gemini_tool_call_id("mAitaLmkHPPlz7IPvtfUqQ4", 0, 0));
  CHECK(c.tool_calls[1].arguments == R"({"location":"Paris","days":2.5})");
  CHECK(resp.usage.prompt_tokens == 70);
  CHECK(resp.usage.completion_tokens == 65);
  CHECK(resp.usage.reasoning_tokens == 40);
  CHECK(resp.usage.cached_tokens == 32);
  // A caller-provided seed wins over the response id.
  CHECK(gemini(vectors::load("gemini_response_function_call.json"), "req-9")
            .choices[0]
            .tool_calls[1]
            .id == gemini_tool_call_id("req-9", 0, 1));
}

TEST_CASE("a Gemini response becomes the golden OpenAI response", "[gemini_response][golden]") {
  openai_response_options opts;
  opts.created = 1700000000;
  auto o = encode_openai_chat_response(gemini(vectors::load("gemini_response_function_call.json")),
                                       opts);
  REQUIRE(o.ok());
  CHECK(vectors::normalized(o.value().body) ==
        vectors::normalized(with_ids(vectors::load("openai_from_gemini_response.json"),
                                     "mAitaLmkHPPlz7IPvtfUqQ4")));
  CHECK(o.value().dropped ==
        std::vector<std::string>{"choices[0].content[0].signature", "choices[0].safetyRatings"});
}

TEST_CASE("a Gemini response becomes the golden Anthropic response", "[gemini_response][golden]") {
  auto a = encode_anthropic_response(gemini(vectors::load("gemini_response_function_call.json")));
  REQUIRE(a.ok());
  CHECK(vectors::normalized(a.value().body) ==
        vectors::normalized(with_ids(vectors::load("anthropic_from_gemini_response.json"),
                                     "mAitaLmkHPPlz7IPvtfUqQ4")));
  CHECK(a.value().dropped ==
        std::vector<std::string>{"choices[0].content[0].signature", "choices[0].safetyRatings"});
}

TEST_CASE("a blocked prompt and a truncated answer", "[gemini_response]") {
  const auto blocked = gemini(
      R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9}})");
  REQUIRE(blocked.choices.size() == 1);
  CHECK(blocked.choices[0].finish == finish_reason::content_filter);
  CHECK(blocked.choices[0].raw_finish == "SAFETY");
  const auto o = vectors::parse(encode_openai_chat_response(blocked).value().body);
  CHECK(o["choices"][0]["finish_reason"] == "content_filter");
  CHECK(o["choices"][0]["message"]["content"].IsNull());
  CHECK(o["usage"]["prompt_tokens"].GetDouble() == 9);
  const auto a = vectors::parse(encode_anthropic_response(blocked).value().body);
  CHECK(a["stop_reason"] == "refusal");
  CHECK(a["content"].Empty());

  const auto two = gemini(
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS"},)"
      R"({"content":{"parts":[{"text":"b"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},"finishReason":"RECITATION","index":1}]})");
  REQUIRE(two.choices.size() == 2);
  CHECK(two.choices[0].finish == finish_reason::length);
  CHECK(two.choices[1].finish == finish_reason::content_filter);
  CHECK(two.choices[1].index == 1);
  CHECK(two.choices[1].content[1].kind == part_kind::opaque);
  auto o2 = encode_openai_chat_response(two);
  REQUIRE(o2.ok());
  const auto d = vectors::parse(o2.value().body);
  CHECK(d["choices"].Size() == 2);
  CHECK(d["choices"][1]["message"]["content"] == "b");
  CHECK(o2.value().dropped == std::vector<std::string>{"choices[1].content[1]"});
}

TEST_CASE("Gemini response errors are 502s naming the field", "[gemini_response]") {
  struct bad {
    const char* body;
    const char* param;
  };
  const bad cases[] = {
      {R"({"candidates":{}})", "candidates"},
      {R"({"candidates":[7]})", "candidates[0]"},
      {R"({"candidates":[{"content":{"parts":[{"text":1}]}}]})",
       "candidates[0].content.parts[0].text"},
      {R"({"candidates":[{"content":{"parts":[{"functionCall":{"args":{}}}]}}]})",
       "candidates[0].content.parts[0].functionCall.name"},
      {R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[]}}]}}]})",
       "candidates[0].content.parts[0].functionCall.args"},
      {R"({"candidates":[{"finishReason":5}]})", "candidates[0].finishReason"},
      {R"({"usageMetadata":3})", "usageMetadata"},
      {R"({"promptFeedback":{"blockReason":2}})", "promptFeedback.blockReason"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto r = decode_gemini_response(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == gateway_error::upstream_failed);
    CHECK(r.error().param == c.param);
  }
  CHECK_FALSE(decode_gemini_response("[]").ok());
  // An event with usage only decodes to no choices.
  CHECK(gemini(R"({"usageMetadata":{"promptTokenCount":1}})").choices.empty());
}
