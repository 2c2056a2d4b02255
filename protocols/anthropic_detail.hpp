// Internal: Anthropic content blocks and usage, shared by the request and response codecs and
// the stream translators. Not part of the protocols interface.
#pragma once

#include <string_view>

#include "protocols/codec_detail.hpp"

namespace switchyard::protocols::anthropic_detail {

using rapidjson::Value;

/// The block's `type`, or empty when it has none.
std::string_view type_of(const Value& block) noexcept;

/// Decodes a text, image, thinking or redacted_thinking block into `out`; any other block type
/// becomes an opaque part.
bool block(detail::reader& r, const Value& b, const std::string& path, content_part& out);

/// Decodes a tool_use block (`input` kept as JSON text in `arguments`).
bool tool_use(detail::reader& r, const Value& b, const std::string& path, tool_call& out);

/// Writes `p` as a content block; `with_extras` writes its kept members too (same dialect).
void write_block(detail::json_writer& w, const content_part& p, bool with_extras);

/// Writes a tool_use block with `input` (JSON object text); `with_extras` as above.
void write_tool_use(detail::json_writer& w, const tool_call& c, std::string_view input,
                    bool with_extras);

/// The `input` object for a tool call's arguments: "{}" when empty, the arguments themselves
/// when they are a JSON object, else nullopt.
std::optional<std::string> input_object(std::string_view arguments);

/// Normalizes an Anthropic `usage` object (see decode_anthropic_response).
usage read_usage(const Value& u);

/// Folds a stream event's usage object into `u`: counts it carries replace earlier ones
/// (message_start has them all, message_delta the final output and sometimes updated inputs).
void merge_usage(usage& u, const Value& obj);

/// Writes `u` as Anthropic usage: input_tokens excludes cache reads and writes.
void write_usage(detail::json_writer& w, const usage& u);

}  // namespace switchyard::protocols::anthropic_detail
