// Tests for what one attempt sends upstream: passthrough within a dialect, translation across
// dialects with the path of each API, fields a target cannot honour (400 or dropped and listed),
// and the Anthropic client's inbound view.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/upstream_request.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

inbound_request openai_in(std::string_view body, api_kind kind = api_kind::chat_completions) {
  auto r = decode_openai_request(kind, body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return std::move(r).value();
}

inbound_request anthropic_in(std::string_view body) {
  auto r = decode_anthropic_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return inbound_from_anthropic(std::move(r).value());
}

upstream_request encoded(const inbound_request& req, const upstream_target& t) {
  auto r = encode_upstream_request(req, t);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

constexpr std::string_view openai_chat =
    R"({"model":"gw","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Hi"}],"max_tokens":20,"x_vendor":1})";

}  // namespace

TEST_CASE("an OpenAI request to an OpenAI upstream passes through", "[upstream_request]") {
  const auto req = openai_in(openai_chat);
  const auto up = encoded(req, {dialect::openai, "gpt-up"});
  CHECK(up.path == "/chat/completions");
  CHECK(up.dropped.empty());
  const auto doc = vectors::parse(up.body);
  CHECK(std::string_view{doc["model"].GetString()} == "gpt-up");
  CHECK(doc["x_vendor"].GetInt() == 1);  // unknown members kept as sent
  CHECK(doc["max_tokens"].GetInt() == 20);
}

TEST_CASE("embeddings go only to OpenAI-dialect upstreams", "[upstream_request]") {
  const auto req = openai_in(R"({"model":"e","input":"abc"})", api_kind::embeddings);
  CHECK(encoded(req, {dialect::openai, "emb"}).path == "/embeddings");
  for (auto d : {dialect::anthropic, dialect::gemini}) {
    auto r = encode_upstream_request(req, {d, "x"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == gateway_error::bad_request);
    CHECK(r.error().message.find("embeddings") != std::string::npos);
  }
}

TEST_CASE("an OpenAI request to an Anthropic upstream is translated", "[upstream_request]") {
  const auto req = openai_in(openai_chat);
  // `x_vendor` has no place in Anthropic's API: refused, naming it...
  auto refused = encode_upstream_request(req, {dialect::anthropic, "claude-up"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == gateway_error::bad_request);
  CHECK(refused.error().param == "x_vendor");
  // ...or dropped and listed when the model opts in.
  const auto up = encoded(req, {dialect::anthropic, "claude-up", true});
  CHECK(up.path == "/messages");
  CHECK(up.dropped == std::vector<std::string>{"x_vendor"});
  const auto doc = vectors::parse(up.body);
  CHECK(std::string_view{doc["model"].GetString()} == "claude-up");
  CHECK(std::string_view{doc["system"].GetString()} == "Be brief.");
  CHECK(doc["max_tokens"].GetInt() == 20);
  REQUIRE(doc["messages"].Size() == 1);
  CHECK(std::string_view{doc["messages"][0]["role"].GetString()} == "user");
  CHECK_FALSE(doc.HasMember("x_vendor"));
}

TEST_CASE("a Gemini upstream gets the model in the path, streaming by SSE", "[upstream_request]") {
  auto req = openai_in(R"({"model":"gw","stream":true,"messages":[{"role":"user","content":"Hi"}]})");
  const auto up = encoded(req, {dialect::gemini, "gemini-2.5-flash"});
  CHECK(up.path == "/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  const auto doc = vectors::parse(up.body);
  REQUIRE(doc["contents"].Size() == 1);
  CHECK(std::string_view{doc["contents"][0]["parts"][0]["text"].GetString()} == "Hi");

  req = openai_in(R"({"model":"gw","messages":[{"role":"user","content":"Hi"}]})");
  CHECK(encoded(req, {dialect::gemini, "models/gemini-pro"}).path ==
        "/models/gemini-pro:generateContent");
}

TEST_CASE("an Anthropic request to an Anthropic upstream keeps every member", "[upstream_request]") {
  const auto req = anthropic_in(
      R"({"model":"gw","max_tokens":64,"system":[{"type":"text","text":"S","cache_control":)"
      R"({"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}],"service_tier":"auto"})");
  CHECK(req.client == dialect::anthropic);
  const auto up = encoded(req, {dialect::anthropic, "claude-up"});
  CHECK(up.path == "/messages");
  const auto doc = vectors::parse(up.body);
  CHECK(std::string_view{doc["model"].GetString()} == "claude-up");
  CHECK(std::string_view{doc["system"][0]["cache_control"]["type"].GetString()} == "ephemeral");
  CHECK(std::string_view{doc["service_tier"].GetString()} == "auto");
}

TEST_CASE("an Anthropic request to an OpenAI upstream asks for streaming usage",
          "[upstream_request]") {
  const auto req = anthropic_in(
      R"({"model":"gw","max_tokens":64,"stream":true,"system":"Be brief.",)"
      R"("messages":[{"role":"user","content":"Hi"}]})");
  const auto up = encoded(req, {dialect::openai, "gpt-up"});
  CHECK(up.path == "/chat/completions");
  const auto doc = vectors::parse(up.body);
  CHECK(doc["stream"].GetBool());
  CHECK(doc["stream_options"]["include_usage"].GetBool());
  REQUIRE(doc["messages"].Size() == 2);
  CHECK(std::string_view{doc["messages"][0]["role"].GetString()} == "system");

  // An Anthropic-only member cannot reach OpenAI unless dropped.
  const auto cached = anthropic_in(
      R"({"model":"gw","max_tokens":64,"messages":[{"role":"user","content":"Hi"}],"top_k":5})");
  auto refused = encode_upstream_request(cached, {dialect::openai, "gpt-up"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().param == "top_k");
  CHECK(encoded(cached, {dialect::openai, "gpt-up", true}).dropped ==
        std::vector<std::string>{"top_k"});
}

TEST_CASE("an Anthropic client's inbound view", "[upstream_request]") {
  const auto req = anthropic_in(
      R"({"model":"gw","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hello there"}]})");
  CHECK(req.kind == api_kind::chat_completions);
  CHECK(req.model == "gw");
  CHECK(req.stream);
  CHECK(req.include_usage);
  REQUIRE(req.max_tokens);
  CHECK(*req.max_tokens == 64);
  CHECK(req.prompt_tokens_estimate > 0);
  REQUIRE(req.canonical);
  CHECK(req.json == req.canonical->original);
}

TEST_CASE("count_tokens needs no max_tokens and counts tools", "[upstream_request]") {
  auto plain = decode_anthropic_count_tokens_request(
      R"({"model":"gw","messages":[{"role":"user","content":"0123456789abcdef"}]})");
  REQUIRE(plain.ok());
  CHECK(anthropic_count_tokens_body(plain.value()) == R"({"input_tokens":4})");
  auto tools = decode_anthropic_count_tokens_request(
      R"({"model":"gw","messages":[{"role":"user","content":"0123456789abcdef"}],)"
      R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}}]})");
  REQUIRE(tools.ok());
  const auto doc = vectors::parse(anthropic_count_tokens_body(tools.value()));
  CHECK(doc["input_tokens"].GetInt() > 4);
  CHECK_FALSE(decode_anthropic_request(
                  R"({"model":"gw","messages":[{"role":"user","content":"x"}]})")
                  .ok());  // Messages itself still requires it
}
