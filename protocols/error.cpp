// Error codes and their wire forms: HTTP status, OpenAI and Anthropic error bodies, and the SSE
// event that ends a committed stream on failure.
#include "protocols/error.hpp"

#include "protocols/json_util.hpp"

namespace switchyard::protocols {

namespace {

using detail::json_writer;
using detail::to_string;
using detail::write_string;

void write_openai_error_object(json_writer& w, const error_info& e) {
  w.StartObject();
  w.Key("message");
  write_string(w, e.message);
  w.Key("type");
  write_string(w, openai_error_type(e.code));
  w.Key("code");
  write_string(w, openai_error_code(e.code));
  w.Key("param");
  if (e.param.empty()) {
    w.Null();
  } else {
    write_string(w, e.param);
  }
  w.EndObject();
}

}  // namespace

error_info make_error(gateway_error code, std::string message, std::string param,
                      std::optional<std::uint32_t> retry_after_s) {
  return error_info{code, std::move(message), std::move(param), retry_after_s};
}

unsigned http_status(gateway_error code) noexcept {
  switch (code) {
    case gateway_error::bad_request:
      return 400;
    case gateway_error::unauthorized:
      return 401;
    case gateway_error::budget_exhausted:
      return 402;
    case gateway_error::forbidden:
      return 403;
    case gateway_error::model_not_found:
    case gateway_error::route_not_found:
      return 404;
    case gateway_error::method_not_allowed:
      return 405;
    case gateway_error::request_timeout:
      return 408;
    case gateway_error::payload_too_large:
      return 413;
    case gateway_error::rate_limited:
      return 429;
    case gateway_error::internal:
      return 500;
    case gateway_error::upstream_failed:
      return 502;
    case gateway_error::overloaded:
    case gateway_error::no_healthy_target:
    case gateway_error::draining:
    case gateway_error::counters_unavailable:
      return 503;
    case gateway_error::upstream_timeout:
      return 504;
  }
  return 500;
}

// OpenAI's own types: client mistakes, including a bad key (401) and an unknown model (404), are
// "invalid_request_error"; server-side failures are "server_error"; a spent quota is
// "insufficient_quota" (OpenAI sends it with 429, we with 402 because the budget is the gateway's);
// rate limits carry the limited dimension as the type ("requests" or "tokens"). The enum does not
// say which window filled, so we report "requests", the dimension every tenant has. SDKs dispatch
// on the HTTP status, so these strings are for humans and log filters.
std::string_view openai_error_type(gateway_error code) noexcept {
  switch (code) {
    case gateway_error::bad_request:
    case gateway_error::unauthorized:
    case gateway_error::forbidden:
    case gateway_error::model_not_found:
    case gateway_error::route_not_found:
    case gateway_error::method_not_allowed:
    case gateway_error::request_timeout:
    case gateway_error::payload_too_large:
      return "invalid_request_error";
    case gateway_error::budget_exhausted:
      return "insufficient_quota";
    case gateway_error::rate_limited:
      return "requests";
    case gateway_error::internal:
    case gateway_error::upstream_failed:
    case gateway_error::overloaded:
    case gateway_error::no_healthy_target:
    case gateway_error::draining:
    case gateway_error::upstream_timeout:
    case gateway_error::counters_unavailable:
      return "server_error";
  }
  return "server_error";
}

// OpenAI's codes where it has one ("invalid_api_key", "insufficient_quota", "model_not_found",
// "rate_limit_exceeded"); elsewhere OpenAI often sends null, but a stable string lets clients and
// dashboards tell the gateway's failure modes apart (three different 503s, for instance).
std::string_view openai_error_code(gateway_error code) noexcept {
  switch (code) {
    case gateway_error::bad_request:
      return "invalid_request";
    case gateway_error::unauthorized:
      return "invalid_api_key";
    case gateway_error::budget_exhausted:
      return "insufficient_quota";
    case gateway_error::forbidden:
      return "model_not_allowed";
    case gateway_error::model_not_found:
      return "model_not_found";
    case gateway_error::route_not_found:
      return "unknown_url";
    case gateway_error::method_not_allowed:
      return "method_not_allowed";
    case gateway_error::request_timeout:
      return "request_timeout";
    case gateway_error::payload_too_large:
      return "request_too_large";
    case gateway_error::rate_limited:
      return "rate_limit_exceeded";
    case gateway_error::internal:
      return "internal_error";
    case gateway_error::upstream_failed:
      return "upstream_error";
    case gateway_error::overloaded:
      return "overloaded";
    case gateway_error::no_healthy_target:
      return "no_healthy_upstream";
    case gateway_error::draining:
      return "server_draining";
    case gateway_error::upstream_timeout:
      return "upstream_timeout";
    case gateway_error::counters_unavailable:
      return "counters_unavailable";
  }
  return "internal_error";
}

// Anthropic's documented `error.type` values: 400 invalid_request_error, 401
// authentication_error, 402 billing_error, 403 permission_error, 404 not_found_error, 413
// request_too_large, 429 rate_limit_error, 500 api_error, 504 timeout_error, 529
// overloaded_error. Our 503s (overloaded, no healthy target, draining) all mean "retry later",
// which Anthropic clients know as overloaded_error; a slow client (408) is a timeout too.
std::string_view anthropic_error_type(gateway_error code) noexcept {
  switch (code) {
    case gateway_error::bad_request:
    case gateway_error::method_not_allowed:
      return "invalid_request_error";
    case gateway_error::unauthorized:
      return "authentication_error";
    case gateway_error::budget_exhausted:
      return "billing_error";
    case gateway_error::forbidden:
      return "permission_error";
    case gateway_error::model_not_found:
    case gateway_error::route_not_found:
      return "not_found_error";
    case gateway_error::request_timeout:
    case gateway_error::upstream_timeout:
      return "timeout_error";
    case gateway_error::payload_too_large:
      return "request_too_large";
    case gateway_error::rate_limited:
      return "rate_limit_error";
    case gateway_error::internal:
    case gateway_error::upstream_failed:
      return "api_error";
    case gateway_error::overloaded:
    case gateway_error::no_healthy_target:
    case gateway_error::draining:
    case gateway_error::counters_unavailable:
      return "overloaded_error";
  }
  return "api_error";
}

std::string openai_error_body(const error_info& e) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("error");
  write_openai_error_object(w, e);
  w.EndObject();
  return to_string(buf);
}

std::string anthropic_error_body(const error_info& e) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("type");
  w.String("error");
  w.Key("error");
  w.StartObject();
  w.Key("type");
  write_string(w, anthropic_error_type(e.code));
  w.Key("message");
  write_string(w, e.message);
  w.EndObject();
  w.EndObject();
  return to_string(buf);
}

std::string openai_stream_error_event(const error_info& e) {
  // The body is one line: the writer escapes every control character, newlines included.
  std::string body = openai_error_body(e);
  std::string out;
  out.reserve(body.size() + 8);
  out.append("data: ").append(body).append("\n\n");
  return out;
}

}  // namespace switchyard::protocols
