// Fuzzes OpenAI response decoding: the OpenAI re-encode is a fixed point, the Anthropic encode is
// JSON or a 502 naming the field.
#include "fuzz_support.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto resp = decode_openai_chat_response(fuzz::view(data, size));
  if (!resp.ok()) {
    fuzz::require(resp.error().code == gateway_error::upstream_failed, "decode error is not a 502");
    return 0;
  }
  auto once = encode_openai_chat_response(resp.value());
  fuzz::require(once.ok() && fuzz::is_json(once.value().body), "OpenAI body is not JSON");
  auto again = decode_openai_chat_response(once.value().body);
  fuzz::require(again.ok(), "re-encoded response does not decode");
  auto twice = encode_openai_chat_response(again.value());
  fuzz::require(twice.ok() && twice.value().body == once.value().body,
                "OpenAI response re-encode is not a fixed point");
  if (auto a = encode_anthropic_response(resp.value()); a.ok()) {
    fuzz::require(fuzz::is_json(a.value().body), "Anthropic body is not JSON");
    fuzz::require(decode_anthropic_response(a.value().body).ok(),
                  "translated Anthropic response does not decode");
  } else {
    fuzz::require(a.error().code == gateway_error::upstream_failed && !a.error().param.empty(),
                  "encode error is not a 502 naming the field");
  }
  return 0;
}
