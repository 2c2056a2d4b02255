// What a client receives from an upstream that may speak another dialect: whole responses, the
// upstream's own refusals, and the gateway's errors, each in the client's dialect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"
#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// The gateway's error body for a client of dialect `d` (OpenAI's shape for OpenAI clients,
/// Anthropic's for Anthropic clients).
std::string error_body(dialect d, const error_info& e);

/// The SSE event that ends a committed stream of a `d` client on failure.
std::string stream_error_event(dialect d, const error_info& e);

/// Where the translated response is silent.
struct client_response_options {
  std::string_view id_seed;  ///< seeds generated ids (the gateway's request id)
  std::int64_t created = 0;  ///< Unix seconds, for OpenAI clients of a dialect without it
};

/// A whole response, ready for the client.
struct client_body {
  std::string body;
  usage tokens;                      ///< what the upstream reported (`reported` false if nothing)
  std::vector<std::string> dropped;  ///< response members the client's dialect has no place for
};

/// Turns a whole 2xx upstream chat response into the client's. Same dialect: the body unchanged,
/// only its usage read (unreported when unreadable). Across dialects: decoded and re-encoded (usage normalized, tool calls and
/// reasoning carried). An upstream body that cannot be decoded is a 502 (upstream_failed).
result<client_body, error_info> client_response_body(dialect client, dialect upstream,
                                                     std::string body,
                                                     const client_response_options& opts = {});

/// An upstream refusal the client gets as its own answer (a 4xx that no other target would
/// answer differently), in the client's dialect: unchanged for the same dialect, else the
/// upstream's `error.message` re-wrapped as a `bad_request` in the client's error shape.
std::string client_error_passthrough(dialect client, dialect upstream, unsigned status,
                                     std::string_view body);

}  // namespace switchyard::protocols
