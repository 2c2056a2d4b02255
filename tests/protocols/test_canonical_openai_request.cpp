// Tests for OpenAI chat requests <-> canonical: the golden round trip keeps every field, the
// decoded model is right, errors name the field, and requests from Anthropic come out as OpenAI.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

canonical_request decode_ok(std::string_view body) {
  auto r = decode_openai_chat_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

error_info decode_err(std::string_view body) {
  auto r = decode_openai_chat_request(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == gateway_error::bad_request);
  CHECK_FALSE(r.error().message.empty());
  return r.error();
}

std::string encode_ok(const canonical_request& req, std::string_view model,
                      openai_encode_options opts = {}) {
  auto r = encode_openai_chat_request(req, model, opts);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  CHECK(r->dropped.empty());
  return std::move(r->body);
}

}  // namespace

TEST_CASE("an OpenAI request survives OpenAI -> canonical -> OpenAI with every field",
          "[openai_chat][golden]") {
  const auto body = vectors::load("openai_request_full.json");
  const auto req = decode_ok(body);
  openai_encode_options opts;
  opts.request_usage = false;
  const auto out = encode_ok(req, "gpt-4o", opts);
  CHECK(vectors::normalized(out) == vectors::normalized(body));
  // And again: encoding is a fixed point.
  CHECK(encode_ok(decode_ok(out), "gpt-4o", opts) == out);
}

TEST_CASE("the OpenAI decoder fills the canonical model", "[openai_chat][golden]") {
  const auto req = decode_ok(vectors::load("openai_request_full.json"));
  CHECK(req.origin == dialect::openai);
  CHECK(req.model == "gpt-4o");
  REQUIRE(req.messages.size() == 7);
  CHECK(req.messages[0].role == message_role::developer);
  CHECK(req.messages[0].form == content_form::string);
  CHECK(req.messages[1].role == message_role::system);
  CHECK(req.messages[1].form == content_form::parts);
  const auto& user = req.messages[2];
  CHECK(user.name == "alice");
  REQUIRE(user.content.size() == 4);
  CHECK(user.content[0].kind == part_kind::text);
  CHECK(user.content[1].kind == part_kind::image_url);
  CHECK(user.content[1].detail == "high");
  CHECK(user.content[2].kind == part_kind::image_base64);
  CHECK(user.content[2].media_type == "image/png");
  CHECK(user.content[2].text == "iVBORw0KGgo=");
  CHECK(user.content[3].kind == part_kind::opaque);
  const auto& call_turn = req.messages[3];
  CHECK(call_turn.form == content_form::null);
  REQUIRE(call_turn.tool_calls.size() == 1);
  CHECK(call_turn.tool_calls[0].id == "call_abc123");
  CHECK(call_turn.tool_calls[0].name == "get_current_weather");
  CHECK(call_turn.tool_calls[0].arguments == R"({"location": "Boston, MA", "unit": "celsius"})");
  CHECK(req.messages[4].role == message_role::tool);
  CHECK(req.messages[4].tool_call_id == "call_abc123");
  REQUIRE(req.messages[5].content.size() == 2);
  CHECK(req.messages[5].content[0].kind == part_kind::thinking);
  CHECK(req.messages[5].content[0].text == "The tool said 22.");
  REQUIRE(req.tools.size() == 2);
  CHECK(req.tools[0].name == "get_current_weather");
  CHECK(req.tools[0].strict == true);
  CHECK_FALSE(req.tools[1].raw.empty());
  REQUIRE(req.tool_choice);
  CHECK(req.tool_choice->mode == tool_choice_mode::specific);
  CHECK(req.tool_choice->name == "get_current_weather");
  CHECK(req.parallel_tool_calls == false);
  REQUIRE(req.response_format);
  CHECK(req.response_format->kind == response_format_kind::json_schema);
  CHECK(req.response_format->name == "weather");
  CHECK(req.stop == std::vector<std::string>{"\n\nUser:", "END"});
  CHECK(req.temperature == 0.7);
  CHECK(req.seed == 4242);
  CHECK(req.n == 2u);
  CHECK(req.max_tokens == 1024u);
  CHECK(req.max_tokens_name == max_tokens_field::max_completion_tokens);
  CHECK(req.reasoning.effort == "medium");
  CHECK(req.user == "user-1234");
  CHECK(req.stream);
  CHECK(req.include_usage == true);
  CHECK(req.original != nullptr);
  std::vector<std::string> extra_keys;
  for (const auto& x : req.extras) extra_keys.push_back(x.key);
  CHECK(extra_keys == std::vector<std::string>{"logit_bias", "logprobs", "top_logprobs", "metadata",
                                               "store", "service_tier", "vendor_extension"});
  CHECK(req.prompt_tokens_estimate > 10);
}

TEST_CASE("a request already validated by decode_openai_request converts without a reparse",
          "[openai_chat]") {
  const auto body = vectors::load("openai_request_tools.json");
  auto inbound = decode_openai_request(api_kind::chat_completions, body);
  REQUIRE(inbound.ok());
  auto req = openai_chat_to_canonical(inbound.value());
  REQUIRE(req.ok());
  CHECK(req->original == inbound->json);
  CHECK(req->prompt_tokens_estimate == inbound->prompt_tokens_estimate);
  CHECK(req->messages.size() == 5);
  auto embeddings = decode_openai_request(api_kind::embeddings, R"({"model":"e","input":"x"})");
  REQUIRE(embeddings.ok());
  CHECK_FALSE(openai_chat_to_canonical(embeddings.value()).ok());
}

TEST_CASE("the legacy stop string, max_tokens and both token limits round-trip", "[openai_chat]") {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stop":"END","max_tokens":5})";
  openai_encode_options opts;
  opts.request_usage = false;
  CHECK(vectors::normalized(encode_ok(decode_ok(body), "m", opts)) == vectors::normalized(body));
  const std::string both =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"max_completion_tokens":7})";
  const auto req = decode_ok(both);
  CHECK(req.max_tokens == 7u);
  CHECK(vectors::normalized(encode_ok(req, "m", opts)) == vectors::normalized(both));
}

TEST_CASE("streams ask the upstream for usage unless told not to", "[openai_chat]") {
  const auto req =
      decode_ok(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true})");
  const auto d = vectors::parse(encode_ok(req, "up"));
  CHECK(d["model"] == "up");
  CHECK(d["stream_options"]["include_usage"].GetBool());
  openai_encode_options opts;
  opts.request_usage = false;
  CHECK_FALSE(vectors::parse(encode_ok(req, "up", opts)).HasMember("stream_options"));
}

TEST_CASE("OpenAI request errors name the field", "[openai_chat]") {
  struct bad {
    const char* body;
    const char* param;
  };
  const bad cases[] = {
      {R"({"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"model":"m"})", "messages"},
      {R"({"model":"m","messages":[]})", "messages"},
      {R"({"model":"m","messages":[1]})", "messages[0]"},
      {R"({"model":"m","messages":[{"content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"function","content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "messages[0].content[0].text"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})",
       "messages[0].content[0].type"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]})",
       "messages[0].content[0].image_url.url"},
      {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id"},
      {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]})",
       "messages[0].tool_calls[0].id"},
      {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}]})",
       "messages[0].tool_calls[0].function.arguments"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
       "temperature"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":0})", "n"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1})", "max_tokens"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop[0]"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":1.5})", "seed"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})",
       "tools[0].function"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]})",
       "tools[0].function.parameters"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"})",
       "tool_choice"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})",
       "response_format.type"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}})",
       "response_format.json_schema"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}})",
       "stream_options.include_usage"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    CHECK(decode_err(c.body).param == c.param);
  }
  CHECK(decode_err("not json").param.empty());
  CHECK(decode_err("[1]").param.empty());
  CHECK(decode_err("{\"model\":\"\xff\"}").message.find("UTF-8") != std::string::npos);
}

TEST_CASE("an Anthropic request comes out as the golden OpenAI request", "[openai_chat][golden]") {
  auto req = decode_anthropic_request(vectors::load("anthropic_request_tools.json"));
  REQUIRE(req.ok());
  auto out = encode_openai_chat_request(req.value(), "gpt-4o");
  REQUIRE(out.ok());
  CHECK(out->dropped.empty());
  CHECK(vectors::normalized(out->body) ==
        vectors::normalized(vectors::load("openai_from_anthropic_tools.json")));
}

TEST_CASE("what OpenAI cannot honour is refused, or dropped and listed", "[openai_chat]") {
  auto req = decode_anthropic_request(vectors::load("anthropic_request_full.json"));
  REQUIRE(req.ok());
  auto refused = encode_openai_chat_request(req.value(), "gpt-4o");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == gateway_error::bad_request);
  CHECK(refused.error().param == "system[1].cache_control");
  CHECK(refused.error().message.find("system[1].cache_control") != std::string::npos);

  openai_encode_options opts;
  opts.drop_unsupported = true;
  auto dropped = encode_openai_chat_request(req.value(), "gpt-4o", opts);
  REQUIRE(dropped.ok());
  CHECK(dropped->dropped ==
        std::vector<std::string>{"system[1].cache_control", "messages[0].content[2]",
                                 "messages[0].content[3].cache_control", "messages[1].content[0]",
                                 "messages[1].content[1]", "messages[2].content[1].is_error",
                                 "messages[2].content[1].cache_control", "top_k",
                                 "tools[0].cache_control", "tools[2]", "service_tier"});
  const auto d = vectors::parse(dropped->body);
  CHECK(d["reasoning_effort"] == "medium");  // a 10000-token budget
  CHECK(d["parallel_tool_calls"].GetBool() == false);
  CHECK(d["tool_choice"] == "required");
  CHECK(d["user"] == "13803d75-b4b5-4c3e-b2a2-6f21399b021b");
  CHECK(d["messages"][0]["role"] == "system");
  CHECK(d["messages"][1]["content"][0]["image_url"]["url"] ==
        "data:image/jpeg;base64,/9j/4AAQSkZJRg==");
  const auto& assistant = d["messages"][2];
  CHECK(assistant["content"][0]["text"] == "Let me check the weather.");
  CHECK(assistant["tool_calls"].Size() == 2);
  CHECK(assistant["tool_calls"][1]["function"]["arguments"] == "{}");
  CHECK(d["messages"][4]["role"] == "tool");
  CHECK(d["messages"][4]["content"] == "ConnectionError: the time service is down");
  CHECK(d["messages"][5]["content"] == "Thanks. Summarize.");
  CHECK(d["messages"][6]["content"] == "Here is");
}
