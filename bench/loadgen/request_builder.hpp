// Prebuilt HTTP/1.1 requests: one per request shape, built once before the run, so sending a
// request is a copy (plus a 16-digit unique tag stamped into chat prompts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/schedule.hpp"

namespace switchyard::loadgen {

/// One complete request on the wire.
struct request_template {
  std::string bytes;  ///< request line, headers and body
  /// Offset in `bytes` of the 16 hex digits to overwrite with a unique tag; npos when none.
  std::size_t tag_offset = std::string::npos;
  bool stream = false;  ///< asks for an event stream
  bool head = false;    ///< a HEAD request (the response has no body)
  std::size_t model = 0;
};

/// Number of hex digits of the unique tag.
constexpr std::size_t tag_digits = 16;

/// Builds the templates: for chat mode one per shape of `mix` (indexed by
/// `request_mix::index_of`), for raw mode exactly one.
std::vector<request_template> build_templates(const options& o, const request_mix& mix);

/// The chat completion body for one shape (the prompt is exactly `prompt_bytes` long and, when
/// `tagged`, starts with 16 zero digits followed by a space).
std::string chat_body(const options& o, std::string_view model, std::size_t prompt_bytes,
                      bool stream, bool tagged);

/// Writes `tag` as 16 lowercase hex digits at `at`.
void stamp_tag(char* at, std::uint64_t tag) noexcept;

/// The mix for `o` (one shape in raw mode).
request_mix make_mix(const options& o);

}  // namespace switchyard::loadgen
