// Shared helpers of the actor tests.
#include "actors/fakes.hpp"

namespace switchyard::test {

protocols::inbound_request make_request(const std::string& model, bool stream) {
  std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}])";
  if (stream) body += R"(,"stream":true)";
  body += "}";
  auto decoded = protocols::decode_openai_request(protocols::api_kind::chat_completions, body);
  if (!decoded) throw std::runtime_error("test request did not decode: " + decoded.error().message);
  return std::move(decoded).value();
}

}  // namespace switchyard::test
