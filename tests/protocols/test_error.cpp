// Tests for the gateway's error vocabulary: statuses, OpenAI/Anthropic type strings, and bodies.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "protocols/error.hpp"

using namespace switchyard::protocols;

namespace {

constexpr gateway_error all_codes[] = {
    gateway_error::bad_request,
    gateway_error::unauthorized,
    gateway_error::budget_exhausted,
    gateway_error::forbidden,
    gateway_error::model_not_found,
    gateway_error::route_not_found,
    gateway_error::method_not_allowed,
    gateway_error::request_timeout,
    gateway_error::payload_too_large,
    gateway_error::rate_limited,
    gateway_error::internal,
    gateway_error::upstream_failed,
    gateway_error::overloaded,
    gateway_error::no_healthy_target,
    gateway_error::draining,
    gateway_error::upstream_timeout,
    gateway_error::counters_unavailable,
};

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("every error code maps to the status a client SDK expects", "[error]") {
  const std::pair<gateway_error, unsigned> expected[] = {
      {gateway_error::bad_request, 400},
      {gateway_error::unauthorized, 401},
      {gateway_error::budget_exhausted, 402},
      {gateway_error::forbidden, 403},
      {gateway_error::model_not_found, 404},
      {gateway_error::route_not_found, 404},
      {gateway_error::method_not_allowed, 405},
      {gateway_error::request_timeout, 408},
      {gateway_error::payload_too_large, 413},
      {gateway_error::rate_limited, 429},
      {gateway_error::internal, 500},
      {gateway_error::upstream_failed, 502},
      {gateway_error::overloaded, 503},
      {gateway_error::no_healthy_target, 503},
      {gateway_error::draining, 503},
      {gateway_error::upstream_timeout, 504},
      {gateway_error::counters_unavailable, 503},
  };
  STATIC_REQUIRE(std::size(expected) == std::size(all_codes));
  for (const auto& [code, status] : expected) {
    CAPTURE(static_cast<int>(code));
    CHECK(http_status(code) == status);
  }
}

TEST_CASE("OpenAI error types and codes follow OpenAI's own", "[error]") {
  CHECK(openai_error_type(gateway_error::bad_request) == "invalid_request_error");
  CHECK(openai_error_type(gateway_error::unauthorized) == "invalid_request_error");
  CHECK(openai_error_code(gateway_error::unauthorized) == "invalid_api_key");
  CHECK(openai_error_code(gateway_error::model_not_found) == "model_not_found");
  CHECK(openai_error_type(gateway_error::budget_exhausted) == "insufficient_quota");
  CHECK(openai_error_code(gateway_error::budget_exhausted) == "insufficient_quota");
  CHECK(openai_error_type(gateway_error::rate_limited) == "requests");
  CHECK(openai_error_code(gateway_error::rate_limited) == "rate_limit_exceeded");
  CHECK(openai_error_type(gateway_error::upstream_failed) == "server_error");
  CHECK(openai_error_type(gateway_error::overloaded) == "server_error");
  for (auto code : all_codes) {
    CAPTURE(static_cast<int>(code));
    CHECK_FALSE(openai_error_type(code).empty());
    CHECK_FALSE(openai_error_code(code).empty());
    // Server-side failures are server errors; everything else is the client's to fix.
    CHECK((openai_error_type(code) == "server_error") == (http_status(code) >= 500));
  }
  // The three 503s are told apart by their code.
  CHECK(openai_error_code(gateway_error::overloaded) !=
        openai_error_code(gateway_error::no_healthy_target));
  CHECK(openai_error_code(gateway_error::draining) !=
        openai_error_code(gateway_error::no_healthy_target));
  CHECK(openai_error_code(gateway_error::counters_unavailable) == "counters_unavailable");
}

TEST_CASE("Anthropic error types are Anthropic's documented ones", "[error]") {
  const std::pair<gateway_error, std::string_view> expected[] = {
      {gateway_error::bad_request, "invalid_request_error"},
      {gateway_error::unauthorized, "authentication_error"},
      {gateway_error::budget_exhausted, "billing_error"},
      {gateway_error::forbidden, "permission_error"},
      {gateway_error::model_not_found, "not_found_error"},
      {gateway_error::route_not_found, "not_found_error"},
      {gateway_error::method_not_allowed, "invalid_request_error"},
      {gateway_error::request_timeout, "timeout_error"},
      {gateway_error::payload_too_large, "request_too_large"},
      {gateway_error::rate_limited, "rate_limit_error"},
      {gateway_error::internal, "api_error"},
      {gateway_error::upstream_failed, "api_error"},
      {gateway_error::overloaded, "overloaded_error"},
      {gateway_error::no_healthy_target, "overloaded_error"},
      {gateway_error::draining, "overloaded_error"},
      {gateway_error::upstream_timeout, "timeout_error"},
      {gateway_error::counters_unavailable, "overloaded_error"},
  };
  STATIC_REQUIRE(std::size(expected) == std::size(all_codes));
  for (const auto& [code, type] : expected) {
    CAPTURE(static_cast<int>(code));
    CHECK(anthropic_error_type(code) == type);
  }
}

TEST_CASE("make_error fills every field", "[error]") {
  const auto e = make_error(gateway_error::rate_limited, "slow down", "model", 7);
  CHECK(e.code == gateway_error::rate_limited);
  CHECK(e.message == "slow down");
  CHECK(e.param == "model");
  REQUIRE(e.retry_after_s);
  CHECK(*e.retry_after_s == 7);
  const auto plain = make_error(gateway_error::internal, "oops");
  CHECK(plain.param.empty());
  CHECK_FALSE(plain.retry_after_s);
}

TEST_CASE("OpenAI error body has message, type, code and a null param", "[error]") {
  const auto body = openai_error_body(make_error(gateway_error::model_not_found, "no such model"));
  CHECK(body == R"({"error":{"message":"no such model","type":"invalid_request_error",)"
                R"("code":"model_not_found","param":null}})");
}

TEST_CASE("OpenAI error body escapes the message and names the param", "[error]") {
  const std::string message = "bad \"quote\" \\ back\nnew\tline \x01 caf\xC3\xA9 </script>";
  const auto body =
      openai_error_body(make_error(gateway_error::bad_request, message, "messages[0].role"));
  CHECK(body.find('\n') == std::string::npos);
  const auto d = parse(body);
  const auto& err = d["error"];
  CHECK(err["message"].GetString() == message);
  CHECK(std::string(err["type"].GetString()) == "invalid_request_error");
  CHECK(std::string(err["code"].GetString()) == "invalid_request");
  CHECK(std::string(err["param"].GetString()) == "messages[0].role");
  CHECK(err.MemberCount() == 4);
}

TEST_CASE("Anthropic error body has the Anthropic shape", "[error]") {
  const auto body = anthropic_error_body(make_error(gateway_error::overloaded, "busy \"now\""));
  CHECK(body == R"({"type":"error","error":{"type":"overloaded_error","message":"busy \"now\""}})");
  const auto d = parse(body);
  CHECK(std::string(d["error"]["message"].GetString()) == "busy \"now\"");
}

TEST_CASE("the stream error event is one SSE data event with the OpenAI body", "[error]") {
  const auto e = make_error(gateway_error::upstream_failed, "upstream broke\nmid-stream");
  const auto ev = openai_stream_error_event(e);
  REQUIRE(ev.rfind("data: ", 0) == 0);
  REQUIRE(ev.size() > 8);
  CHECK(ev.substr(ev.size() - 2) == "\n\n");
  const auto json = ev.substr(6, ev.size() - 8);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json == openai_error_body(e));
  CHECK(ev.find("[DONE]") == std::string::npos);
  const auto d = parse(json);
  CHECK(std::string(d["error"]["message"].GetString()) == "upstream broke\nmid-stream");
  CHECK(std::string(d["error"]["type"].GetString()) == "server_error");
}
