// Gemini streamGenerateContent?alt=sse -> OpenAI chat.completion.chunk stream (an OpenAI client
// served by a Gemini provider).
#pragma once

#include <string>
#include <vector>

#include "protocols/sse.hpp"
#include "protocols/stream_detail.hpp"
#include "protocols/stream_translator.hpp"

namespace switchyard::protocols {

/// Each event is a whole GenerateContentResponse:
/// - the first event heads every chunk with its `responseId` (else an id from
///   stream_options::id_seed) and `modelVersion` (or stream_options::model); each candidate's
///   first event sends its role chunk (candidate `index` = OpenAI choice `index`);
/// - text parts -> `content`; thought parts -> `reasoning_content`; each `functionCall` part ->
///   one tool_calls delta with the whole call (`id` from the part, else gemini_tool_call_id;
///   `arguments` = `args` as JSON); other parts (inline data, code execution) are not forwarded;
/// - `finishReason` -> the choice's `finish_reason` (STOP with calls -> tool_calls, MAX_TOKENS ->
///   length, safety reasons -> content_filter); a prompt blocked before any candidate ->
///   content_filter on choice 0;
/// - `usageMetadata` (cumulative on every event) -> usage;
/// - an `{"error":…}` event -> an OpenAI error event (state upstream_error).
/// Gemini has no terminal event: finish_eof writes the usage chunk (when asked) and `[DONE]` if
/// every candidate seen has finished, and reports a cut stream otherwise.
class gemini_to_openai_stream final : public stream_translator {
 public:
  explicit gemini_to_openai_stream(const stream_options& opts);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return events_; }
  const usage& last_usage() const noexcept override { return usage_; }
  relay_state state() const noexcept override { return state_; }
  finish_reason finish() const noexcept override { return finish_; }
  void append_error_event(const error_info& e, std::string& out) const override;

 private:
  struct candidate_state {
    bool seen = false;
    bool finished = false;
    std::uint32_t tool_calls = 0;
  };

  void on_event(const sse_event& ev, std::string& out);
  bool on_candidate(const rapidjson::Value& c, std::uint32_t position, std::string& out);
  bool on_parts(const rapidjson::Value& parts, std::uint32_t index, candidate_state& cs,
                std::string& out);
  candidate_state* state_for(std::uint32_t index, std::string& out);

  sse_parser parser_;
  stream_detail::json_scratch json_;
  stream_detail::openai_chunk_writer chunks_;
  std::string seed_;
  std::string model_;
  std::int64_t created_;
  bool include_usage_;
  std::vector<candidate_state> candidates_;
  std::string args_;  // reused buffer for function call arguments
  std::uint32_t events_ = 0;
  usage usage_;
  finish_reason finish_ = finish_reason::none;
  relay_state state_ = relay_state::open;
};

}  // namespace switchyard::protocols
