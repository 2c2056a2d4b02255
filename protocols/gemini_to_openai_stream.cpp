// Gemini SSE stream -> OpenAI chunks. Gemini sends whole GenerateContentResponse objects per
// event, whole function calls included, and ends by closing the connection.
#include "protocols/gemini_to_openai_stream.hpp"

#include "protocols/gemini_codec.hpp"
#include "protocols/gemini_detail.hpp"
#include "protocols/json_util.hpp"

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using stream_detail::object_member;
using stream_detail::string_member;

// Gemini's candidateCount is small; an index far beyond it is garbage.
constexpr std::uint32_t max_candidates = 64;

const Value* array_member(const Value& obj, std::string_view name) {
  const auto it = obj.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it != obj.MemberEnd() && it->value.IsArray() ? &it->value : nullptr;
}

bool is_true(const Value& obj, const char* name) {
  const auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace

gemini_to_openai_stream::gemini_to_openai_stream(const stream_options& opts)
    : parser_(opts.max_event_bytes),
      seed_(opts.id_seed),
      model_(opts.model),
      created_(opts.created),
      include_usage_(opts.include_usage) {}

relay_state gemini_to_openai_stream::feed(std::string_view upstream_bytes, std::string& out) {
  if (state_ != relay_state::open) return state_;
  const bool ok = parser_.feed(upstream_bytes, [&](const sse_event& ev) { on_event(ev, out); });
  if (!ok && state_ == relay_state::open) state_ = relay_state::malformed;
  return state_;
}

bool gemini_to_openai_stream::finish_eof(std::string& out) {
  if (state_ == relay_state::done) return true;
  if (state_ != relay_state::open || !parser_.idle() || candidates_.empty()) return false;
  for (const auto& c : candidates_) {
    if (c.seen && !c.finished) return false;
  }
  if (include_usage_) chunks_.usage_chunk(out, usage_);
  stream_detail::openai_chunk_writer::done(out);
  state_ = relay_state::done;
  return true;
}

void gemini_to_openai_stream::append_error_event(const error_info& e, std::string& out) const {
  out.append(openai_stream_error_event(e));
}

gemini_to_openai_stream::candidate_state* gemini_to_openai_stream::state_for(std::uint32_t index,
                                                                             std::string& out) {
  if (index >= max_candidates) return nullptr;
  if (index >= candidates_.size()) candidates_.resize(index + 1);
  candidate_state& cs = candidates_[index];
  if (!cs.seen) {
    cs.seen = true;
    chunks_.role(out, index);
  }
  return &cs;
}

void gemini_to_openai_stream::on_event(const sse_event& ev, std::string& out) {
  if (state_ != relay_state::open) return;
  ++events_;
  const Value* root = json_.parse(ev.data);
  if (root == nullptr || !root->IsObject()) {
    state_ = relay_state::malformed;
    return;
  }
  if (const Value* err = object_member(*root, "error")) {
    const auto status = string_member(*err, "status");
    const auto message = string_member(*err, "message");
    stream_detail::openai_chunk_writer::error(
        out, status.empty() ? "api_error" : status,
        message.empty() ? "The upstream reported an error." : message);
    state_ = relay_state::upstream_error;
    return;
  }
  if (!chunks_.started()) {
    std::string id(string_member(*root, "responseId"));
    if (id.empty()) id = "chatcmpl-" + gemini_tool_call_id(seed_, 0, 0).substr(5);
    if (seed_.empty()) seed_ = id;
    const std::string_view model =
        model_.empty() ? string_member(*root, "modelVersion") : std::string_view(model_);
    chunks_.start(id, model, created_);
  }
  if (const Value* meta = object_member(*root, "usageMetadata")) {
    usage_ = gemini_detail::read_usage(*meta);
  }
  const Value* list = array_member(*root, "candidates");
  if (list != nullptr && !list->Empty()) {
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      if (!on_candidate((*list)[i], i, out)) {
        state_ = relay_state::malformed;
        return;
      }
    }
    return;
  }
  const Value* feedback = object_member(*root, "promptFeedback");
  const std::string_view blocked =
      feedback != nullptr ? string_member(*feedback, "blockReason") : "";
  if (blocked.empty()) return;  // a usage-only event
  candidate_state* cs = state_for(0, out);
  if (!cs->finished) {
    cs->finished = true;
    finish_ = finish_reason::content_filter;
    chunks_.finish(out, 0, openai_finish_reason(finish_));
  }
}

bool gemini_to_openai_stream::on_candidate(const Value& c, std::uint32_t position,
                                           std::string& out) {
  if (!c.IsObject()) return false;
  std::uint32_t index = position;
  if (const auto it = c.FindMember("index"); it != c.MemberEnd()) {
    if (!it->value.IsUint()) return false;
    index = it->value.GetUint();
  }
  candidate_state* cs = state_for(index, out);
  if (cs == nullptr) return false;
  if (cs->finished) return true;  // nothing after a candidate's finish reaches the client
  if (const Value* content = object_member(c, "content")) {
    if (const Value* parts = array_member(*content, "parts")) {
      if (!on_parts(*parts, index, *cs, out)) return false;
    }
  }
  const std::string_view reason = string_member(c, "finishReason");
  finish_reason f = from_gemini_finish(reason);
  if (f == finish_reason::none) return true;
  if (f == finish_reason::stop && cs->tool_calls > 0) f = finish_reason::tool_calls;
  cs->finished = true;
  if (index == 0 || finish_ == finish_reason::none) finish_ = f;
  chunks_.finish(out, index, openai_finish_reason(f));
  return true;
}

bool gemini_to_openai_stream::on_parts(const Value& parts, std::uint32_t index, candidate_state& cs,
                                       std::string& out) {
  for (const auto& p : parts.GetArray()) {
    if (!p.IsObject()) return false;
    if (const Value* call = object_member(p, "functionCall")) {
      const std::string_view name = string_member(*call, "name");
      if (name.empty()) return false;
      args_.assign("{}");
      if (const Value* args = object_member(*call, "args")) {
        rapidjson::StringBuffer buf;
        detail::json_writer w(buf);
        args->Accept(w);
        args_.assign(buf.GetString(), buf.GetSize());
      }
      std::string id(string_member(*call, "id"));
      if (id.empty()) id = gemini_tool_call_id(seed_, index, cs.tool_calls);
      chunks_.tool_start(out, index, cs.tool_calls++, id, name, args_);
      continue;
    }
    const auto text = p.FindMember("text");
    if (text == p.MemberEnd() || !text->value.IsString()) continue;  // inline data, code, …
    const std::string_view t(text->value.GetString(), text->value.GetStringLength());
    if (t.empty()) continue;
    chunks_.text(out, index, is_true(p, "thought") ? "reasoning_content" : "content", t);
  }
  return true;
}

}  // namespace switchyard::protocols
