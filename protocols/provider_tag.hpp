// OpenRouter tells a client which provider served it with a top-level `provider` member in the
// response body and in every stream chunk; these add it to the gateway's OpenAI-dialect answers.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::protocols {

/// `body` (a JSON object) with `"provider": provider` as its first member. Returned unchanged
/// when it is not an object or already has a top-level `provider` (an upstream that is itself a
/// router).
std::string add_provider_member(std::string body, std::string_view provider);

/// The same for every `data: {…}` event in `events` (whole SSE events, as a stream relay emits
/// them); other lines (`data: [DONE]`, comments, `event:`) are kept as they are.
std::string add_provider_to_events(std::string_view events, std::string_view provider);

}  // namespace switchyard::protocols
