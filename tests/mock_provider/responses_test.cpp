// The mock provider's OpenAI bodies and stream frames: the reply script (text, finish reasons,
// the tool decision), frame order and pacing slots, cut limits, tool calls, chunk framing,
// embeddings helpers and error bodies.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/dialect_replies.hpp"
#include "bench/mock_provider/responses.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using switchyard::mock::test::make_test_reply;
using switchyard::protocols::dialect;
using switchyard::protocols::finish_reason;

namespace {

rapidjson::Document json(std::string_view s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// The frames of a stream, each without its "data: " prefix and blank line.
std::vector<std::string> frames(const reply_stream& s) {
  std::vector<std::string> out;
  for (std::size_t j = 0; j < s.frame_count(); ++j) {
    std::string f;
    s.append_frame(j, f);
    REQUIRE(f.rfind("data: ", 0) == 0);
    REQUIRE(f.size() >= 8);
    REQUIRE(f.substr(f.size() - 2) == "\n\n");
    out.push_back(f.substr(6, f.size() - 8));
  }
  return out;
}

}  // namespace

TEST_CASE("responses: the reply is token0 token1 ... capped by max_tokens") {
  CHECK(reply_text(0).empty());
  CHECK(reply_text(1) == "token0");
  CHECK(reply_text(3) == "token0 token1 token2");
  auto script = [](std::optional<std::uint32_t> max_tokens) {
    reply_request req;
    req.max_tokens = max_tokens;
    req.prompt_tokens = 7;
    return script_reply(16, req);
  };
  auto s = script(std::nullopt);
  CHECK(s.tokens == 16);
  CHECK(s.pieces() == 16);
  CHECK(s.end == finish_reason::stop);
  CHECK(s.prompt_tokens == 7);
  CHECK_FALSE(s.calls_tool());
  auto capped = script(5u);
  CHECK(capped.tokens == 5);
  CHECK(capped.end == finish_reason::length);
  auto roomy = script(16u);
  CHECK(roomy.tokens == 16);
  CHECK(roomy.end == finish_reason::stop);
  CHECK(script(0u).tokens == 0);
}

TEST_CASE("responses: a tool call is whole whatever the limit, in pieces that make its arguments") {
  reply_request req;
  req.tool = "get_weather";
  req.max_tokens = 1;
  auto s = script_reply(16, req);
  CHECK(s.calls_tool());
  CHECK(s.end == finish_reason::tool_calls);
  CHECK(s.tool_name == "get_weather");
  CHECK(s.tokens == 0);
  CHECK(s.pieces() == tool_argument_pieces);
  std::string joined;
  for (std::uint32_t i = 0; i < tool_argument_pieces; ++i) {
    CHECK_FALSE(tool_argument_piece(i).empty());
    joined += tool_argument_piece(i);
  }
  CHECK(joined == tool_call_arguments);
  CHECK(tool_argument_piece(tool_argument_pieces).empty());
  CHECK_FALSE(json(joined).HasParseError());
}

TEST_CASE("responses: the tool decision follows the tools, the choice and the prompt") {
  tool_offer offer;
  CHECK(tool_to_call(offer).empty());  // no tools
  offer.prompted = true;
  CHECK(tool_to_call(offer).empty());  // still no tools
  offer.first_tool = "a";
  CHECK(tool_to_call(offer) == "a");  // asked for, automatic
  offer.prompted = false;
  CHECK(tool_to_call(offer).empty());  // automatic, not asked
  offer.mode = tool_mode::required;
  CHECK(tool_to_call(offer) == "a");
  offer.mode = tool_mode::specific;
  offer.forced_tool = "b";
  CHECK(tool_to_call(offer) == "b");
  offer.mode = tool_mode::none;
  offer.prompted = true;
  CHECK(tool_to_call(offer).empty());
}

TEST_CASE("responses: OpenAI tools, tool_choice and the last user message make the offer") {
  auto offer_of = [](std::string_view body) { return openai_tool_offer(json(body)); };
  const std::string tools =
      R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}},)"
      R"({"type":"function","function":{"name":"other"}}])";
  auto plain =
      offer_of(R"({"model":"m",)" + tools + R"(,"messages":[{"role":"user","content":"hello"}]})");
  CHECK(plain.first_tool == "get_weather");
  CHECK(plain.mode == tool_mode::automatic);
  CHECK_FALSE(plain.prompted);

  auto asked = offer_of(
      R"({"model":"m",)" + tools +
      R"(,"messages":[{"role":"user","content":[{"type":"text","text":"please call tool"}]}]})");
  CHECK(asked.prompted);

  // A conversation that ends with the tool's result is not asking again.
  auto answered = offer_of(R"({"model":"m",)" + tools +
                           R"(,"messages":[{"role":"user","content":"call tool"},)"
                           R"({"role":"assistant","content":null},)"
                           R"({"role":"tool","tool_call_id":"c","content":"call tool"}]})");
  CHECK_FALSE(answered.prompted);

  auto forced = offer_of(R"({"model":"m",)" + tools +
                         R"(,"tool_choice":{"type":"function","function":{"name":"other"}},)"
                         R"("messages":[{"role":"user","content":"hi"}]})");
  CHECK(forced.mode == tool_mode::specific);
  CHECK(forced.forced_tool == "other");
  CHECK(offer_of(R"({"model":"m",)" + tools +
                 R"(,"tool_choice":"required","messages":[{"role":"user","content":"x"}]})")
            .mode == tool_mode::required);
  CHECK(offer_of(R"({"model":"m",)" + tools +
                 R"(,"tool_choice":"none","messages":[{"role":"user","content":"x"}]})")
            .mode == tool_mode::none);
  CHECK(offer_of(R"({"model":"m","messages":[{"role":"user","content":"call tool"}]})")
            .first_tool.empty());
}

TEST_CASE("responses: decoding an OpenAI request keeps its errors and finds the tool to call") {
  auto bad = decode_openai_reply_request(R"({"model":"m"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().status == 400);
  CHECK(bad.error().param == "messages");

  auto ok = decode_openai_reply_request(
      R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":3,)"
      R"("tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required",)"
      R"("messages":[{"role":"user","content":"12345678"}]})");
  REQUIRE(ok.ok());
  CHECK(ok.value().model == "m");
  CHECK(ok.value().stream);
  CHECK(ok.value().include_usage);
  CHECK(ok.value().max_tokens == 3u);
  CHECK(ok.value().prompt_tokens == 2);
  CHECK(ok.value().tool == "f");
}

TEST_CASE("responses: a whole chat completion echoes the model and counts usage") {
  auto body = chat_completion_body(make_test_reply(dialect::openai, 4, 3u, 12));
  auto d = json(body);
  CHECK(std::string(d["id"].GetString()) == "chatcmpl-mock-1");
  CHECK(std::string(d["object"].GetString()) == "chat.completion");
  CHECK(std::string(d["model"].GetString()) == "test-model");
  CHECK(d["created"].GetInt64() == 1700000000);
  const auto& choice = d["choices"][0];
  CHECK(std::string(choice["message"]["role"].GetString()) == "assistant");
  CHECK(std::string(choice["message"]["content"].GetString()) == "token0 token1 token2");
  CHECK(std::string(choice["finish_reason"].GetString()) == "length");
  CHECK(d["usage"]["prompt_tokens"].GetUint() == 12);
  CHECK(d["usage"]["completion_tokens"].GetUint() == 3);
}

TEST_CASE("responses: a whole chat completion can be one tool call") {
  auto d = json(chat_completion_body(make_test_reply(dialect::openai, 4, 3u, 12, "get_weather")));
  const auto& choice = d["choices"][0];
  CHECK(choice["message"]["content"].IsNull());
  REQUIRE(choice["message"]["tool_calls"].Size() == 1);
  const auto& call = choice["message"]["tool_calls"][0];
  CHECK(std::string(call["id"].GetString()) == "call_mock_1");
  CHECK(std::string(call["type"].GetString()) == "function");
  CHECK(std::string(call["function"]["name"].GetString()) == "get_weather");
  CHECK(call["function"]["arguments"].GetString() == tool_call_arguments);
  CHECK(std::string(choice["finish_reason"].GetString()) == "tool_calls");
  CHECK(d["usage"]["prompt_tokens"].GetUint() == 12);
  CHECK(d["usage"]["completion_tokens"].GetUint() == tool_argument_pieces);
  CHECK(d["usage"]["total_tokens"].GetUint() == 12 + tool_argument_pieces);
}

TEST_CASE("responses: a tool call streams its id and name, then its arguments in pieces") {
  reply_stream s(dialect::openai, make_test_reply(dialect::openai, 4, std::nullopt, 9, "f", true));
  REQUIRE(s.frame_count() == 1 + tool_argument_pieces + 3);
  auto f = frames(s);
  std::string arguments;
  for (std::uint32_t i = 0; i < tool_argument_pieces; ++i) {
    auto c = json(f[1 + i]);
    const auto& call = c["choices"][0]["delta"]["tool_calls"][0];
    CHECK(call["index"].GetUint() == 0);
    CHECK(call.HasMember("id") == (i == 0));
    CHECK(call["function"].HasMember("name") == (i == 0));
    if (i == 0) CHECK(std::string(call["function"]["name"].GetString()) == "f");
    arguments += call["function"]["arguments"].GetString();
  }
  CHECK(arguments == tool_call_arguments);
  auto fin = json(f[1 + tool_argument_pieces]);
  CHECK(std::string(fin["choices"][0]["finish_reason"].GetString()) == "tool_calls");
  auto usage = json(f[2 + tool_argument_pieces]);
  CHECK(usage["usage"]["completion_tokens"].GetUint() == tool_argument_pieces);
}

TEST_CASE("responses: a stream is role, tokens, final, usage, [DONE]") {
  reply_stream s(dialect::openai, make_test_reply(dialect::openai, 3, std::nullopt, 9, {}, true));
  REQUIRE(s.frame_count() == 7);
  CHECK(s.token_frames_end() == 4);
  auto f = frames(s);

  auto role = json(f[0]);
  CHECK(std::string(role["object"].GetString()) == "chat.completion.chunk");
  CHECK(std::string(role["choices"][0]["delta"]["role"].GetString()) == "assistant");
  CHECK(role["choices"][0]["finish_reason"].IsNull());

  std::string content;
  for (int i = 1; i <= 3; ++i) {
    auto c = json(f[i]);
    CHECK(std::string(c["model"].GetString()) == "test-model");
    CHECK_FALSE(c["choices"][0]["delta"].HasMember("role"));
    CHECK(c["choices"][0]["finish_reason"].IsNull());
    content += c["choices"][0]["delta"]["content"].GetString();
  }
  CHECK(content == reply_text(3));

  auto fin = json(f[4]);
  CHECK(std::string(fin["choices"][0]["finish_reason"].GetString()) == "stop");
  auto usage = json(f[5]);
  CHECK(usage["choices"].Size() == 0);
  CHECK(usage["usage"]["prompt_tokens"].GetUint() == 9);
  CHECK(usage["usage"]["completion_tokens"].GetUint() == 3);
  CHECK(f[6] == "[DONE]");
}

TEST_CASE("responses: without include_usage there is no usage chunk") {
  reply_stream s(dialect::openai, make_test_reply(dialect::openai, 2, 1u, 9));
  REQUIRE(s.frame_count() == 4);
  auto f = frames(s);
  CHECK(std::string(json(f[2])["choices"][0]["finish_reason"].GetString()) == "length");
  CHECK(f[3] == "[DONE]");
}

TEST_CASE("responses: pacing slots put role with token 0 and the tail with the last token") {
  reply_stream s(dialect::openai, make_test_reply(dialect::openai, 3, std::nullopt, 0, {}, true));
  std::vector<std::uint32_t> slots;
  for (std::size_t j = 0; j < s.frame_count(); ++j) slots.push_back(s.slot(j));
  CHECK(slots == std::vector<std::uint32_t>{0, 0, 1, 2, 2, 2, 2});

  reply_stream empty(dialect::openai, make_test_reply(dialect::openai, 0, std::nullopt, 0));
  REQUIRE(empty.frame_count() == 3);
  for (std::size_t j = 0; j < empty.frame_count(); ++j) CHECK(empty.slot(j) == 0);
}

TEST_CASE("responses: a cut lets the role chunk and N token chunks through, never the end") {
  reply_stream s(dialect::openai, make_test_reply(dialect::openai, 10, std::nullopt, 0, {}, true));
  CHECK(s.cut_frame_limit(0u) == 1);
  CHECK(s.cut_frame_limit(3u) == 4);
  CHECK(s.cut_frame_limit(std::nullopt) == 6);  // half of 10 tokens
  CHECK(s.cut_frame_limit(10u) == 11);
  CHECK(s.cut_frame_limit(1000u) == 11);  // all tokens, but never the final chunk
  CHECK(s.cut_frame_limit(1000u) == s.token_frames_end());
}

TEST_CASE("responses: HTTP chunk size lines are hex") {
  CHECK(http_chunk_size_line(0) == "0\r\n");
  CHECK(http_chunk_size_line(10) == "a\r\n");
  CHECK(http_chunk_size_line(4096) == "1000\r\n");
}

TEST_CASE("responses: embedding inputs, seeds and dimensions") {
  auto d = json(R"({"a":"x","b":["x","y"],"c":[1,2,3],"d":[[1,2],[3]],"e":[]})");
  CHECK(embedding_input_count(d["a"]) == 1);
  CHECK(embedding_input_count(d["b"]) == 2);
  CHECK(embedding_input_count(d["c"]) == 1);
  CHECK(embedding_input_count(d["d"]) == 2);
  CHECK(embedding_input_count(d["e"]) == 0);

  auto same = json(R"(["x","y"])");
  CHECK(embedding_seed(1, d["b"]) == embedding_seed(1, same));
  CHECK(embedding_seed(1, d["b"]) != embedding_seed(2, d["b"]));
  CHECK(embedding_seed(1, d["a"]) != embedding_seed(1, d["b"]));

  auto none = json(R"({"model":"e","input":"x"})");
  CHECK(embedding_dimensions(none, 64).value() == 64);
  auto given = json(R"({"dimensions":3})");
  CHECK(embedding_dimensions(given, 64).value() == 3);
  for (auto bad : {R"({"dimensions":0})", R"({"dimensions":8193})", R"({"dimensions":"3"})",
                   R"({"dimensions":1.5})", R"({"dimensions":-1})"}) {
    auto r = embedding_dimensions(json(bad), 64);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "dimensions must be an integer from 1 to 8192");
  }
}

TEST_CASE("responses: embeddings bodies have one vector per input") {
  auto d = json(
      embeddings_body("emb", 2, 5, 99, 7, switchyard::protocols::embedding_encoding::float_array));
  CHECK(std::string(d["object"].GetString()) == "list");
  CHECK(std::string(d["model"].GetString()) == "emb");
  REQUIRE(d["data"].Size() == 2);
  CHECK(d["data"][1]["index"].GetUint() == 1);
  CHECK(d["data"][0]["embedding"].Size() == 5);
  CHECK(d["usage"]["prompt_tokens"].GetUint() == 7);
  CHECK(
      embeddings_body("emb", 2, 5, 99, 7, switchyard::protocols::embedding_encoding::float_array) ==
      embeddings_body("emb", 2, 5, 99, 7, switchyard::protocols::embedding_encoding::float_array));
}

TEST_CASE("responses: the model list") {
  auto d = json(models_body({"a", "b"}));
  CHECK(std::string(d["object"].GetString()) == "list");
  REQUIRE(d["data"].Size() == 2);
  CHECK(std::string(d["data"][1]["id"].GetString()) == "b");
  CHECK(std::string(d["data"][1]["object"].GetString()) == "model");
}

TEST_CASE("responses: error bodies carry OpenAI's type and code for the status") {
  auto e429 = json(error_body(429, "slow \"down\""));
  CHECK(std::string(e429["error"]["message"].GetString()) == "slow \"down\"");
  CHECK(std::string(e429["error"]["type"].GetString()) == "requests");
  CHECK(std::string(e429["error"]["code"].GetString()) == "rate_limit_exceeded");
  CHECK(e429["error"]["param"].IsNull());

  auto e401 = json(error_body(401, "no"));
  CHECK(std::string(e401["error"]["code"].GetString()) == "invalid_api_key");

  auto e503 = json(error_body(503, "busy"));
  CHECK(std::string(e503["error"]["type"].GetString()) == "server_error");
  CHECK(e503["error"]["code"].IsNull());

  auto e400 = json(error_body(400, "bad", "messages"));
  CHECK(std::string(e400["error"]["type"].GetString()) == "invalid_request_error");
  CHECK(std::string(e400["error"]["param"].GetString()) == "messages");
}
