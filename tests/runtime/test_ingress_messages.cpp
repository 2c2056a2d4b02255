// The Anthropic-compatible ingress (/v1/messages and count_tokens) in front of the real control
// plane and the in-process mock provider, which speaks OpenAI's dialect: what an Anthropic client
// sees, errors in Anthropic's shape, and the record the control plane keeps.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "test_ingress_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

std::string messages_body(const std::string& model, bool stream, const std::string& extra = {}) {
  return R"({"model":")" + model + R"(","max_tokens":64,"stream":)" + (stream ? "true" : "false") +
         extra + R"(,"messages":[{"role":"user","content":"hello there"}]})";
}

std::vector<std::pair<std::string, std::string>> anthropic_headers(const char* key) {
  return {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}};
}

rapidjson::Document json_of(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  INFO(body);
  REQUIRE(d.IsObject());
  return d;
}

// The `type` of each SSE event's data, in order.
std::vector<std::string> event_types(const std::string& stream) {
  std::vector<std::string> out;
  for (std::size_t at = stream.find("data: "); at != std::string::npos;
       at = stream.find("data: ", at + 1)) {
    const auto end = stream.find('\n', at);
    const auto d = json_of(stream.substr(at + 6, end - at - 6));
    out.emplace_back(d["type"].GetString());
  }
  return out;
}

void check_anthropic_error(const std::string& body, const std::string& type) {
  const auto d = json_of(body);
  CHECK(std::string{d["type"].GetString()} == "error");
  CHECK(std::string{d["error"]["type"].GetString()} == type);
  CHECK(d["error"]["message"].GetStringLength() > 0);
}

}  // namespace

TEST_CASE("a Messages request is answered in Anthropic's format", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/messages", messages_body("m1", false), anthropic_headers(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  const auto d = json_of(res->body());
  CHECK(std::string{d["type"].GetString()} == "message");
  CHECK(std::string{d["role"].GetString()} == "assistant");
  CHECK(std::string{d["stop_reason"].GetString()} == "end_turn");
  REQUIRE(d["content"].Size() == 1);
  CHECK(std::string{d["content"][0]["text"].GetString()}.find("hello there") != std::string::npos);
  CHECK(d["usage"]["input_tokens"].GetInt() > 0);
  CHECK(d["usage"]["output_tokens"].GetInt() > 0);

  auto rec = srv.records().next();
  REQUIRE(rec);
  CHECK(rec->client == protocols::dialect::anthropic);
  CHECK(rec->status == 200);
  CHECK(rec->usage.completion_tokens == static_cast<unsigned>(d["usage"]["output_tokens"].GetInt()));
  CHECK(srv.exporter().scrape().find(
            R"(switchyard_requests_total{model="m1",provider="p1",route="messages",status_class="2xx"} 1)") !=
        std::string::npos);
}

TEST_CASE("a streamed Messages request follows Anthropic's event sequence", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/messages", messages_body("m1", true), anthropic_headers(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->at(http::field::content_type) == "text/event-stream");
  const auto types = event_types(res->body());
  REQUIRE(types.size() >= 6);
  CHECK(types.front() == "message_start");
  CHECK(types[1] == "content_block_start");
  CHECK(types[types.size() - 3] == "content_block_stop");
  CHECK(types[types.size() - 2] == "message_delta");
  CHECK(types.back() == "message_stop");
  CHECK(res->body().find("[DONE]") == std::string::npos);
  auto rec = srv.records().next();
  REQUIRE(rec);
  CHECK(rec->stream);
  CHECK(rec->usage.completion_tokens > 0);
}

TEST_CASE("Messages errors use Anthropic's error shape", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/messages", messages_body("m1", false),
                     anthropic_headers("sk-wrong")));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 401);
  check_anthropic_error(res->body(), "authentication_error");

  c.send(raw_request("POST", "/v1/messages",
                     R"({"model":"m1","messages":[{"role":"user","content":"hi"}]})",
                     anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 400);
  check_anthropic_error(res->body(), "invalid_request_error");
  CHECK(res->body().find("max_tokens") != std::string::npos);

  c.send(raw_request("POST", "/v1/messages", messages_body("no-such-model", false),
                     anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  check_anthropic_error(res->body(), "not_found_error");

  // team-a may not use m2.
  c.send(raw_request("POST", "/v1/messages", messages_body("m2", false), anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 403);
  check_anthropic_error(res->body(), "permission_error");
}

TEST_CASE("count_tokens answers an estimate without calling a provider", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/messages/count_tokens",
                     R"({"model":"m1","messages":[{"role":"user","content":"0123456789abcdef"}]})",
                     anthropic_headers(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(json_of(res->body())["input_tokens"].GetInt() == 4);
  c.send(raw_request("POST", "/v1/messages/count_tokens", R"({"model":"m1"})",
                     anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 400);
  check_anthropic_error(res->body(), "invalid_request_error");
  // The model must exist and be the tenant's, as for Messages.
  c.send(raw_request("POST", "/v1/messages/count_tokens",
                     R"({"model":"nope","messages":[{"role":"user","content":"x"}]})",
                     anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  check_anthropic_error(res->body(), "not_found_error");
  c.send(raw_request("POST", "/v1/messages/count_tokens",
                     R"({"model":"m2","messages":[{"role":"user","content":"x"}]})",
                     anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 403);
  check_anthropic_error(res->body(), "permission_error");
  CHECK_FALSE(srv.records().next(200ms));  // no request reached the control plane
}

TEST_CASE("Anthropic clients get request-id, and Anthropic errors on unknown Messages paths",
          "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  auto headers = anthropic_headers(key_a);
  headers.emplace_back("x-request-id", "rid-7");
  c.send(raw_request("POST", "/v1/messages", messages_body("m1", false), headers));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->at("request-id") == "rid-7");  // what Anthropic's SDKs read
  CHECK(res->at("x-request-id") == "rid-7");

  c.send(raw_request("GET", "/v1/messages", {}, anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 405);
  check_anthropic_error(res->body(), "invalid_request_error");
  c.send(raw_request("POST", "/v1/messages/batches", "{}", anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  check_anthropic_error(res->body(), "not_found_error");

  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1"), bearer(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->count("request-id") == 0);  // OpenAI clients keep to x-request-id
}

TEST_CASE("one model is retrieved in the dialect of the SDK that asks", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/v1/models/m1", {}, bearer(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(std::string{json_of(res->body())["object"].GetString()} == "model");
  c.send(raw_request("GET", "/v1/models/m1", {}, anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(std::string{json_of(res->body())["type"].GetString()} == "model");
  // team-a may not use m2: it does not exist for it.
  c.send(raw_request("GET", "/v1/models/m2", {}, anthropic_headers(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  check_anthropic_error(res->body(), "not_found_error");
  c.send(raw_request("GET", "/v1/models/nope", {}, bearer(key_a)));
  res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  CHECK(json_of(res->body()).HasMember("error"));
}

TEST_CASE("the model list follows the SDK that asks", "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/v1/models", {}, anthropic_headers(key_b)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  auto d = json_of(res->body());
  CHECK(d["data"].Size() == 2);
  CHECK(std::string{d["data"][0]["type"].GetString()} == "model");
  CHECK(d.HasMember("has_more"));

  c.send(raw_request("GET", "/v1/models", {}, bearer(key_b)));
  res = c.read_response();
  REQUIRE(res);
  d = json_of(res->body());
  CHECK(std::string{d["object"].GetString()} == "list");
}

TEST_CASE("a body over the limit on /v1/messages is refused in Anthropic's shape",
          "[ingress][messages]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  const std::string big(100 * 1024, 'x');  // the test config allows 64 KiB
  c.send(raw_request("POST", "/v1/messages", big, anthropic_headers(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 413);
  check_anthropic_error(res->body(), "request_too_large");
}
