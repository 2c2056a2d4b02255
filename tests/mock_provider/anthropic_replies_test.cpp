// The mock provider's Anthropic dialect without sockets: request decoding and the tool offer,
// the key and version checks, whole messages, the named stream events (text and tool_use), the
// frames a cut lets through, and the error types.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/anthropic_replies.hpp"
#include "bench/mock_provider/dialect_replies.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using switchyard::protocols::dialect;

namespace {

// Every event of every frame, in order, checking that each data's `type` is the event's name.
std::vector<sse_event> all_events(const reply_stream& s) {
  std::string body;
  for (std::size_t j = 0; j < s.frame_count(); ++j) s.append_frame(j, body);
  auto events = sse_events(body);
  for (const auto& e : events) CHECK(str(must_parse(e.data)["type"]) == e.name);
  return events;
}

constexpr std::string_view tools_json =
    R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}},{"name":"other",)"
    R"("input_schema":{"type":"object"}}])";

std::string messages_body(std::string_view messages, std::string_view extra = "") {
  std::string s = R"({"model":"claude-test","max_tokens":100,)";
  s += extra;
  if (!extra.empty()) s += ',';
  s += R"("messages":)";
  s += messages;
  s += '}';
  return s;
}

}  // namespace

TEST_CASE("anthropic: decoding uses the Messages rules and estimates the prompt") {
  auto ok = decode_anthropic_reply_request(messages_body(
      R"([{"role":"user","content":"12345678"}])", R"("stream":true,"system":"1234")"));
  REQUIRE(ok.ok());
  CHECK(ok.value().model == "claude-test");
  CHECK(ok.value().stream);
  CHECK(ok.value().max_tokens == 100u);
  CHECK(ok.value().prompt_tokens == 3);  // 12 bytes of text, system included
  CHECK(ok.value().tool.empty());

  auto no_max = decode_anthropic_reply_request(
      R"({"model":"c","messages":[{"role":"user","content":"hi"}]})");
  REQUIRE_FALSE(no_max.ok());
  CHECK(no_max.error().status == 400);
  CHECK(no_max.error().message.find("max_tokens") != std::string::npos);
  CHECK_FALSE(decode_anthropic_reply_request("{nope").ok());
}

TEST_CASE("anthropic: tools, tool_choice and the last user turn decide the tool call") {
  auto tool_of = [](std::string_view messages, std::string_view extra) {
    auto r = decode_anthropic_reply_request(messages_body(messages, extra));
    REQUIRE(r.ok());
    return r.value().tool;
  };
  const std::string tools(tools_json);
  CHECK(tool_of(R"([{"role":"user","content":"hello"}])", tools).empty());
  CHECK(tool_of(R"([{"role":"user","content":[{"type":"text","text":"call tool now"}]}])", tools) ==
        "get_weather");
  CHECK(tool_of(R"([{"role":"user","content":"call tool"}])", "").empty());  // no tools
  CHECK(tool_of(R"([{"role":"user","content":"hi"}])",
                tools + R"(,"tool_choice":{"type":"any"})") == "get_weather");
  CHECK(tool_of(R"([{"role":"user","content":"hi"}])",
                tools + R"(,"tool_choice":{"type":"tool","name":"other"})") == "other");
  CHECK(tool_of(R"([{"role":"user","content":"call tool"}])",
                tools + R"(,"tool_choice":{"type":"none"})")
            .empty());
  // The tool's result comes back in a user turn: that is no new request for a call.
  CHECK(
      tool_of(R"([{"role":"user","content":"call tool"},)"
              R"({"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"get_weather",)"
              R"("input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1",)"
              R"("content":"sunny"}]}])",
              tools)
          .empty());
}

TEST_CASE("anthropic: x-api-key and anthropic-version are checked like the API does") {
  auto missing = anthropic_auth_error("", "2023-06-01", "sk-ant");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(missing->message.find("x-api-key") != std::string::npos);
  auto wrong = anthropic_auth_error("sk-other", "2023-06-01", "sk-ant");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto no_version = anthropic_auth_error("sk-ant", "", "sk-ant");
  REQUIRE(no_version);
  CHECK(no_version->status == 400);
  CHECK(no_version->message.find("anthropic-version") != std::string::npos);
  CHECK_FALSE(anthropic_auth_error("sk-ant", "2023-06-01", "sk-ant"));
}

TEST_CASE("anthropic: a whole message has the text, the stop reason and the usage") {
  auto d = must_parse(anthropic_message_body(make_test_reply(dialect::anthropic, 4, 3u, 12)));
  CHECK(str(d["id"]) == "msg_mock_1");
  CHECK(str(d["type"]) == "message");
  CHECK(str(d["role"]) == "assistant");
  CHECK(str(d["model"]) == "test-model");
  REQUIRE(d["content"].Size() == 1);
  CHECK(str(d["content"][0]["type"]) == "text");
  CHECK(str(d["content"][0]["text"]) == "token0 token1 token2");
  CHECK(str(d["stop_reason"]) == "max_tokens");
  CHECK(d["stop_sequence"].IsNull());
  CHECK(d["usage"]["input_tokens"].GetUint() == 12);
  CHECK(d["usage"]["output_tokens"].GetUint() == 3);
  CHECK(d["usage"]["cache_creation_input_tokens"].GetUint() == 0);
  CHECK(d["usage"]["cache_read_input_tokens"].GetUint() == 0);

  auto whole = must_parse(anthropic_message_body(make_test_reply(dialect::anthropic, 4, 100u, 1)));
  CHECK(str(whole["stop_reason"]) == "end_turn");
  CHECK(whole["usage"]["output_tokens"].GetUint() == 4);
}

TEST_CASE("anthropic: a whole message can be one tool_use block") {
  auto d =
      must_parse(anthropic_message_body(make_test_reply(dialect::anthropic, 4, 100u, 12, "f")));
  REQUIRE(d["content"].Size() == 1);
  const auto& block = d["content"][0];
  CHECK(str(block["type"]) == "tool_use");
  CHECK(str(block["id"]) == "toolu_mock_1");
  CHECK(str(block["name"]) == "f");
  REQUIRE(block["input"].IsObject());
  CHECK(str(block["input"]["query"]) == "mock");
  CHECK(str(d["stop_reason"]) == "tool_use");
  CHECK(d["usage"]["output_tokens"].GetUint() == tool_argument_pieces);
}

TEST_CASE("anthropic: a stream is message_start, block start, ping, deltas, stops and deltas") {
  reply_stream s(dialect::anthropic, make_test_reply(dialect::anthropic, 3, 100u, 9));
  REQUIRE(s.frame_count() == 1 + 3 + 1 + 1);
  auto events = all_events(s);
  CHECK(event_names(events) == std::vector<std::string>{"message_start", "content_block_start",
                                                        "ping", "content_block_delta",
                                                        "content_block_delta",
                                                        "content_block_delta", "content_block_stop",
                                                        "message_delta", "message_stop"});

  auto start = must_parse(events[0].data);
  CHECK(str(start["message"]["id"]) == "msg_mock_1");
  CHECK(str(start["message"]["model"]) == "test-model");
  CHECK(start["message"]["content"].Empty());
  CHECK(start["message"]["stop_reason"].IsNull());
  CHECK(start["message"]["usage"]["input_tokens"].GetUint() == 9);
  CHECK(start["message"]["usage"]["output_tokens"].GetUint() == 1);

  auto block = must_parse(events[1].data);
  CHECK(block["index"].GetUint() == 0);
  CHECK(str(block["content_block"]["type"]) == "text");
  CHECK(str(block["content_block"]["text"]).empty());

  std::string text;
  for (int i = 3; i < 6; ++i) {
    auto delta = must_parse(events[i].data);
    CHECK(delta["index"].GetUint() == 0);
    CHECK(str(delta["delta"]["type"]) == "text_delta");
    text += str(delta["delta"]["text"]);
  }
  CHECK(text == reply_text(3));

  CHECK(must_parse(events[6].data)["index"].GetUint() == 0);
  auto end = must_parse(events[7].data);
  CHECK(str(end["delta"]["stop_reason"]) == "end_turn");
  CHECK(end["delta"]["stop_sequence"].IsNull());
  CHECK(end["usage"]["output_tokens"].GetUint() == 3);
  CHECK(end["usage"]["input_tokens"].GetUint() == 9);
}

TEST_CASE("anthropic: a streamed tool call is a tool_use block filled by input_json_delta") {
  reply_stream s(dialect::anthropic, make_test_reply(dialect::anthropic, 3, 100u, 9, "f"));
  auto events = all_events(s);
  REQUIRE(events.size() == 3 + tool_argument_pieces + 3);
  auto start = must_parse(events[1].data);
  const auto& block = start["content_block"];
  CHECK(str(block["type"]) == "tool_use");
  CHECK(str(block["id"]) == "toolu_mock_1");
  CHECK(str(block["name"]) == "f");
  CHECK(block["input"].ObjectEmpty());
  std::string partial;
  for (std::uint32_t i = 0; i < tool_argument_pieces; ++i) {
    auto delta = must_parse(events[3 + i].data);
    CHECK(str(delta["delta"]["type"]) == "input_json_delta");
    partial += str(delta["delta"]["partial_json"]);
  }
  CHECK(partial == tool_call_arguments);
  auto end = must_parse(events[4 + tool_argument_pieces].data);
  CHECK(str(end["delta"]["stop_reason"]) == "tool_use");
  CHECK(end["usage"]["output_tokens"].GetUint() == tool_argument_pieces);
}

TEST_CASE("anthropic: pacing and cuts count the opening frame like OpenAI's role chunk") {
  reply_stream s(dialect::anthropic, make_test_reply(dialect::anthropic, 4, 100u, 0));
  std::vector<std::uint32_t> slots;
  for (std::size_t j = 0; j < s.frame_count(); ++j) slots.push_back(s.slot(j));
  CHECK(slots == std::vector<std::uint32_t>{0, 0, 1, 2, 3, 3, 3});
  CHECK(s.cut_frame_limit(0u) == 1);
  CHECK(s.cut_frame_limit(std::nullopt) == 3);
  CHECK(s.cut_frame_limit(99u) == s.token_frames_end());
}

TEST_CASE("anthropic: error bodies carry Anthropic's type for the status") {
  auto check = [](unsigned status, std::string_view type) {
    auto d = must_parse(anthropic_error_body(status, "why \"so\""));
    CHECK(str(d["type"]) == "error");
    CHECK(str(d["error"]["type"]) == type);
    CHECK(str(d["error"]["message"]) == "why \"so\"");
  };
  check(400, "invalid_request_error");
  check(401, "authentication_error");
  check(403, "permission_error");
  check(404, "not_found_error");
  check(413, "request_too_large");
  check(429, "rate_limit_error");
  check(500, "api_error");
  check(503, "api_error");
  check(529, "overloaded_error");
  CHECK(dialect_error_body(dialect::anthropic, 429, "x", "param") ==
        anthropic_error_body(429, "x"));
}
