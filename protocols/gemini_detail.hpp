// Internal: Gemini usage normalization, shared by the response codec and the stream translator.
// Not part of the protocols interface.
#pragma once

#include <rapidjson/document.h>

#include "protocols/usage.hpp"

namespace switchyard::protocols::gemini_detail {

/// Normalizes `usageMetadata` (see decode_gemini_response).
usage read_usage(const rapidjson::Value& meta);

}  // namespace switchyard::protocols::gemini_detail
