// Fuzzes Anthropic request decoding and every encoder: the Anthropic re-encode is a fixed point,
// the passthrough and cross-dialect bodies are JSON, errors name a field.
#include "fuzz_support.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto req = decode_anthropic_request(fuzz::view(data, size));
  if (!req.ok()) {
    fuzz::require(req.error().code == gateway_error::bad_request, "decode error is not a 400");
    return 0;
  }
  fuzz::require(fuzz::is_json(encode_anthropic_passthrough(req.value(), "up")),
                "passthrough wrote invalid JSON");
  auto once = encode_anthropic_request(req.value(), "m");
  fuzz::require(once.ok(), "same-dialect encode failed");
  auto again = decode_anthropic_request(once.value().body);
  fuzz::require(again.ok(), "re-encoded request does not decode");
  auto twice = encode_anthropic_request(again.value(), "m");
  fuzz::require(twice.ok() && twice.value().body == once.value().body,
                "Anthropic re-encode is not a fixed point");
  for (const bool drop : {false, true}) {
    openai_encode_options o;
    o.drop_unsupported = drop;
    if (auto r = encode_openai_chat_request(req.value(), "gpt", o); r.ok()) {
      fuzz::require(fuzz::is_json(r.value().body), "OpenAI body is not JSON");
      fuzz::require(decode_openai_chat_request(r.value().body).ok(),
                    "translated OpenAI body does not decode");
    } else {
      fuzz::require(!r.error().param.empty(), "encode error names no field");
    }
    gemini_encode_options g;
    g.drop_unsupported = drop;
    if (auto r = encode_gemini_request(req.value(), "gemini", g); r.ok()) {
      fuzz::require(fuzz::is_json(r.value().body), "Gemini body is not JSON");
    } else {
      fuzz::require(!r.error().param.empty(), "encode error names no field");
    }
  }
  return 0;
}
