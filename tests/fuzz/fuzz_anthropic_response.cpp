// Fuzzes Anthropic response decoding: the Anthropic re-encode is a fixed point, the OpenAI encode
// is JSON that decodes again.
#include "fuzz_support.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto resp = decode_anthropic_response(fuzz::view(data, size));
  if (!resp.ok()) {
    fuzz::require(resp.error().code == gateway_error::upstream_failed, "decode error is not a 502");
    return 0;
  }
  auto once = encode_anthropic_response(resp.value());
  fuzz::require(once.ok() && fuzz::is_json(once.value().body), "Anthropic body is not JSON");
  auto again = decode_anthropic_response(once.value().body);
  fuzz::require(again.ok(), "re-encoded response does not decode");
  auto twice = encode_anthropic_response(again.value());
  fuzz::require(twice.ok() && twice.value().body == once.value().body,
                "Anthropic response re-encode is not a fixed point");
  auto o = encode_openai_chat_response(resp.value());
  fuzz::require(o.ok() && fuzz::is_json(o.value().body), "OpenAI body is not JSON");
  fuzz::require(decode_openai_chat_response(o.value().body).ok(),
                "translated OpenAI response does not decode");
  return 0;
}
