// Pure pieces of the upstream client: the request head it writes and the Retry-After it reads.
#include <catch2/catch.hpp>

#include <chrono>

#include "runtime/request_head.hpp"
#include "runtime/upstream_response.hpp"

using namespace switchyard;
using namespace switchyard::runtime;

namespace {

config::provider_config provider(bool tls, const std::string& host, std::uint16_t port) {
  config::provider_config p;
  p.name = "p";
  p.type = config::provider_type::openai;
  p.endpoint = {tls, host, port, "/v1"};
  p.api_key = "sk-x";
  return p;
}

actors::attempt_spec spec_for(const config::provider_config& p, bool stream = false) {
  actors::attempt_spec s;
  s.provider = &p;
  s.path = "/chat/completions";
  s.body = R"({"model":"m"})";
  s.stream = stream;
  return s;
}

bool has_line(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("request head: request line, Host and framing", "[upstream][wire]") {
  std::string head, error;
  auto p = provider(true, "api.openai.com", 443);
  REQUIRE(build_upstream_request_head(spec_for(p, true), head, error));
  CHECK(head.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0) == 0);
  CHECK(has_line(head, "Host: api.openai.com"));  // default port omitted
  CHECK(has_line(head, "Content-Length: 13"));
  CHECK(has_line(head, "Authorization: Bearer sk-x"));
  CHECK(has_line(head, "Accept: text/event-stream"));
  CHECK(has_line(head, "Connection: keep-alive"));
  CHECK(head.size() >= 4);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

  p = provider(false, "::1", 8000);
  auto s = spec_for(p);
  s.kind = protocols::api_kind::embeddings;
  s.path = "/embeddings";
  REQUIRE(build_upstream_request_head(s, head, error));
  CHECK(head.rfind("POST /v1/embeddings HTTP/1.1\r\n", 0) == 0);
  CHECK(has_line(head, "Host: [::1]:8000"));
  CHECK(has_line(head, "Accept: application/json"));
}

TEST_CASE("request head: provider headers may replace defaults but never framing",
          "[upstream][wire]") {
  std::string head, error;
  auto p = provider(false, "h", 80);
  p.api_key.clear();
  p.headers["User-Agent"] = "custom/1";
  p.headers["api-key"] = "azure-key";
  p.headers["Content-Length"] = "999";
  p.headers["Connection"] = "close";
  REQUIRE(build_upstream_request_head(spec_for(p), head, error));
  CHECK(has_line(head, "User-Agent: custom/1"));
  CHECK(head.find("switchyard/") == std::string::npos);
  CHECK(has_line(head, "api-key: azure-key"));
  CHECK(head.find("Authorization") == std::string::npos);  // no key, no header
  CHECK(head.find("999") == std::string::npos);
  CHECK(head.find("close") == std::string::npos);
}

TEST_CASE("request head: header injection is refused", "[upstream][wire]") {
  std::string head, error;
  auto p = provider(false, "h", 80);
  p.headers["X-A"] = "v\r\nEvil: 1";
  CHECK_FALSE(build_upstream_request_head(spec_for(p), head, error));
  CHECK(error.find("X-A") != std::string::npos);

  p = provider(false, "h", 80);
  p.headers["Bad Name"] = "v";
  CHECK_FALSE(build_upstream_request_head(spec_for(p), head, error));

  p = provider(false, "h", 80);
  p.api_key = "sk\nx";
  CHECK_FALSE(build_upstream_request_head(spec_for(p), head, error));
  CHECK(error.find("api_key") != std::string::npos);
  CHECK(error.find("sk") == std::string::npos);  // never the secret itself
}

TEST_CASE("Retry-After: delta seconds and HTTP dates", "[upstream][wire]") {
  using namespace std::chrono;
  // 2015-10-21 07:28:00 UTC
  const system_clock::time_point now{seconds{1445412480}};
  CHECK(parse_retry_after("120", now) == 120);
  CHECK(parse_retry_after(" 5 ", now) == 5);
  CHECK(parse_retry_after("0", now) == 0);
  CHECK(parse_retry_after("", now) == 0);
  CHECK(parse_retry_after("soon", now) == 0);
  CHECK(parse_retry_after("12s", now) == 0);
  CHECK(parse_retry_after("99999999999", now) == 86400);  // capped at a day
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == 0);  // past
  CHECK(parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now) == 86400);
  CHECK(parse_retry_after("Wed, 21 Foo 2015 07:28:30 GMT", now) == 0);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 UTC", now) == 0);
  CHECK(parse_retry_after("Sun, 01 Mar 2020 00:00:10 GMT",
                          system_clock::time_point{seconds{1583020800}}) == 10);
}

TEST_CASE("request head: an Anthropic provider gets x-api-key and anthropic-version",
          "[upstream][wire]") {
  std::string head, error;
  auto p = provider(true, "api.anthropic.com", 443);
  p.type = config::provider_type::anthropic;
  p.api_key = "sk-ant";
  auto s = spec_for(p, true);
  s.path = "/messages";
  REQUIRE(build_upstream_request_head(s, head, error));
  CHECK(head.rfind("POST /v1/messages HTTP/1.1\r\n", 0) == 0);
  CHECK(has_line(head, "x-api-key: sk-ant"));
  CHECK(has_line(head, "anthropic-version: 2023-06-01"));
  CHECK(head.find("Authorization") == std::string::npos);

  // A configured anthropic-version (e.g. with a beta header next to it) replaces the default.
  p.headers["anthropic-version"] = "2024-10-22";
  p.headers["anthropic-beta"] = "prompt-caching-2024-07-31";
  REQUIRE(build_upstream_request_head(s, head, error));
  CHECK(has_line(head, "anthropic-version: 2024-10-22"));
  CHECK(head.find("2023-06-01") == std::string::npos);
  CHECK(has_line(head, "anthropic-beta: prompt-caching-2024-07-31"));
}

TEST_CASE("request head: a Gemini provider gets x-goog-api-key and the model's path",
          "[upstream][wire]") {
  std::string head, error;
  auto p = provider(true, "generativelanguage.googleapis.com", 443);
  p.type = config::provider_type::gemini;
  p.endpoint.base_path = "/v1beta";
  p.api_key = "AIza";
  auto s = spec_for(p, true);
  s.path = "/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
  REQUIRE(build_upstream_request_head(s, head, error));
  CHECK(head.rfind(
            "POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1\r\n", 0) ==
        0);
  CHECK(has_line(head, "x-goog-api-key: AIza"));
  CHECK(head.find("Authorization") == std::string::npos);
}

TEST_CASE("request head: a path that would break the request line is refused", "[upstream][wire]") {
  std::string head, error;
  auto p = provider(false, "h", 80);
  for (const char* bad : {"", "chat", "/a b", "/a\r\nX: 1"}) {
    auto s = spec_for(p);
    s.path = bad;
    CHECK_FALSE(build_upstream_request_head(s, head, error));
  }
}
