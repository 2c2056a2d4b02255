// Tests for the canonical model's shared vocabulary: finish reasons in every dialect, reasoning
// effort <-> thinking budget, the usage extension, Gemini paths and generated tool call ids.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <set>

#include "protocols/anthropic_codec.hpp"
#include "protocols/canonical.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/json_parse.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/usage.hpp"

using namespace switchyard::protocols;

TEST_CASE("dialect names", "[canonical]") {
  CHECK(dialect_name(dialect::openai) == "openai");
  CHECK(dialect_name(dialect::anthropic) == "anthropic");
  CHECK(dialect_name(dialect::gemini) == "gemini");
}

TEST_CASE("finish reasons are normalized from every dialect", "[canonical]") {
  CHECK(from_openai_finish("stop") == finish_reason::stop);
  CHECK(from_openai_finish("length") == finish_reason::length);
  CHECK(from_openai_finish("tool_calls") == finish_reason::tool_calls);
  CHECK(from_openai_finish("function_call") == finish_reason::tool_calls);
  CHECK(from_openai_finish("content_filter") == finish_reason::content_filter);
  CHECK(from_openai_finish("") == finish_reason::none);
  CHECK(from_openai_finish("eos") == finish_reason::other);

  CHECK(from_anthropic_stop("end_turn") == finish_reason::stop);
  CHECK(from_anthropic_stop("stop_sequence") == finish_reason::stop);
  CHECK(from_anthropic_stop("pause_turn") == finish_reason::stop);
  CHECK(from_anthropic_stop("max_tokens") == finish_reason::length);
  CHECK(from_anthropic_stop("model_context_window_exceeded") == finish_reason::length);
  CHECK(from_anthropic_stop("tool_use") == finish_reason::tool_calls);
  CHECK(from_anthropic_stop("refusal") == finish_reason::content_filter);
  CHECK(from_anthropic_stop("") == finish_reason::none);
  CHECK(from_anthropic_stop("something_new") == finish_reason::other);

  CHECK(from_gemini_finish("STOP") == finish_reason::stop);
  CHECK(from_gemini_finish("MAX_TOKENS") == finish_reason::length);
  for (const char* r : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                        "IMAGE_SAFETY", "LANGUAGE"}) {
    CAPTURE(r);
    CHECK(from_gemini_finish(r) == finish_reason::content_filter);
  }
  CHECK(from_gemini_finish("MALFORMED_FUNCTION_CALL") == finish_reason::other);
  CHECK(from_gemini_finish("OTHER") == finish_reason::other);
  CHECK(from_gemini_finish("FINISH_REASON_UNSPECIFIED") == finish_reason::none);
  CHECK(from_gemini_finish("") == finish_reason::none);
}

TEST_CASE("finish reasons are written in every client dialect", "[canonical]") {
  CHECK(openai_finish_reason(finish_reason::stop) == "stop");
  CHECK(openai_finish_reason(finish_reason::length) == "length");
  CHECK(openai_finish_reason(finish_reason::tool_calls) == "tool_calls");
  CHECK(openai_finish_reason(finish_reason::content_filter) == "content_filter");
  CHECK(openai_finish_reason(finish_reason::other) == "stop");
  CHECK(anthropic_stop_reason(finish_reason::stop) == "end_turn");
  CHECK(anthropic_stop_reason(finish_reason::length) == "max_tokens");
  CHECK(anthropic_stop_reason(finish_reason::tool_calls) == "tool_use");
  CHECK(anthropic_stop_reason(finish_reason::content_filter) == "refusal");
  CHECK(anthropic_stop_reason(finish_reason::other) == "end_turn");
}

TEST_CASE("reasoning effort and thinking budgets map both ways", "[canonical]") {
  CHECK(effort_budget("minimal") == 0u);
  CHECK(effort_budget("none") == 0u);
  CHECK(effort_budget("low") == 1024u);
  CHECK(effort_budget("medium") == 8192u);
  CHECK(effort_budget("high") == 24576u);
  CHECK_FALSE(effort_budget("extreme").has_value());
  CHECK(budget_effort(1024) == "low");
  CHECK(budget_effort(2048) == "low");
  CHECK(budget_effort(2049) == "medium");
  CHECK(budget_effort(12288) == "medium");
  CHECK(budget_effort(32000) == "high");
  // The mapping is consistent: each effort's budget maps back to the same effort.
  for (const char* e : {"low", "medium", "high"}) CHECK(budget_effort(*effort_budget(e)) == e);
}

TEST_CASE("usage gained cache creation tokens without breaking aggregate order", "[canonical]") {
  const usage u{12, 3, 4, 1, true};
  CHECK(u.prompt_tokens == 12);
  CHECK(u.reported);
  CHECK(u.cache_creation_tokens == 0);
  const usage v{1, 2, 3, 4, true, 5};
  CHECK(v.cache_creation_tokens == 5);
}

TEST_CASE("Gemini request paths", "[canonical][gemini]") {
  CHECK(gemini_request_path("gemini-2.5-flash", false) ==
        "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(gemini_request_path("models/gemini-2.5-flash", true) ==
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  CHECK(gemini_request_path("tuned/model x?", false, "v1") ==
        "/v1/models/tuned%2Fmodel%20x%3F:generateContent");
}

TEST_CASE("generated Gemini tool call ids are stable and distinct", "[canonical][gemini]") {
  const auto id = gemini_tool_call_id("req-1", 0, 0);
  CHECK(id.size() == 21);
  CHECK(id.rfind("call_", 0) == 0);
  CHECK(id.find_first_not_of("0123456789abcdef", 5) == std::string::npos);
  CHECK(gemini_tool_call_id("req-1", 0, 0) == id);
  std::set<std::string> seen;
  for (const char* seed : {"req-1", "req-2", ""}) {
    for (std::uint32_t c = 0; c < 3; ++c) {
      for (std::uint32_t n = 0; n < 50; ++n) seen.insert(gemini_tool_call_id(seed, c, n));
    }
  }
  CHECK(seen.size() == 3 * 3 * 50);
}

// RapidJSON 1.1's full-precision parser reads "0e240" as 1.8e221; the codecs parse numbers
// themselves (found by fuzz_anthropic_request).
TEST_CASE("numbers are parsed exactly, zeros with large exponents included", "[canonical][json]") {
  const auto number = [](std::string_view literal) {
    rapidjson::Document d;
    REQUIRE_FALSE(detail::parse_lossless(literal, d).IsError());
    return std::move(d);
  };
  CHECK(number("0e240").GetDouble() == 0.0);
  CHECK(number("-0e100").GetDouble() == 0.0);
  CHECK(std::signbit(number("-0e100").GetDouble()));
  CHECK(number("0.1").GetDouble() == 0.1);
  CHECK(number("1e-400").GetDouble() == 0.0);
  CHECK(number("2.2250738585072011e-308").GetDouble() == 2.2250738585072011e-308);
  CHECK(number("18446744073709551615").GetUint64() == 18446744073709551615ull);
  CHECK(number("18446744073709551616").GetDouble() == 18446744073709551616.0);
  CHECK(number("-9223372036854775808").GetInt64() == INT64_MIN);
  CHECK(number("42").IsUint());
  CHECK(number("-7").GetInt() == -7);
  CHECK(number(R"({"a":[1,2.5,"x",null,true,{"b":-0.0}]})")["a"][1].GetDouble() == 2.5);
  rapidjson::Document d;
  CHECK(detail::parse_lossless("1e400", d).Code() == rapidjson::kParseErrorNumberTooBig);
  CHECK(detail::parse_lossless("-1000000000000000000000e300", d).Code() ==
        rapidjson::kParseErrorNumberTooBig);
  CHECK(detail::parse_lossless("{\"a\":", d).IsError());
  CHECK(d.IsNull());

  auto req = decode_openai_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0e240,"top_p":1E-400})");
  REQUIRE(req.ok());
  CHECK(req.value().temperature == 0.0);
  CHECK(req.value().top_p == 0.0);
  auto big = decode_anthropic_request(
      R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":1e999})");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("too big") != std::string::npos);
}

// RapidJSON 1.1 decodes an escaped lone surrogate into bytes that are not UTF-8; the codecs refuse
// it instead of passing it on (found by fuzz_openai_response).
TEST_CASE("escaped lone surrogates are refused, surrogate pairs kept", "[canonical][json]") {
  auto lone = decode_openai_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"a\uDD89b"}]})");
  REQUIRE_FALSE(lone.ok());
  CHECK(lone.error().message.find("surrogate") != std::string::npos);
  auto key = decode_anthropic_response(R"({"content":[],"\uD800":1})");
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().code == gateway_error::upstream_failed);
  auto pair = decode_openai_chat_request(
      R"({"model":"m","messages":[{"role":"user","content":"\uD83D\uDE00"}]})");
  REQUIRE(pair.ok());
  CHECK(pair.value().messages[0].content[0].text == "\xF0\x9F\x98\x80");
}
