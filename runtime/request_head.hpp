// The request line and headers of one upstream HTTP/1.1 request (the body is sent as is).
#pragma once

#include <string>

#include "actors/ports/upstream_transport.hpp"

namespace switchyard::runtime {

/// Writes into `out` the head of `POST {base_path}/chat/completions` (or `/embeddings`) for
/// `spec`: Host, Content-Type, Content-Length, Authorization (when the provider has a key),
/// Accept, User-Agent, the provider's own `headers` (which may replace Accept, User-Agent and
/// Authorization but never the framing fields) and `Connection: keep-alive`. False with `error`
/// set when a configured header or the key would break the request framing (CR, LF or NUL).
bool build_upstream_request_head(const actors::attempt_spec& spec, std::string& out,
                                 std::string& error);

}  // namespace switchyard::runtime
