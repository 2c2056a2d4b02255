// Client-dialect responses and errors (see client_response.hpp).
#include "protocols/client_response.hpp"

#include <utility>

#include <rapidjson/document.h>

#include "protocols/anthropic_codec.hpp"
#include "protocols/codec_detail.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

namespace switchyard::protocols {

std::string error_body(dialect d, const error_info& e) {
  return d == dialect::anthropic ? anthropic_error_body(e) : openai_error_body(e);
}

std::string stream_error_event(dialect d, const error_info& e) {
  return d == dialect::anthropic ? anthropic_stream_error_event(e) : openai_stream_error_event(e);
}

namespace {

result<canonical_response, error_info> decode_response(dialect upstream, std::string_view body,
                                                       std::string_view id_seed) {
  switch (upstream) {
    case dialect::openai: return decode_openai_chat_response(body);
    case dialect::anthropic: return decode_anthropic_response(body);
    case dialect::gemini: return decode_gemini_response(body, id_seed);
  }
  return make_error(gateway_error::internal, "unknown upstream dialect");
}

// The same-dialect usage (unreported when the body has none the gateway can read: the client
// asked this upstream in its own dialect, so its answer is passed on regardless). OpenAI's is
// read without building a document of the whole body.
usage passthrough_usage(dialect d, std::string_view body) {
  if (d == dialect::openai) return extract_openai_usage(body).value_or(usage{});
  auto decoded = decode_response(d, body, {});
  return decoded.ok() ? decoded.value().usage : usage{};
}

}  // namespace

result<client_body, error_info> client_response_body(dialect client, dialect upstream,
                                                     std::string body,
                                                     const client_response_options& opts) {
  if (client == upstream) {
    const usage tokens = passthrough_usage(upstream, body);
    return client_body{std::move(body), tokens, {}};
  }
  auto decoded = decode_response(upstream, body, opts.id_seed);
  if (!decoded.ok()) return std::move(decoded).error();
  const canonical_response& resp = decoded.value();
  std::string fallback_id;
  result<encoded_body, error_info> enc = error_info{};
  if (client == dialect::anthropic) {
    fallback_id = "msg_" + std::string{opts.id_seed};
    anthropic_response_options o;
    o.fallback_id = fallback_id;
    enc = encode_anthropic_response(resp, o);
  } else {
    fallback_id = "chatcmpl-" + std::string{opts.id_seed};
    openai_response_options o;
    o.fallback_id = fallback_id;
    o.created = opts.created;
    enc = encode_openai_chat_response(resp, o);
  }
  if (!enc.ok()) return std::move(enc).error();
  return client_body{std::move(enc.value().body), resp.usage, std::move(enc.value().dropped)};
}

std::string client_error_passthrough(dialect client, dialect upstream, unsigned status,
                                     std::string_view body) {
  if (client == upstream) return std::string{body};
  // All three dialects put the human-readable part in `error.message`.
  std::string message;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (const auto* err = detail::find(doc, "error"); err && err->IsObject()) {
      if (const auto* m = detail::find(*err, "message"); m && m->IsString())
        message = std::string{detail::view(*m)};
    }
  }
  std::string text = "The upstream (" + std::string{dialect_name(upstream)} +
                     " dialect) refused the request with status " + std::to_string(status);
  text += message.empty() ? "." : ": " + message;
  return error_body(client, make_error(gateway_error::bad_request, std::move(text)));
}

}  // namespace switchyard::protocols
