// The request line and headers of one upstream HTTP/1.1 request (the body is sent as is).
#pragma once

#include <string>

#include "actors/ports/upstream_transport.hpp"

namespace switchyard::runtime {

/// Writes into `out` the head of `POST {base_path}{spec.path}` for `spec`: Host, Content-Type,
/// Content-Length, the provider's key in its dialect's header (`Authorization: Bearer`,
/// Anthropic's `x-api-key` with `anthropic-version`, Gemini's `x-goog-api-key`), Accept,
/// User-Agent, the provider's own `headers` (which may replace Accept, User-Agent, the key header
/// and `anthropic-version` but never the framing fields) and `Connection: keep-alive`. False with
/// `error` set when a configured header, the key or the path would break the request framing.
bool build_upstream_request_head(const actors::attempt_spec& spec, std::string& out,
                                 std::string& error);

}  // namespace switchyard::runtime
