// Fuzzes Gemini response decoding and its translation for OpenAI and Anthropic clients.
#include "fuzz_support.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto resp = decode_gemini_response(fuzz::view(data, size), "seed");
  if (!resp.ok()) {
    fuzz::require(resp.error().code == gateway_error::upstream_failed, "decode error is not a 502");
    return 0;
  }
  auto o = encode_openai_chat_response(resp.value());
  fuzz::require(o.ok() && fuzz::is_json(o.value().body), "OpenAI body is not JSON");
  fuzz::require(decode_openai_chat_response(o.value().body).ok(),
                "translated OpenAI response does not decode");
  if (auto a = encode_anthropic_response(resp.value()); a.ok()) {
    fuzz::require(fuzz::is_json(a.value().body), "Anthropic body is not JSON");
    fuzz::require(decode_anthropic_response(a.value().body).ok(),
                  "translated Anthropic response does not decode");
  }
  return 0;
}
