// Anthropic Messages stream -> OpenAI chunks. One JSON parse per event into a reused pool; chunks
// are appended as text, so a delta costs one parse and one small append.
#include "protocols/anthropic_to_openai_stream.hpp"

#include "protocols/anthropic_detail.hpp"

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using stream_detail::object_member;
using stream_detail::string_member;

// Content block indices are dense in practice; a far-off one is treated as garbage rather than
// allowed to size the block table.
constexpr std::uint32_t max_block_gap = 64;
constexpr std::uint32_t max_blocks = 1 << 16;

std::optional<std::uint32_t> index_of(const Value& root) {
  const auto it = root.FindMember("index");
  if (it == root.MemberEnd() || !it->value.IsUint()) return std::nullopt;
  return it->value.GetUint();
}

}  // namespace

anthropic_to_openai_stream::anthropic_to_openai_stream(const stream_options& opts)
    : parser_(opts.max_event_bytes),
      model_(opts.model),
      created_(opts.created),
      include_usage_(opts.include_usage) {}

relay_state anthropic_to_openai_stream::feed(std::string_view upstream_bytes, std::string& out) {
  if (state_ != relay_state::open) return state_;
  const bool ok = parser_.feed(upstream_bytes, [&](const sse_event& ev) { on_event(ev, out); });
  if (!ok && state_ == relay_state::open) state_ = relay_state::malformed;
  return state_;
}

bool anthropic_to_openai_stream::finish_eof(std::string&) {
  return state_ == relay_state::done;
}

void anthropic_to_openai_stream::append_error_event(const error_info& e, std::string& out) const {
  out.append(openai_stream_error_event(e));
}

void anthropic_to_openai_stream::on_event(const sse_event& ev, std::string& out) {
  if (state_ != relay_state::open) return;
  ++events_;
  const Value* root = json_.parse(ev.data);
  if (root == nullptr || !root->IsObject()) {
    state_ = relay_state::malformed;
    return;
  }
  const std::string_view type = string_member(*root, "type");
  bool ok = true;
  if (type == "content_block_delta") {
    ok = on_block_delta(*root, out);
  } else if (type == "content_block_start") {
    ok = on_block_start(*root, out);
  } else if (type == "message_start") {
    ok = on_message_start(*root, out);
  } else if (type == "message_delta") {
    ok = chunks_.started();
    if (ok) on_message_delta(*root, out);
  } else if (type == "message_stop") {
    ok = chunks_.started();
    if (ok) on_message_stop(out);
  } else if (type == "error") {
    on_error(*root, out);
  } else if (type.empty()) {
    ok = false;
  }
  // ping, content_block_stop and event types added later write nothing.
  if (!ok) state_ = relay_state::malformed;
}

bool anthropic_to_openai_stream::on_message_start(const Value& root, std::string& out) {
  const Value* msg = object_member(root, "message");
  if (msg == nullptr || chunks_.started()) return false;
  const std::string_view model =
      model_.empty() ? string_member(*msg, "model") : std::string_view(model_);
  chunks_.start(string_member(*msg, "id"), model, created_);
  if (const Value* u = object_member(*msg, "usage")) anthropic_detail::merge_usage(usage_, *u);
  chunks_.role(out, 0);
  return true;
}

bool anthropic_to_openai_stream::on_block_start(const Value& root, std::string& out) {
  const auto index = index_of(root);
  const Value* cb = object_member(root, "content_block");
  if (!index || cb == nullptr || !chunks_.started()) return false;
  if (*index >= max_blocks || *index > blocks_.size() + max_block_gap) return false;
  if (*index >= blocks_.size()) blocks_.resize(*index + 1);
  block& b = blocks_[*index];
  const std::string_view type = string_member(*cb, "type");
  if (type == "text") {
    b.kind = block_kind::text;
    const auto text = string_member(*cb, "text");
    if (!text.empty()) chunks_.text(out, 0, "content", text);
  } else if (type == "thinking") {
    b.kind = block_kind::thinking;
    const auto text = string_member(*cb, "thinking");
    if (!text.empty()) chunks_.text(out, 0, "reasoning_content", text);
  } else if (type == "tool_use") {
    b.kind = block_kind::tool;
    b.tool = tool_calls_++;
    std::string_view args;
    std::string non_empty;
    if (const Value* input = object_member(*cb, "input");
        input != nullptr && !input->ObjectEmpty()) {
      non_empty = detail::to_json(*input);
      args = non_empty;
    }
    chunks_.tool_start(out, 0, b.tool, string_member(*cb, "id"), string_member(*cb, "name"), args);
  } else {
    b.kind = block_kind::ignored;  // redacted thinking, server tool blocks: nothing for OpenAI
  }
  return true;
}

bool anthropic_to_openai_stream::on_block_delta(const Value& root, std::string& out) {
  const auto index = index_of(root);
  const Value* delta = object_member(root, "delta");
  if (!index || delta == nullptr || *index >= blocks_.size()) return false;
  const block& b = blocks_[*index];
  if (b.kind == block_kind::unknown) return false;  // no content_block_start for it
  const std::string_view type = string_member(*delta, "type");
  if (type == "text_delta" && b.kind == block_kind::text) {
    chunks_.text(out, 0, "content", string_member(*delta, "text"));
  } else if (type == "input_json_delta" && b.kind == block_kind::tool) {
    const auto part = string_member(*delta, "partial_json");
    if (!part.empty()) chunks_.tool_arguments(out, 0, b.tool, part);
  } else if (type == "thinking_delta" && b.kind == block_kind::thinking) {
    chunks_.text(out, 0, "reasoning_content", string_member(*delta, "thinking"));
  }
  // signature_delta, citations_delta, deltas of ignored blocks: nothing OpenAI can carry.
  return true;
}

void anthropic_to_openai_stream::on_message_delta(const Value& root, std::string& out) {
  if (const Value* u = object_member(root, "usage")) anthropic_detail::merge_usage(usage_, *u);
  const Value* delta = object_member(root, "delta");
  const std::string_view reason = delta != nullptr ? string_member(*delta, "stop_reason") : "";
  if (reason.empty()) return;
  finish_ = from_anthropic_stop(reason);
  chunks_.finish(out, 0, openai_finish_reason(finish_));
}

void anthropic_to_openai_stream::on_message_stop(std::string& out) {
  if (include_usage_) chunks_.usage_chunk(out, usage_);
  stream_detail::openai_chunk_writer::done(out);
  state_ = relay_state::done;
}

void anthropic_to_openai_stream::on_error(const Value& root, std::string& out) {
  const Value* err = object_member(root, "error");
  const std::string_view type = err != nullptr ? string_member(*err, "type") : "";
  const std::string_view message = err != nullptr ? string_member(*err, "message") : "";
  stream_detail::openai_chunk_writer::error(
      out, type.empty() ? "api_error" : type,
      message.empty() ? "The upstream reported an error." : message);
  state_ = relay_state::upstream_error;
}

}  // namespace switchyard::protocols
