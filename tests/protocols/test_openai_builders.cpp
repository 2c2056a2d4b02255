// Tests for the OpenAI response builders: shapes, escaping, usage, deterministic embeddings.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include <rapidjson/document.h>

#include "protocols/openai_builders.hpp"

using namespace switchyard::protocols;

namespace {

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

std::string str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

const usage sample_usage{10, 20, 3, 5, true};

void check_usage_object(const rapidjson::Value& u) {
  CHECK(u["prompt_tokens"].GetUint() == 10);
  CHECK(u["completion_tokens"].GetUint() == 20);
  CHECK(u["total_tokens"].GetUint() == 30);
  CHECK(u["prompt_tokens_details"]["cached_tokens"].GetUint() == 3);
  CHECK(u["completion_tokens_details"]["reasoning_tokens"].GetUint() == 5);
}

}  // namespace

TEST_CASE("a chat completion has OpenAI's shape", "[openai_builders]") {
  const std::string content = "line1\nline2 \"quoted\" \\ \t \x01 caf\xC3\xA9 \xF0\x9F\x98\x80";
  const auto d = parse(
      build_chat_completion("chatcmpl-1", "gpt-4o", 1700000000, content, sample_usage, "length"));
  CHECK(str(d["id"]) == "chatcmpl-1");
  CHECK(str(d["object"]) == "chat.completion");
  CHECK(d["created"].GetInt64() == 1700000000);
  CHECK(str(d["model"]) == "gpt-4o");
  REQUIRE(d["choices"].Size() == 1);
  const auto& choice = d["choices"][0];
  CHECK(choice["index"].GetInt() == 0);
  CHECK(str(choice["message"]["role"]) == "assistant");
  CHECK(str(choice["message"]["content"]) == content);
  CHECK(str(choice["finish_reason"]) == "length");
  check_usage_object(d["usage"]);
}

TEST_CASE("the finish reason defaults to stop", "[openai_builders]") {
  const auto d = parse(build_chat_completion("id", "m", 0, "", sample_usage));
  CHECK(str(d["choices"][0]["finish_reason"]) == "stop");
  CHECK(str(d["choices"][0]["message"]["content"]).empty());
}

TEST_CASE("total tokens do not overflow", "[openai_builders]") {
  const usage big{4000000000u, 4000000000u, 0, 0, true};
  const auto d = parse(build_chat_completion("id", "m", 0, "x", big));
  CHECK(d["usage"]["total_tokens"].GetUint64() == 8000000000ull);
}

TEST_CASE("a chunk has a delta with only what was given", "[openai_builders]") {
  SECTION("first chunk: role, empty content") {
    const auto d = parse(build_chat_chunk("c", "m", 5, "assistant", "", std::nullopt));
    CHECK(str(d["object"]) == "chat.completion.chunk");
    CHECK(str(d["id"]) == "c");
    CHECK(d["created"].GetInt64() == 5);
    const auto& choice = d["choices"][0];
    CHECK(choice["index"].GetInt() == 0);
    CHECK(str(choice["delta"]["role"]) == "assistant");
    CHECK_FALSE(choice["delta"].HasMember("content"));
    CHECK(choice["finish_reason"].IsNull());
    CHECK_FALSE(d.HasMember("usage"));
  }
  SECTION("content chunk") {
    const auto d = parse(build_chat_chunk("c", "m", 5, std::nullopt, "to\"k\"en\n", std::nullopt));
    const auto& delta = d["choices"][0]["delta"];
    CHECK_FALSE(delta.HasMember("role"));
    CHECK(str(delta["content"]) == "to\"k\"en\n");
    CHECK(d["choices"][0]["finish_reason"].IsNull());
  }
  SECTION("last chunk: empty delta and a finish reason") {
    const auto d = parse(build_chat_chunk("c", "m", 5, std::nullopt, "", "stop"));
    CHECK(d["choices"][0]["delta"].ObjectEmpty());
    CHECK(str(d["choices"][0]["finish_reason"]) == "stop");
  }
  SECTION("chunks are single lines, ready for SSE framing") {
    const auto s = build_chat_chunk("c", "m", 5, std::nullopt, "a\nb\r\n", std::nullopt);
    CHECK(s.find('\n') == std::string::npos);
    CHECK(s.find('\r') == std::string::npos);
  }
}

TEST_CASE("the usage chunk has empty choices and the usage", "[openai_builders]") {
  const auto d = parse(build_usage_chunk("c", "m", 9, sample_usage));
  CHECK(str(d["object"]) == "chat.completion.chunk");
  REQUIRE(d["choices"].IsArray());
  CHECK(d["choices"].Empty());
  check_usage_object(d["usage"]);
}

TEST_CASE("embeddings are unit vectors, deterministic for a seed", "[openai_builders]") {
  const usage u{7, 0, 0, 0, true};
  const auto body = build_embeddings("text-embedding-3-small", 3, 256, 42, u);
  const auto d = parse(body);
  CHECK(str(d["object"]) == "list");
  CHECK(str(d["model"]) == "text-embedding-3-small");
  CHECK(d["usage"]["prompt_tokens"].GetUint() == 7);
  CHECK(d["usage"]["total_tokens"].GetUint() == 7);
  const auto& data = d["data"];
  REQUIRE(data.Size() == 3);
  for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
    CHECK(str(data[i]["object"]) == "embedding");
    CHECK(data[i]["index"].GetUint() == i);
    const auto& v = data[i]["embedding"];
    REQUIRE(v.Size() == 256);
    double norm2 = 0;
    for (const auto& x : v.GetArray()) {
      REQUIRE(x.IsNumber());
      CHECK(std::abs(x.GetDouble()) <= 1.0);
      norm2 += x.GetDouble() * x.GetDouble();
    }
    CHECK(std::sqrt(norm2) == Approx(1.0).epsilon(1e-6));
  }
  // Same seed, same bytes; different inputs and seeds, different vectors.
  CHECK(build_embeddings("text-embedding-3-small", 3, 256, 42, u) == body);
  CHECK(data[0]["embedding"] != data[1]["embedding"]);
  const auto other = parse(build_embeddings("text-embedding-3-small", 3, 256, 43, u));
  CHECK(other["data"][0]["embedding"] != data[0]["embedding"]);
  // The first vectors do not depend on how many inputs follow.
  const auto one = parse(build_embeddings("text-embedding-3-small", 1, 256, 42, u));
  CHECK(one["data"][0]["embedding"] == data[0]["embedding"]);
}

TEST_CASE("embeddings with no inputs or no dimensions are still valid", "[openai_builders]") {
  const auto none = parse(build_embeddings("e", 0, 8, 1, usage{}));
  CHECK(none["data"].Empty());
  const auto flat = parse(build_embeddings("e", 2, 0, 1, usage{}));
  REQUIRE(flat["data"].Size() == 2);
  CHECK(flat["data"][1]["embedding"].Empty());
}

namespace {

// Decodes standard base64 (test-side, independent of the encoder under test).
std::string base64_decode(const std::string& in) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<std::uint32_t>(alphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("base64 embeddings carry the same vectors as little-endian float32", "[openai_builders]") {
  usage u;
  u.prompt_tokens = 3;
  for (std::size_t dims : {1u, 2u, 3u, 5u, 64u}) {
    rapidjson::Document floats, packed;
    floats.Parse(build_embeddings("m", 2, dims, 42, u).c_str());
    packed.Parse(build_embeddings("m", 2, dims, 42, u, embedding_encoding::base64).c_str());
    REQUIRE(packed["data"].Size() == 2);
    for (rapidjson::SizeType i = 0; i < 2; ++i) {
      REQUIRE(packed["data"][i]["embedding"].IsString());
      const std::string encoded = packed["data"][i]["embedding"].GetString();
      CHECK(encoded.size() % 4 == 0);  // padded
      const std::string raw = base64_decode(encoded);
      REQUIRE(raw.size() == dims * 4);
      for (std::size_t k = 0; k < dims; ++k) {
        float f = 0;
        std::memcpy(&f, raw.data() + 4 * k, 4);  // the test machine is little-endian (x86_64)
        // The float form is written with 9 decimals; base64 carries the float32 bits exactly.
        const double text = floats["data"][i]["embedding"][static_cast<rapidjson::SizeType>(k)].GetDouble();
        CHECK(f == Approx(text).margin(1e-8));
      }
    }
  }
}
