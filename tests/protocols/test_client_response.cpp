// Tests for what the client receives from an upstream of any dialect: whole responses (passthrough
// within a dialect, translation across), upstream refusals and the gateway's errors in the
// client's shape.
#include <catch2/catch.hpp>

#include "protocols/client_response.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

client_body answered(dialect client, dialect upstream, std::string body,
                     const client_response_options& opts = {}) {
  auto r = client_response_body(client, upstream, std::move(body), opts);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message << " (" << r.error().param << ")");
  return std::move(r).value();
}

}  // namespace

TEST_CASE("a same-dialect response is passed unchanged, its usage read", "[client_response]") {
  const auto openai = vectors::load("openai_response_tool_calls.json");
  const auto a = answered(dialect::openai, dialect::openai, openai);
  CHECK(a.body == openai);
  CHECK(a.tokens.reported);
  CHECK(a.tokens.prompt_tokens > 0);

  const auto anthropic = vectors::load("anthropic_response_tool_use.json");
  const auto b = answered(dialect::anthropic, dialect::anthropic, anthropic);
  CHECK(b.body == anthropic);
  CHECK(b.tokens.prompt_tokens == 2095 + 100 + 1000);
  CHECK(b.tokens.cached_tokens == 1000);
  CHECK(b.tokens.completion_tokens == 503);
}

TEST_CASE("a same-dialect body the decoder rejects still reaches the client", "[client_response]") {
  // The client asked this upstream, in its own dialect: the gateway only lacks the usage.
  const std::string odd = R"({"type":"message","content":"not an array"})";
  const auto a = answered(dialect::anthropic, dialect::anthropic, odd);
  CHECK(a.body == odd);
  CHECK_FALSE(a.tokens.reported);
}

TEST_CASE("an Anthropic response reaches an OpenAI client translated", "[client_response]") {
  const auto a = answered(dialect::openai, dialect::anthropic,
                          vectors::load("anthropic_response_tool_use.json"), {"seed", 1700000000});
  CHECK(vectors::normalized(a.body) ==
        vectors::normalized(vectors::load("openai_from_anthropic_response.json")));
  CHECK(a.dropped == std::vector<std::string>{"choices[0].content[0].signature"});
  CHECK(a.tokens.cached_tokens == 1000);
  CHECK(a.tokens.cache_creation_tokens == 100);
}

TEST_CASE("a Gemini response reaches an Anthropic client translated", "[client_response]") {
  const auto a = answered(dialect::anthropic, dialect::gemini,
                          vectors::load("gemini_response_function_call.json"), {"seed", 0});
  const auto doc = vectors::parse(a.body);
  CHECK(std::string_view{doc["type"].GetString()} == "message");
  CHECK(std::string_view{doc["stop_reason"].GetString()} == "tool_use");
  std::size_t tool_uses = 0;
  for (const auto& block : doc["content"].GetArray())
    if (std::string_view{block["type"].GetString()} == "tool_use") ++tool_uses;
  CHECK(tool_uses == 2);
  CHECK(a.tokens.reasoning_tokens == 40);
  CHECK(a.tokens.completion_tokens == 25 + 40);
}

TEST_CASE("an OpenAI response without an id gets one from the seed", "[client_response]") {
  const std::string body =
      R"({"object":"chat.completion","model":"m","choices":[{"index":0,"message":)"
      R"({"role":"assistant","content":"hi"},"finish_reason":"stop"}]})";
  const auto a = answered(dialect::anthropic, dialect::openai, body, {"req42", 0});
  const auto doc = vectors::parse(a.body);
  CHECK(std::string_view{doc["id"].GetString()} == "msg_req42");
  CHECK(std::string_view{doc["content"][0]["text"].GetString()} == "hi");
  CHECK_FALSE(a.tokens.reported);
}

TEST_CASE("an upstream body that cannot be read across dialects is a 502", "[client_response]") {
  for (auto [client, upstream] : {std::pair{dialect::openai, dialect::anthropic},
                                  std::pair{dialect::openai, dialect::gemini},
                                  std::pair{dialect::anthropic, dialect::openai}}) {
    auto r = client_response_body(client, upstream, "<html>oops</html>");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == gateway_error::upstream_failed);
  }
}

TEST_CASE("an upstream refusal is re-wrapped in the client's error shape", "[client_response]") {
  const std::string anthropic_err =
      R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long"}})";
  CHECK(client_error_passthrough(dialect::anthropic, dialect::anthropic, 400, anthropic_err) ==
        anthropic_err);

  const auto openai = vectors::parse(
      client_error_passthrough(dialect::openai, dialect::anthropic, 400, anthropic_err));
  const std::string message = openai["error"]["message"].GetString();
  CHECK(message.find("prompt is too long") != std::string::npos);
  CHECK(message.find("400") != std::string::npos);
  CHECK(std::string_view{openai["error"]["type"].GetString()} == "invalid_request_error");

  const auto anthropic = vectors::parse(client_error_passthrough(
      dialect::anthropic, dialect::gemini, 400,
      R"({"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}})"));
  CHECK(std::string_view{anthropic["type"].GetString()} == "error");
  CHECK(std::string{anthropic["error"]["message"].GetString()}.find("Invalid JSON payload") !=
        std::string::npos);

  // Not JSON: only the status is told.
  const auto bare = vectors::parse(
      client_error_passthrough(dialect::openai, dialect::gemini, 422, "<html>no</html>"));
  CHECK(std::string{bare["error"]["message"].GetString()}.find("422.") != std::string::npos);
}

TEST_CASE("gateway errors follow the client's dialect", "[client_response]") {
  const auto e = make_error(gateway_error::overloaded, "busy");
  CHECK(error_body(dialect::openai, e) == openai_error_body(e));
  CHECK(error_body(dialect::anthropic, e) == anthropic_error_body(e));
  CHECK(stream_error_event(dialect::openai, e) == openai_stream_error_event(e));
  CHECK(stream_error_event(dialect::anthropic, e).rfind("event: error\ndata: ", 0) == 0);
}
