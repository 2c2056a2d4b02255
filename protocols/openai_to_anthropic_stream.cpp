// OpenAI chunks -> Anthropic Messages events: content blocks opened and stopped in order, the
// stop reason and usage held back for message_delta at `[DONE]`.
#include "protocols/openai_to_anthropic_stream.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/codec_detail.hpp"
#include "protocols/gemini_codec.hpp"

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using stream_detail::object_member;
using stream_detail::string_member;
namespace events = stream_detail::anthropic_events;

// OpenAI numbers parallel tool calls densely; far-off indices are garbage.
constexpr std::uint32_t max_tool_calls = 1024;

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

openai_to_anthropic_stream::openai_to_anthropic_stream(const stream_options& opts)
    : parser_(opts.max_event_bytes), model_(opts.model), seed_(opts.id_seed) {}

relay_state openai_to_anthropic_stream::feed(std::string_view upstream_bytes, std::string& out) {
  if (state_ != relay_state::open) return state_;
  const bool ok = parser_.feed(upstream_bytes, [&](const sse_event& ev) { on_event(ev, out); });
  if (!ok && state_ == relay_state::open) state_ = relay_state::malformed;
  return state_;
}

bool openai_to_anthropic_stream::finish_eof(std::string&) {
  return state_ == relay_state::done;
}

void openai_to_anthropic_stream::append_error_event(const error_info& e, std::string& out) const {
  out.append(anthropic_stream_error_event(e));
}

void openai_to_anthropic_stream::on_event(const sse_event& ev, std::string& out) {
  if (state_ != relay_state::open) return;
  if (trim(ev.data) == "[DONE]") {
    on_done(out);
    return;
  }
  ++events_;
  const Value* root = json_.parse(ev.data);
  if (root == nullptr || !root->IsObject() || !on_chunk(*root, out)) {
    state_ = relay_state::malformed;
  }
}

bool openai_to_anthropic_stream::on_chunk(const Value& root, std::string& out) {
  if (const Value* err = object_member(root, "error")) {
    const auto message = string_member(*err, "message");
    events::error(out, "api_error", message.empty() ? "The upstream reported an error." : message);
    state_ = relay_state::upstream_error;
    return true;
  }
  if (!started_) start_message(string_member(root, "id"), string_member(root, "model"), out);
  if (const Value* u = object_member(root, "usage")) usage_ = detail::read_openai_usage(*u);
  const auto choices = root.FindMember("choices");
  if (choices == root.MemberEnd() || !choices->value.IsArray()) return true;  // e.g. usage only
  for (const auto& c : choices->value.GetArray()) {
    if (!c.IsObject()) return false;
    const auto index = c.FindMember("index");
    if (index != c.MemberEnd() && !(index->value.IsUint() && index->value.GetUint() == 0)) {
      continue;  // other choices: an Anthropic client asked for one
    }
    if (const Value* delta = object_member(c, "delta");
        delta != nullptr && !on_delta(*delta, out)) {
      return false;
    }
    const std::string_view reason = string_member(c, "finish_reason");
    if (!reason.empty()) finish_ = from_openai_finish(reason);
  }
  return true;
}

bool openai_to_anthropic_stream::on_delta(const Value& delta, std::string& out) {
  std::string_view reasoning = string_member(delta, "reasoning_content");
  if (reasoning.empty()) reasoning = string_member(delta, "reasoning");
  if (!reasoning.empty()) {
    open_block(block_kind::thinking, out);
    events::delta(out, open_index_, "thinking_delta", "thinking", reasoning);
  }
  const std::string_view text = string_member(delta, "content");
  if (!text.empty()) {
    open_block(block_kind::text, out);
    events::delta(out, open_index_, "text_delta", "text", text);
  }
  const auto calls = delta.FindMember("tool_calls");
  if (calls == delta.MemberEnd() || calls->value.IsNull()) return true;
  if (!calls->value.IsArray()) return false;
  for (const auto& call : calls->value.GetArray()) {
    if (!on_tool_call(call, out)) return false;
  }
  return true;
}

bool openai_to_anthropic_stream::on_tool_call(const Value& call, std::string& out) {
  if (!call.IsObject()) return false;
  const auto idx = call.FindMember("index");
  if (idx == call.MemberEnd() || !idx->value.IsUint()) return false;
  const std::uint32_t k = idx->value.GetUint();
  if (k >= max_tool_calls) return false;
  const Value* fn = object_member(call, "function");
  if (k >= tool_blocks_.size()) tool_blocks_.resize(k + 1, UINT32_MAX);
  if (tool_blocks_[k] == UINT32_MAX) {
    close_block(out);
    std::string id(string_member(call, "id"));
    if (id.empty()) id = gemini_tool_call_id(seed_, 0, k);
    open_ = block_kind::tool;
    open_index_ = next_index_++;
    tool_blocks_[k] = open_index_;
    events::tool_start(out, open_index_, id, fn != nullptr ? string_member(*fn, "name") : "");
  }
  const std::string_view args = fn != nullptr ? string_member(*fn, "arguments") : "";
  if (!args.empty()) events::delta(out, tool_blocks_[k], "input_json_delta", "partial_json", args);
  return true;
}

void openai_to_anthropic_stream::open_block(block_kind kind, std::string& out) {
  if (open_ == kind) return;
  close_block(out);
  open_ = kind;
  open_index_ = next_index_++;
  events::block_start(out, open_index_, kind == block_kind::text ? "text" : "thinking");
}

void openai_to_anthropic_stream::close_block(std::string& out) {
  if (open_ == block_kind::none) return;
  events::block_stop(out, open_index_);
  open_ = block_kind::none;
}

void openai_to_anthropic_stream::start_message(std::string_view id, std::string_view model,
                                               std::string& out) {
  started_ = true;
  std::string fallback;
  if (id.empty()) {
    fallback = "msg_" + gemini_tool_call_id(seed_, 0, 0).substr(5);
    id = fallback;
  }
  events::message_start(out, id, model_.empty() ? model : std::string_view(model_), usage_);
}

void openai_to_anthropic_stream::on_done(std::string& out) {
  if (!started_) start_message({}, {}, out);
  close_block(out);
  events::message_delta(out, finish_ == finish_reason::none ? "" : anthropic_stop_reason(finish_),
                        usage_);
  events::message_stop(out);
  state_ = relay_state::done;
}

}  // namespace switchyard::protocols
