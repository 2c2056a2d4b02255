// Internal helpers shared by the codecs' JSON code (RapidJSON writer on string_views, lossless
// parse flags). Not part of the protocols interface.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocols/usage.hpp"

namespace switchyard::protocols::detail {

/// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms,
/// no surrogates, nothing past U+10FFFF), or npos. ASCII runs are skipped eight bytes at a time.
std::size_t invalid_utf8_offset(std::string_view s) noexcept;

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes `s` as an escaped JSON string.
/// OpenAI's `usage` object (the value only; the caller writes the key): prompt, completion and
/// total tokens with cached and reasoning details. One writer for every OpenAI body and chunk.
void write_openai_usage(json_writer& w, const usage& u);

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// Writes `s` as an object key.
inline void write_key(json_writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// The buffer's contents as a string.
inline std::string to_string(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace switchyard::protocols::detail
