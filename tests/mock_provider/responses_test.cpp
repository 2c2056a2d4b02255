// The mock provider's bodies and stream frames: reply text, finish reasons, frame order and
// pacing slots, cut limits, chunk framing, embeddings helpers and error bodies.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/responses.hpp"

using namespace switchyard::mock;

namespace {

rapidjson::Document json(std::string_view s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// The frames of a stream, each without its "data: " prefix and blank line.
std::vector<std::string> frames(const chat_stream& s) {
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
  auto s = shape_reply(16, std::nullopt);
  CHECK(s.tokens == 16);
  CHECK(s.finish_reason == "stop");
  auto capped = shape_reply(16, 5u);
  CHECK(capped.tokens == 5);
  CHECK(capped.finish_reason == "length");
  auto roomy = shape_reply(16, 16u);
  CHECK(roomy.tokens == 16);
  CHECK(roomy.finish_reason == "stop");
  CHECK(shape_reply(16, 0u).tokens == 0);
}

TEST_CASE("responses: a whole chat completion echoes the model and counts usage") {
  auto body = chat_completion_body("chatcmpl-1", "gpt-test", 1700000000, shape_reply(4, 3u), 12);
  auto d = json(body);
  CHECK(std::string(d["id"].GetString()) == "chatcmpl-1");
  CHECK(std::string(d["object"].GetString()) == "chat.completion");
  CHECK(std::string(d["model"].GetString()) == "gpt-test");
  CHECK(d["created"].GetInt64() == 1700000000);
  const auto& choice = d["choices"][0];
  CHECK(std::string(choice["message"]["role"].GetString()) == "assistant");
  CHECK(std::string(choice["message"]["content"].GetString()) == "token0 token1 token2");
  CHECK(std::string(choice["finish_reason"].GetString()) == "length");
  CHECK(d["usage"]["prompt_tokens"].GetUint() == 12);
  CHECK(d["usage"]["completion_tokens"].GetUint() == 3);
}

TEST_CASE("responses: a stream is role, tokens, final, usage, [DONE]") {
  chat_stream s("chatcmpl-2", "m", 1, shape_reply(3, std::nullopt), 9, true);
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
    CHECK(std::string(c["model"].GetString()) == "m");
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
  chat_stream s("id", "m", 1, shape_reply(2, 1u), 9, false);
  REQUIRE(s.frame_count() == 4);
  auto f = frames(s);
  CHECK(std::string(json(f[2])["choices"][0]["finish_reason"].GetString()) == "length");
  CHECK(f[3] == "[DONE]");
}

TEST_CASE("responses: pacing slots put role with token 0 and the tail with the last token") {
  chat_stream s("id", "m", 1, shape_reply(3, std::nullopt), 0, true);
  std::vector<std::uint32_t> slots;
  for (std::size_t j = 0; j < s.frame_count(); ++j) slots.push_back(s.slot(j));
  CHECK(slots == std::vector<std::uint32_t>{0, 0, 1, 2, 2, 2, 2});

  chat_stream empty("id", "m", 1, shape_reply(0, std::nullopt), 0, false);
  REQUIRE(empty.frame_count() == 3);
  for (std::size_t j = 0; j < empty.frame_count(); ++j) CHECK(empty.slot(j) == 0);
}

TEST_CASE("responses: a cut lets the role chunk and N token chunks through, never the end") {
  chat_stream s("id", "m", 1, shape_reply(10, std::nullopt), 0, true);
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
