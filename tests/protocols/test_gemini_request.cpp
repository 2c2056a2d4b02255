// Tests for canonical -> Gemini requests: golden translations of OpenAI and Anthropic requests,
// the URL path, what Gemini cannot honour (refused or dropped), tool result naming and merging.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

canonical_request openai(std::string_view body) {
  auto r = decode_openai_chat_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return std::move(r).value();
}

canonical_request anthropic(std::string_view body) {
  auto r = decode_anthropic_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return std::move(r).value();
}

gemini_request gemini_ok(const canonical_request& req, gemini_encode_options opts = {}) {
  auto r = encode_gemini_request(req, "gemini-2.5-flash", opts);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

std::string refused_param(const canonical_request& req) {
  auto r = encode_gemini_request(req, "gemini-2.5-flash");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == gateway_error::bad_request);
  return r.error().param;
}

std::string chat(const std::string& extra) {
  return R"({"model":"m","messages":[{"role":"user","content":"hi"}])" +
         (extra.empty() ? "" : "," + extra) + "}";
}

}  // namespace

TEST_CASE("an OpenAI request comes out as the golden Gemini request", "[gemini_request][golden]") {
  const auto out = gemini_ok(openai(vectors::load("openai_request_tools.json")));
  CHECK(out.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  CHECK(out.dropped.empty());
  CHECK(vectors::normalized(out.body) ==
        vectors::normalized(vectors::load("gemini_from_openai_tools.json")));
  auto unary = openai(vectors::load("openai_request_tools.json"));
  unary.stream = false;
  CHECK(gemini_ok(unary).path == "/v1beta/models/gemini-2.5-flash:generateContent");
}

TEST_CASE("an Anthropic request comes out as the golden Gemini request",
          "[gemini_request][golden]") {
  const auto req = anthropic(vectors::load("anthropic_request_tools.json"));
  CHECK(refused_param(req) == "metadata.user_id");
  gemini_encode_options opts;
  opts.drop_unsupported = true;
  const auto out = gemini_ok(req, opts);
  CHECK(out.dropped == std::vector<std::string>{"metadata.user_id"});
  CHECK(vectors::normalized(out.body) ==
        vectors::normalized(vectors::load("gemini_from_anthropic_tools.json")));
}

TEST_CASE("what Gemini cannot honour is refused, or dropped and listed", "[gemini_request]") {
  const auto req = openai(vectors::load("openai_request_full.json"));
  CHECK(refused_param(req) == "messages[2].name");
  gemini_encode_options opts;
  opts.drop_unsupported = true;
  const auto out = gemini_ok(req, opts);
  CHECK(out.dropped ==
        std::vector<std::string>{
            "messages[2].name", "messages[2].content[1].image_url.detail", "messages[2].content[3]",
            "messages[5].reasoning_content", "tools[0].function.strict", "tools[1]",
            "parallel_tool_calls", "user", "stream_options.include_obfuscation", "logit_bias",
            "logprobs", "top_logprobs", "metadata", "store", "service_tier", "vendor_extension"});
  const auto d = vectors::parse(out.body);
  const auto& gc = d["generationConfig"];
  CHECK(gc["temperature"].GetDouble() == 0.7);
  CHECK(gc["topP"].GetDouble() == 0.95);
  CHECK(gc["maxOutputTokens"].GetDouble() == 1024);
  CHECK(gc["candidateCount"].GetDouble() == 2);
  CHECK(gc["seed"].GetDouble() == 4242);
  CHECK(gc["presencePenalty"].GetDouble() == -0.25);
  CHECK(gc["frequencyPenalty"].GetDouble() == 0.5);
  CHECK(gc["stopSequences"].Size() == 2);
  CHECK(gc["responseMimeType"] == "application/json");
  CHECK(gc["responseJsonSchema"]["type"] == "object");
  CHECK(gc["thinkingConfig"]["thinkingBudget"].GetDouble() == 8192);
  CHECK(gc["thinkingConfig"]["includeThoughts"].GetBool());
  CHECK(d["systemInstruction"]["parts"].Size() == 2);
  CHECK(d["toolConfig"]["functionCallingConfig"]["mode"] == "ANY");
  CHECK(d["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"][0] ==
        "get_current_weather");
  const auto& contents = d["contents"];
  REQUIRE(contents.Size() == 5);
  CHECK(contents[0]["parts"][1]["fileData"]["fileUri"] ==
        "https://upload.wikimedia.org/wikipedia/commons/boardwalk.jpg");
  CHECK(contents[0]["parts"][2]["inlineData"]["mimeType"] == "image/png");
  CHECK(contents[1]["parts"][0]["functionCall"]["args"]["unit"] == "celsius");
  CHECK(contents[2]["parts"][0]["functionResponse"]["name"] == "get_current_weather");
  CHECK(contents[3]["role"] == "model");
  CHECK(contents[3]["parts"].Size() == 1);  // the reasoning was dropped
}

TEST_CASE("Gemini sampling edge cases", "[gemini_request]") {
  CHECK(refused_param(openai(chat(R"("seed":4294967296)"))) == "seed");
  CHECK(refused_param(openai(chat(R"("parallel_tool_calls":false)"))) == "parallel_tool_calls");
  CHECK(refused_param(openai(chat(R"("reasoning_effort":"ultra")"))) == "reasoning_effort");
  CHECK(refused_param(openai(chat(R"("logprobs":true)"))) == "logprobs");
  const auto minimal =
      vectors::parse(gemini_ok(openai(chat(R"("reasoning_effort":"minimal")"))).body);
  CHECK(minimal["generationConfig"]["thinkingConfig"]["thinkingBudget"].GetDouble() == 0);
  CHECK_FALSE(minimal["generationConfig"]["thinkingConfig"].HasMember("includeThoughts"));
  const auto plain = vectors::parse(gemini_ok(openai(chat(""))).body);
  CHECK_FALSE(plain.HasMember("generationConfig"));
  CHECK_FALSE(plain.HasMember("tools"));
  CHECK_FALSE(plain.HasMember("systemInstruction"));
  gemini_encode_options legacy;
  legacy.openapi_schemas = true;
  legacy.api_version = "v1";
  const auto schemas = gemini_ok(
      openai(chat(
          R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],)"
          R"("response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"string"}}})")),
      legacy);
  CHECK(schemas.path == "/v1/models/gemini-2.5-flash:generateContent");
  const auto d = vectors::parse(schemas.body);
  CHECK(d["tools"][0]["functionDeclarations"][0]["parameters"]["type"] == "object");
  CHECK(d["generationConfig"]["responseSchema"]["type"] == "string");
}

TEST_CASE("Gemini tool results are named after their call and grouped per turn",
          "[gemini_request]") {
  CHECK(
      refused_param(openai(
          R"({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"nope","content":"x"}]})")) ==
      "messages[1].tool_call_id");
  CHECK(
      refused_param(openai(
          R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"1"}}]}]})")) ==
      "messages[0].tool_calls[0].function.arguments");
  // An Anthropic error result becomes {"error": …}; two user turns in a row become one content.
  gemini_encode_options opts;
  opts.drop_unsupported = true;
  const auto out = gemini_ok(anthropic(vectors::load("anthropic_request_full.json")), opts);
  const auto d = vectors::parse(out.body);
  const auto& contents = d["contents"];
  REQUIRE(contents.Size() == 4);
  const auto& results = contents[2]["parts"];
  REQUIRE(results.Size() == 3);
  CHECK(results[0]["functionResponse"]["response"]["output"] == "15 degrees");
  CHECK(results[1]["functionResponse"]["name"] == "get_time");
  CHECK(results[1]["functionResponse"]["response"]["error"] ==
        "ConnectionError: the time service is down");
  CHECK(results[2]["text"] == "Thanks. Summarize.");
  CHECK(d["generationConfig"]["topK"].GetDouble() == 40);
  CHECK(d["generationConfig"]["thinkingConfig"]["thinkingBudget"].GetDouble() == 10000);
  CHECK(d["toolConfig"]["functionCallingConfig"]["mode"] == "ANY");
  const auto merged = vectors::parse(
      gemini_ok(
          openai(
              R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})"))
          .body);
  REQUIRE(merged["contents"].Size() == 1);
  CHECK(merged["contents"][0]["parts"].Size() == 2);
}
