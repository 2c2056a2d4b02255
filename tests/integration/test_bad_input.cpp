// Bad input: each malformed, unauthorised, oversized or slow request gets its OpenAI-style error,
// and the same gateway then still serves a normal request.
#include <string>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// Small body and read limits, so that 413 and 408 are cheap to provoke.
struct bad_input_fixture {
  temp_dir dir;
  mock_provider mock{dir, "up"};
  gateway gw{dir, config_builder()
                      .server("max_body_bytes", "4096")
                      .server("read_timeout_ms", "500")
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir)};

  http_response chat(std::string_view body, std::string_view key = test_key) {
    return post_json(gw.port(), "/v1/chat/completions", body, key);
  }
};

std::string head(std::uint16_t port, std::string_view extra_headers) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nAuthorization: Bearer " + std::string(test_key) +
         "\r\nContent-Type: application/json\r\n" + std::string(extra_headers) + "\r\n";
}

}  // namespace

TEST_CASE_METHOD(bad_input_fixture, "bad input: malformed JSON is 400") {
  auto before = mock.requests_total();
  require_openai_error(chat(R"({"model":"chat","messages":[)"), 400);
  CHECK(mock.requests_total() == before);  // never forwarded
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a body that is JSON but not an object is 400") {
  require_openai_error(chat(R"(["model","chat"])"), 400);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture,
                 "bad input: messages of the wrong type is 400 naming the param") {
  auto r = chat(R"({"model":"chat","messages":"hello"})");
  require_openai_error(r, 400, {}, "messages");
  CHECK(json_string(r.json(), "error/type") == "invalid_request_error");
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: missing messages is 400") {
  require_openai_error(chat(R"({"model":"chat"})"), 400, {}, "messages");
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: missing model is 400") {
  require_openai_error(chat(R"({"messages":[{"role":"user","content":"hi"}]})"), 400);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture,
                 "bad input: a model of the wrong type is 400 naming the param") {
  require_openai_error(chat(R"({"model":42,"messages":[{"role":"user","content":"hi"}]})"), 400, {},
                       "model");
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: an unknown model is 404 model_not_found") {
  auto before = mock.requests_total();
  auto r = chat(chat_body("no-such-model"));
  require_openai_error(r, 404, "model_not_found");
  CHECK(json_string(r.json(), "error/message").find("no-such-model") != std::string::npos);
  CHECK(mock.requests_total() == before);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: an unknown API key is 401") {
  auto before = mock.requests_total();
  auto r = chat(chat_body("chat"), "sk-not-a-real-key");
  require_openai_error(r, 401,
                       "invalid_api_key");  // OpenAI's own code (its type is invalid_request_error)
  CHECK(r.body.find("sk-not-a-real-key") == std::string::npos);  // never echo a credential
  CHECK(mock.requests_total() == before);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a missing API key is 401") {
  auto r = http_request(gw.port(), "POST", "/v1/chat/completions", chat_body("chat"),
                        {{"Content-Type", "application/json"}});
  require_openai_error(r, 401);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a malformed Authorization header is 401") {
  auto r = http_request(
      gw.port(), "POST", "/v1/chat/completions", chat_body("chat"),
      {{"Content-Type", "application/json"}, {"Authorization", std::string(test_key)}});
  require_openai_error(r, 401);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a body over max_body_bytes is 413") {
  std::string big = chat_body("chat", false, R"("user":")" + std::string(20000, 'x') + "\"");
  raw_connection c(gw.port());
  c.send(head(gw.port(), "Content-Length: " + std::to_string(big.size()) + "\r\n"));
  c.send(big);  // the gateway may answer and close before it has it all: a failed write is fine
  require_openai_error(c.read_response(), 413);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a chunked body over max_body_bytes is 413") {
  raw_connection c(gw.port());
  c.send(head(gw.port(), "Transfer-Encoding: chunked\r\n"));
  std::string chunk(1000, ' ');
  std::string framed = "3e8\r\n" + chunk + "\r\n";
  // Send chunk after chunk until the gateway answers; without a limit this would go on forever.
  for (int i = 0; i < 64 && !c.readable(0ms); ++i) {
    if (!c.send(framed)) break;
  }
  require_openai_error(c.read_response(), 413);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a client slower than read_timeout_ms gets 408") {
  std::string body = chat_body("chat");
  raw_connection c(gw.port());
  REQUIRE(c.send(head(gw.port(), "Content-Length: " + std::to_string(body.size()) + "\r\n")));
  // Dribble the body a byte at a time, pausing until the server either speaks or 100 ms pass.
  auto start = steady::now();
  std::size_t sent = 0;
  while (sent + 1 < body.size() && !c.readable(100ms)) {
    if (!c.send(body.substr(sent, 1))) break;
    ++sent;
  }
  INFO("sent " << sent << " of " << body.size() << " body bytes");
  REQUIRE(sent + 1 < body.size());  // the server gave up before the body was complete
  CHECK(steady::now() - start >= 400ms);
  require_openai_error(c.read_response(), 408);
  CHECK(c.closed_by_peer(5s));
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture,
                 "bad input: a client that never finishes its headers is dropped") {
  raw_connection c(gw.port());
  REQUIRE(c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"));
  // Either a 408 or a plain close is acceptable, but the connection must not be held forever.
  bool answered = eventually([&] { return c.readable(100ms); }, 5s, 0ms);
  REQUIRE(answered);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: an unknown route is 404") {
  auto r = get(gw.port(), "/v1/nope", test_key);
  require_openai_error(r, 404);
  auto r2 = post_json(gw.port(), "/v2/chat/completions", chat_body("chat"), test_key);
  require_openai_error(r2, 404);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a wrong method on a known route is 405") {
  auto r = get(gw.port(), "/v1/chat/completions", test_key);
  require_openai_error(r, 405);
  auto r2 = http_request(gw.port(), "DELETE", "/v1/models", {}, json_headers(test_key));
  require_openai_error(r2, 405);
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture,
                 "bad input: garbage instead of HTTP is 400 and closes the connection") {
  raw_connection c(gw.port());
  REQUIRE(c.send("THIS IS NOT HTTP\r\n\r\n"));
  auto r = c.read_response();
  CHECK(r.status == 400);
  CHECK(c.closed_by_peer(5s));
  require_serves_normally(gw.port());
}

TEST_CASE_METHOD(bad_input_fixture, "bad input: a keep-alive connection survives an error answer") {
  raw_connection c(gw.port());
  std::string bad = R"({"model":"chat","messages":"x"})";
  std::string good = chat_body("chat");
  REQUIRE(c.send(head(gw.port(), "Content-Length: " + std::to_string(bad.size()) + "\r\n") + bad));
  auto first = c.read_response();
  require_openai_error(first, 400, {}, "messages");
  // A 400 about the JSON body leaves the HTTP framing intact: no reason to drop the connection.
  CHECK(first.header("connection") != "close");
  REQUIRE(
      c.send(head(gw.port(), "Content-Length: " + std::to_string(good.size()) + "\r\n") + good));
  require_chat_completion(c.read_response());
}
