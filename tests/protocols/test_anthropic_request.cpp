// Tests for Anthropic Messages requests <-> canonical: the golden round trip keeps every field,
// the decoded model (tool results, interleaved blocks, thinking), errors naming the field, the
// passthrough encoder, and OpenAI requests translated to Anthropic (golden, refused, dropped).
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

canonical_request decode_ok(std::string_view body) {
  auto r = decode_anthropic_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

std::string param_of(std::string_view body) {
  auto r = decode_anthropic_request(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == gateway_error::bad_request);
  CHECK_FALSE(r.error().message.empty());
  return r.error().param;
}

canonical_request openai(std::string_view body) {
  auto r = decode_openai_chat_request(body);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string anthropic_ok(const canonical_request& req, anthropic_encode_options opts = {}) {
  auto r = encode_anthropic_request(req, "claude-sonnet-4-5", opts);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  CHECK(r.value().dropped.empty());
  return std::move(r.value().body);
}

std::string refused_param(const canonical_request& req) {
  auto r = encode_anthropic_request(req, "claude-sonnet-4-5");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == gateway_error::bad_request);
  CHECK(r.error().message.find(r.error().param) != std::string::npos);
  return r.error().param;
}

std::string chat(const std::string& extra) {
  return R"({"model":"m","messages":[{"role":"user","content":"hi"}])" +
         (extra.empty() ? "" : "," + extra) + "}";
}

}  // namespace

TEST_CASE("an Anthropic request survives Anthropic -> canonical -> Anthropic with every field",
          "[anthropic_request][golden]") {
  const auto body = vectors::load("anthropic_request_full.json");
  const auto req = decode_ok(body);
  const auto out = anthropic_ok(req);
  CHECK(vectors::normalized(out) == vectors::normalized(body));
  CHECK(anthropic_ok(decode_ok(out)) == out);
  const auto tools = vectors::load("anthropic_request_tools.json");
  CHECK(vectors::normalized(anthropic_ok(decode_ok(tools))) == vectors::normalized(tools));
}

TEST_CASE("the Anthropic decoder fills the canonical model", "[anthropic_request][golden]") {
  const auto req = decode_ok(vectors::load("anthropic_request_full.json"));
  CHECK(req.origin == dialect::anthropic);
  CHECK(req.model == "claude-sonnet-4-5");
  CHECK(req.max_tokens == 16000u);
  REQUIRE(req.messages.size() == 7);
  const auto& sys = req.messages[0];
  CHECK(sys.role == message_role::system);
  REQUIRE(sys.content.size() == 2);
  CHECK(sys.content[1].extras.size() == 1);
  const auto& user = req.messages[1];
  REQUIRE(user.content.size() == 4);
  CHECK(user.content[0].kind == part_kind::image_base64);
  CHECK(user.content[0].media_type == "image/jpeg");
  CHECK(user.content[1].kind == part_kind::image_url);
  CHECK(user.content[2].kind == part_kind::opaque);
  const auto& assistant = req.messages[2];
  REQUIRE(assistant.content.size() == 4);
  CHECK(assistant.content[0].kind == part_kind::thinking);
  CHECK(assistant.content[0].signature == "EqQBCgIYAhIM1gbcDa9GJwZA2b3h");
  CHECK(assistant.content[1].kind == part_kind::redacted_thinking);
  REQUIRE(assistant.tool_calls.size() == 2);
  CHECK(assistant.tool_calls[0].position == 3);  // after thinking, redacted thinking, text
  CHECK(assistant.tool_calls[0].arguments ==
        R"({"location":"San Francisco, CA","unit":"celsius"})");
  CHECK(assistant.tool_calls[1].position == 4);
  CHECK(assistant.tool_calls[1].arguments == "{}");
  // One user turn, three canonical messages.
  CHECK(req.messages[3].role == message_role::tool);
  CHECK(req.messages[3].tool_call_id == "toolu_01A09q90qw90lq917835lq9");
  CHECK_FALSE(req.messages[3].joins_previous);
  CHECK(req.messages[4].role == message_role::tool);
  CHECK(req.messages[4].is_error == true);
  CHECK(req.messages[4].joins_previous);
  CHECK(req.messages[5].role == message_role::user);
  CHECK(req.messages[5].joins_previous);
  CHECK(req.messages[6].form == content_form::string);
  CHECK(req.stop == std::vector<std::string>{"\n\nHuman:"});
  CHECK(req.top_k == 40u);
  CHECK(req.stream);
  REQUIRE(req.tools.size() == 3);
  CHECK(req.tools[1].name == "get_time");
  CHECK_FALSE(req.tools[2].raw.empty());
  REQUIRE(req.tool_choice);
  CHECK(req.tool_choice->mode == tool_choice_mode::required);
  CHECK(req.parallel_tool_calls == false);
  CHECK(req.reasoning.thinking == true);
  CHECK(req.reasoning.budget_tokens == 10000u);
  CHECK(req.user == "13803d75-b4b5-4c3e-b2a2-6f21399b021b");
  REQUIRE(req.extras.size() == 1);
  CHECK(req.extras[0].key == "service_tier");
  CHECK(req.prompt_tokens_estimate > 10);
}

TEST_CASE("the passthrough encoder rewrites only the model", "[anthropic_request]") {
  const std::string body =
      R"({"max_tokens":5,"model":"gateway-name","messages":[{"role":"user","content":"hi"}],"x":1.5})";
  const auto req = decode_ok(body);
  CHECK(
      encode_anthropic_passthrough(req, "claude-up") ==
      R"({"max_tokens":5,"model":"claude-up","messages":[{"role":"user","content":"hi"}],"x":1.5})");
  canonical_request none;
  CHECK(encode_anthropic_passthrough(none, "m").empty());
}

TEST_CASE("Anthropic request errors name the field", "[anthropic_request]") {
  const std::string m = R"("model":"m","max_tokens":10,)";
  const std::string ok_msgs = R"("messages":[{"role":"user","content":"hi"}])";
  struct bad {
    std::string body;
    const char* param;
  };
  const bad cases[] = {
      {R"({"max_tokens":10,)" + ok_msgs + "}", "model"},
      {R"({"model":"","max_tokens":10,)" + ok_msgs + "}", "model"},
      {R"({"model":"m",)" + ok_msgs + "}", "max_tokens"},
      {R"({"model":"m","max_tokens":-5,)" + ok_msgs + "}", "max_tokens"},
      {"{" + m + R"("messages":[]})", "messages"},
      {"{" + m + R"("messages":[{"role":"system","content":"x"}]})", "messages[0].role"},
      {"{" + m + R"("messages":[{"role":"user"}]})", "messages[0].content"},
      {"{" + m + R"("messages":[{"role":"user","content":[{"text":"x"}]}]})",
       "messages[0].content[0].type"},
      {"{" + m + R"("messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "messages[0].content[0].text"},
      {"{" + m + R"("messages":[{"role":"user","content":[{"type":"image"}]}]})",
       "messages[0].content[0].source"},
      {"{" + m +
           R"("messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]})",
       "messages[0].content[0].source.media_type"},
      {"{" + m +
           R"("messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]})",
       "messages[0].content[0].tool_use_id"},
      {"{" + m +
           R"("messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":7}]}]})",
       "messages[0].content[0].content"},
      {"{" + m +
           R"("messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f"}]}]})",
       "messages[0].content[0].input"},
      {"{" + m +
           R"("messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[]}]}]})",
       "messages[0].content[0].input"},
      {"{" + m + R"("system":5,)" + ok_msgs + "}", "system"},
      {"{" + m + R"("system":[{"type":"text"}],)" + ok_msgs + "}", "system[0].text"},
      {"{" + m + R"("stop_sequences":"x",)" + ok_msgs + "}", "stop_sequences"},
      {"{" + m + R"("stop_sequences":[1],)" + ok_msgs + "}", "stop_sequences[0]"},
      {"{" + m + R"("temperature":"x",)" + ok_msgs + "}", "temperature"},
      {"{" + m + R"("top_k":1.5,)" + ok_msgs + "}", "top_k"},
      {"{" + m + R"("stream":"yes",)" + ok_msgs + "}", "stream"},
      {"{" + m + R"("tools":[{"description":"d","input_schema":{}}],)" + ok_msgs + "}",
       "tools[0].name"},
      {"{" + m + R"("tools":[{"name":"f"}],)" + ok_msgs + "}", "tools[0].input_schema"},
      {"{" + m + R"("tool_choice":"auto",)" + ok_msgs + "}", "tool_choice"},
      {"{" + m + R"("tool_choice":{"type":"sometimes"},)" + ok_msgs + "}", "tool_choice.type"},
      {"{" + m + R"("tool_choice":{"type":"tool"},)" + ok_msgs + "}", "tool_choice.name"},
      {"{" + m + R"("thinking":{"type":"enabled"},)" + ok_msgs + "}", "thinking.budget_tokens"},
      {"{" + m + R"("thinking":{"budget_tokens":1024},)" + ok_msgs + "}", "thinking.type"},
      {"{" + m + R"("metadata":{"user_id":7},)" + ok_msgs + "}", "metadata.user_id"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    CHECK(param_of(c.body) == c.param);
  }
  CHECK(param_of("{").empty());
  CHECK(param_of("\"str\"").empty());
}

TEST_CASE("an OpenAI request comes out as the golden Anthropic request",
          "[anthropic_request][golden]") {
  const auto req = openai(vectors::load("openai_request_tools.json"));
  CHECK(vectors::normalized(anthropic_ok(req)) ==
        vectors::normalized(vectors::load("anthropic_from_openai_tools.json")));
}

TEST_CASE("what Anthropic cannot honour is refused, or dropped and listed", "[anthropic_request]") {
  const auto req = openai(vectors::load("openai_request_full.json"));
  CHECK(refused_param(req) == "messages[2].content[1].image_url.detail");
  anthropic_encode_options opts;
  opts.drop_unsupported = true;
  auto r = encode_anthropic_request(req, "claude-sonnet-4-5", opts);
  REQUIRE(r.ok());
  CHECK(r.value().dropped == std::vector<std::string>{"messages[2].content[1].image_url.detail",
                                                      "messages[2].content[3]",
                                                      "messages[2].name",
                                                      "messages[5].reasoning_content",
                                                      "n",
                                                      "seed",
                                                      "frequency_penalty",
                                                      "presence_penalty",
                                                      "response_format",
                                                      "tools[0].function.strict",
                                                      "tools[1]",
                                                      "reasoning_effort",
                                                      "stream_options.include_obfuscation",
                                                      "logit_bias",
                                                      "logprobs",
                                                      "top_logprobs",
                                                      "metadata",
                                                      "store",
                                                      "service_tier",
                                                      "vendor_extension"});
  const auto d = vectors::parse(r.value().body);
  CHECK(d["max_tokens"].GetDouble() == 1024);
  CHECK(d["system"].IsArray());
  CHECK(d["system"].Size() == 2);
  CHECK(d["messages"][0]["content"][2]["source"]["type"] == "base64");
  CHECK(d["messages"][0]["content"].Size() == 3);  // text, two images; audio dropped
  CHECK(d["tool_choice"]["type"] == "tool");
  CHECK(d["tool_choice"]["disable_parallel_tool_use"].GetBool());
  CHECK(d["metadata"]["user_id"] == "user-1234");
  CHECK_FALSE(d.HasMember("thinking"));
}

TEST_CASE("sampling fields Anthropic lacks are refused one by one", "[anthropic_request]") {
  CHECK(refused_param(openai(chat(R"("n":2)"))) == "n");
  CHECK(refused_param(openai(chat(R"("seed":1)"))) == "seed");
  CHECK(refused_param(openai(chat(R"("temperature":1.5)"))) == "temperature");
  CHECK(refused_param(openai(chat(R"("presence_penalty":0.1)"))) == "presence_penalty");
  CHECK(refused_param(openai(chat(R"("logit_bias":{"1":2})"))) == "logit_bias");
  CHECK(refused_param(openai(chat(R"("logprobs":true)"))) == "logprobs");
  CHECK(refused_param(openai(chat(R"("response_format":{"type":"json_object"})"))) ==
        "response_format");
  CHECK(refused_param(openai(chat(R"("":1)"))) == R"("")");  // an empty name is still named
  // Values that ask for nothing beyond the default are honoured by leaving them out.
  const auto out = vectors::parse(anthropic_ok(openai(
      chat(R"("n":1,"presence_penalty":0,"logprobs":false,"store":false,"logit_bias":null,)"
           R"("response_format":{"type":"text"},"temperature":1,"parallel_tool_calls":true)"))));
  CHECK_FALSE(out.HasMember("n"));
  CHECK_FALSE(out.HasMember("logprobs"));
  CHECK_FALSE(out.HasMember("tool_choice"));
  CHECK(out["temperature"].GetDouble() == 1);
  CHECK(out["max_tokens"].GetDouble() == 4096);  // the default: Anthropic requires one
}

TEST_CASE("reasoning effort becomes a thinking budget below max_tokens", "[anthropic_request]") {
  const auto budget = [](const std::string& extra) {
    const auto d = vectors::parse(anthropic_ok(openai(chat(extra))));
    return d.HasMember("thinking") ? d["thinking"]["budget_tokens"].GetUint() : 0u;
  };
  CHECK(budget(R"("reasoning_effort":"high","max_tokens":30000)") == 24576);
  CHECK(budget(R"("reasoning_effort":"medium","max_tokens":30000)") == 8192);
  CHECK(budget(R"("reasoning_effort":"high","max_tokens":2000)") == 1999);
  CHECK(budget(R"("reasoning_effort":"high")") == 4095);  // under the default max_tokens
  CHECK(budget(R"("reasoning_effort":"minimal")") == 0);
  CHECK(refused_param(openai(chat(R"("reasoning_effort":"low","max_tokens":1000)"))) ==
        "reasoning_effort");
  CHECK(refused_param(openai(chat(R"("reasoning_effort":"galaxy-brain")"))) == "reasoning_effort");
}

TEST_CASE("tool calls need object arguments and tool choices need tools", "[anthropic_request]") {
  const auto bad_args = openai(
      R"({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1,2]"}}]}]})");
  CHECK(refused_param(bad_args) == "messages[1].tool_calls[0].function.arguments");
  anthropic_encode_options drop;
  drop.drop_unsupported = true;  // not a droppable field: the call itself is malformed
  CHECK_FALSE(encode_anthropic_request(bad_args, "m", drop).ok());

  const auto no_tools = vectors::parse(anthropic_ok(openai(chat(R"("tool_choice":"none")"))));
  CHECK_FALSE(no_tools.HasMember("tool_choice"));
  const auto sequential = vectors::parse(anthropic_ok(openai(chat(
      R"("tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false)"))));
  CHECK(sequential["tool_choice"]["type"] == "auto");
  CHECK(sequential["tool_choice"]["disable_parallel_tool_use"].GetBool());
  CHECK(sequential["tools"][0]["input_schema"]["type"] == "object");
}

TEST_CASE("consecutive tool results share one user turn; an empty assistant text is skipped",
          "[anthropic_request]") {
  const auto d = vectors::parse(anthropic_ok(openai(
      R"({"model":"m","messages":[{"role":"user","content":"hi"},)"
      R"({"role":"assistant","content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":""}}]},)"
      R"({"role":"tool","tool_call_id":"a","content":[{"type":"text","text":"r1"},{"type":"text","text":"r2"}]},)"
      R"({"role":"user","content":"next"}]})")));
  REQUIRE(d["messages"].Size() == 4);
  CHECK(d["messages"][1]["content"].Size() == 1);
  CHECK(d["messages"][1]["content"][0]["input"].ObjectEmpty());
  CHECK(d["messages"][2]["content"][0]["content"].Size() == 2);
  CHECK(d["messages"][3]["content"] == "next");
}
