// Internal: what the stream translators share on the hot path: an allocation-free JSON parse per
// event, and writers that append OpenAI chunks and Anthropic events straight to the output.
// Not part of the protocols interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocols/usage.hpp"

namespace switchyard::protocols::stream_detail {

/// Appends `s` as a JSON string (quoted, escaped).
void append_json_string(std::string& out, std::string_view s);

/// Parses one event's JSON into memory owned by this object and reused for every event, so a
/// typical event costs no heap allocation. Not copyable (the document points into it).
class json_scratch {
 public:
  json_scratch();
  json_scratch(const json_scratch&) = delete;
  json_scratch& operator=(const json_scratch&) = delete;

  /// The parsed value, valid until the next parse; nullptr when `json` is not JSON.
  const rapidjson::Value* parse(std::string_view json);

 private:
  using allocator = rapidjson::MemoryPoolAllocator<>;
  using document = rapidjson::GenericDocument<rapidjson::UTF8<>, allocator, allocator>;

  alignas(16) char value_buffer_[4096];
  alignas(16) char stack_buffer_[2048];
  alignas(16) char reader_buffer_[1024];
  allocator values_;
  allocator stack_;
  allocator reader_;  // the reader's scratch (strings and numbers as they are read)
  document doc_;
};

/// A string member of `obj` as a view; empty when absent or not a string.
std::string_view string_member(const rapidjson::Value& obj, std::string_view name) noexcept;
/// An object member of `obj`; nullptr when absent or not an object.
const rapidjson::Value* object_member(const rapidjson::Value& obj, std::string_view name) noexcept;

/// Appends `chat.completion.chunk` SSE events. The header (id, created, model) is rendered once.
class openai_chunk_writer {
 public:
  /// Sets the header every chunk carries.
  void start(std::string_view id, std::string_view model, std::int64_t created);
  bool started() const noexcept { return !prefix_.empty(); }

  /// `{"role":"assistant","content":""}` for choice `choice`.
  void role(std::string& out, std::uint32_t choice);
  /// A delta with one string member (`content` or `reasoning_content`).
  void text(std::string& out, std::uint32_t choice, std::string_view key, std::string_view text);
  /// The first delta of tool call `tool`: id, type, name and (maybe empty) arguments.
  void tool_start(std::string& out, std::uint32_t choice, std::uint32_t tool, std::string_view id,
                  std::string_view name, std::string_view arguments);
  /// More arguments for tool call `tool`.
  void tool_arguments(std::string& out, std::uint32_t choice, std::uint32_t tool,
                      std::string_view arguments);
  /// An empty delta with `finish_reason`.
  void finish(std::string& out, std::uint32_t choice, std::string_view reason);
  /// The usage-only chunk (`choices: []`).
  void usage_chunk(std::string& out, const usage& u);
  /// `data: [DONE]`.
  static void done(std::string& out);
  /// `data: {"error":{"message":…,"type":…,"code":null,"param":null}}`.
  static void error(std::string& out, std::string_view type, std::string_view message);

 private:
  void open(std::string& out, std::uint32_t choice);
  static void close(std::string& out, std::string_view finish_reason);

  std::string prefix_;  // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`
};

/// Appends Anthropic Messages stream events (`event: <type>\ndata: {…}\n\n`).
namespace anthropic_events {
void message_start(std::string& out, std::string_view id, std::string_view model, const usage& u);
void block_start(std::string& out, std::uint32_t index, std::string_view type);
void tool_start(std::string& out, std::uint32_t index, std::string_view id, std::string_view name);
/// A content_block_delta of `delta_type` whose payload member is `key`.
void delta(std::string& out, std::uint32_t index, std::string_view delta_type, std::string_view key,
           std::string_view value);
void block_stop(std::string& out, std::uint32_t index);
/// `stop_reason` empty = null.
void message_delta(std::string& out, std::string_view stop_reason, const usage& u);
void message_stop(std::string& out);
void error(std::string& out, std::string_view type, std::string_view message);
}  // namespace anthropic_events

}  // namespace switchyard::protocols::stream_detail
