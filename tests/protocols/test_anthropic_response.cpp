// Tests for non-streaming responses between Anthropic and OpenAI: golden round trips in each
// dialect, translation both ways (usage with cache counts, thinking, tool calls), errors.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

canonical_response anthropic_resp(std::string_view body) {
  auto r = decode_anthropic_response(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

canonical_response openai_resp(std::string_view body) {
  auto r = decode_openai_chat_response(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

}  // namespace

TEST_CASE("an Anthropic response decodes with normalized usage", "[anthropic_response][golden]") {
  const auto resp = anthropic_resp(vectors::load("anthropic_response_tool_use.json"));
  CHECK(resp.origin == dialect::anthropic);
  CHECK(resp.id == "msg_01Aq9w938a90dw8q");
  CHECK(resp.model == "claude-sonnet-4-5-20250929");
  REQUIRE(resp.choices.size() == 1);
  const auto& c = resp.choices[0];
  CHECK(c.finish == finish_reason::tool_calls);
  CHECK(c.raw_finish == "tool_use");
  REQUIRE(c.content.size() == 2);
  CHECK(c.content[0].kind == part_kind::thinking);
  CHECK(c.content[0].signature == "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve");
  REQUIRE(c.tool_calls.size() == 1);
  CHECK(c.tool_calls[0].position == 2);
  CHECK(c.tool_calls[0].arguments == R"({"location":"San Francisco, CA","unit":"celsius"})");
  CHECK(resp.usage.reported);
  CHECK(resp.usage.prompt_tokens == 2095 + 100 + 1000);
  CHECK(resp.usage.cached_tokens == 1000);
  CHECK(resp.usage.cache_creation_tokens == 100);
  CHECK(resp.usage.completion_tokens == 503);
}

TEST_CASE("responses survive a round trip in their own dialect", "[anthropic_response][golden]") {
  const auto anthropic = vectors::load("anthropic_response_tool_use.json");
  auto a = encode_anthropic_response(anthropic_resp(anthropic));
  REQUIRE(a.ok());
  CHECK(a.value().dropped.empty());
  CHECK(vectors::normalized(a.value().body) == vectors::normalized(anthropic));

  const auto openai = vectors::load("openai_response_tool_calls.json");
  auto o = encode_openai_chat_response(openai_resp(openai));
  REQUIRE(o.ok());
  CHECK(o.value().dropped.empty());
  CHECK(vectors::normalized(o.value().body) == vectors::normalized(openai));
}

TEST_CASE("an Anthropic response becomes the golden OpenAI response",
          "[anthropic_response][golden]") {
  openai_response_options opts;
  opts.created = 1700000000;
  auto o = encode_openai_chat_response(
      anthropic_resp(vectors::load("anthropic_response_tool_use.json")), opts);
  REQUIRE(o.ok());
  CHECK(vectors::normalized(o.value().body) ==
        vectors::normalized(vectors::load("openai_from_anthropic_response.json")));
  CHECK(o.value().dropped == std::vector<std::string>{"choices[0].content[0].signature"});
  opts.model = "gateway-model";
  auto renamed = encode_openai_chat_response(
      anthropic_resp(vectors::load("anthropic_response_tool_use.json")), opts);
  CHECK(vectors::parse(renamed.value().body)["model"] == "gateway-model");
}

TEST_CASE("an OpenAI response becomes the golden Anthropic response",
          "[anthropic_response][golden]") {
  auto a = encode_anthropic_response(openai_resp(vectors::load("openai_response_tool_calls.json")));
  REQUIRE(a.ok());
  CHECK(vectors::normalized(a.value().body) ==
        vectors::normalized(vectors::load("anthropic_from_openai_response.json")));
  CHECK(a.value().dropped == std::vector<std::string>{"service_tier", "system_fingerprint",
                                                      "choices[0].message.annotations"});
}

TEST_CASE("OpenAI reasoning, text and stop reasons reach Anthropic clients",
          "[anthropic_response]") {
  const auto resp = openai_resp(
      R"({"id":"c","created":5,"model":"deepseek-reasoner","choices":[{"index":0,"message":)"
      R"({"role":"assistant","content":"4","reasoning_content":"2+2"},"finish_reason":"length"},)"
      R"({"index":1,"message":{"role":"assistant","content":"four"},"finish_reason":"stop"}]})");
  auto a = encode_anthropic_response(resp, {"", "fallback"});
  REQUIRE(a.ok());
  const auto d = vectors::parse(a.value().body);
  CHECK(d["id"] == "c");
  CHECK(d["content"][0]["type"] == "thinking");
  CHECK(d["content"][0]["thinking"] == "2+2");
  CHECK(d["content"][0]["signature"] == "");
  CHECK(d["content"][1]["text"] == "4");
  CHECK(d["stop_reason"] == "max_tokens");
  CHECK(d["usage"]["input_tokens"].GetDouble() == 0);  // the upstream reported no usage
  CHECK(a.value().dropped == std::vector<std::string>{"choices[1]"});
}

TEST_CASE("response decoders and encoders report upstream faults as 502s naming the field",
          "[anthropic_response]") {
  struct bad {
    const char* body;
    const char* param;
  };
  const bad anthropic_cases[] = {
      {R"({"id":"m","type":"message"})", "content"},
      {R"({"content":[{"type":"tool_use","id":"t","name":"f"}]})", "content[0].input"},
      {R"({"content":[{"type":"text"}]})", "content[0].text"},
      {R"({"content":[],"usage":[]})", "usage"},
      {R"({"content":[],"stop_reason":1})", "stop_reason"},
  };
  for (const auto& c : anthropic_cases) {
    CAPTURE(c.body);
    auto r = decode_anthropic_response(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == gateway_error::upstream_failed);
    CHECK(r.error().param == c.param);
  }
  const bad openai_cases[] = {
      {R"({"id":"x"})", "choices"},
      {R"({"choices":[1]})", "choices[0]"},
      {R"({"choices":[{"message":{"content":5}}]})", "choices[0].message.content"},
      {R"({"choices":[{"message":{"tool_calls":[{"id":"c"}]}}]})",
       "choices[0].message.tool_calls[0].function"},
      {R"({"choices":[{"finish_reason":3}]})", "choices[0].finish_reason"},
  };
  for (const auto& c : openai_cases) {
    CAPTURE(c.body);
    auto r = decode_openai_chat_response(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == gateway_error::upstream_failed);
    CHECK(r.error().param == c.param);
  }
  CHECK(decode_openai_chat_response("<html>").error().code == gateway_error::upstream_failed);
  CHECK(decode_anthropic_response("").error().code == gateway_error::upstream_failed);

  // Arguments that are not an object cannot become an Anthropic `input`.
  const auto resp = openai_resp(
      R"({"id":"c","choices":[{"message":{"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":"tool_calls"}]})");
  auto a = encode_anthropic_response(resp);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == gateway_error::upstream_failed);
  CHECK(a.error().param == "choices[0].message.tool_calls[0].function.arguments");
}

TEST_CASE("the Anthropic stream error event", "[anthropic_response]") {
  const auto ev =
      anthropic_stream_error_event(make_error(gateway_error::upstream_failed, "cut \"short\""));
  CHECK(ev.rfind("event: error\ndata: ", 0) == 0);
  CHECK(ev.substr(ev.size() - 2) == "\n\n");
  const auto d = vectors::parse(ev.substr(19, ev.size() - 21));
  CHECK(d["type"] == "error");
  CHECK(d["error"]["type"] == "api_error");
  CHECK(d["error"]["message"] == "cut \"short\"");
}
