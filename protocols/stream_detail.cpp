// Internal: the stream translators' JSON scratch parser and event writers (see stream_detail.hpp).
#include "protocols/stream_detail.hpp"

#include <charconv>

#include "protocols/json_parse.hpp"

namespace switchyard::protocols::stream_detail {

namespace {

// 1 for bytes that need an escape in a JSON string.
constexpr bool needs_escape(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\';
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_anthropic_usage(std::string& out, const usage& u) {
  const std::uint64_t cache = std::uint64_t{u.cached_tokens} + u.cache_creation_tokens;
  out.append("{\"input_tokens\":");
  append_uint(out, u.prompt_tokens > cache ? u.prompt_tokens - cache : 0);
  out.append(",\"cache_creation_input_tokens\":");
  append_uint(out, u.cache_creation_tokens);
  out.append(",\"cache_read_input_tokens\":");
  append_uint(out, u.cached_tokens);
  out.append(",\"output_tokens\":");
  append_uint(out, u.completion_tokens);
  out.push_back('}');
}

void event_head(std::string& out, std::string_view type) {
  out.append("event: ").append(type).append("\ndata: {\"type\":\"").append(type).push_back('"');
}

void event_tail(std::string& out) {
  out.append("}\n\n");
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        constexpr char hex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

// --- json_scratch ---------------------------------------------------------------------------

json_scratch::json_scratch()
    : values_(value_buffer_, sizeof value_buffer_, 4096),
      stack_(stack_buffer_, sizeof stack_buffer_, 4096),
      reader_(reader_buffer_, sizeof reader_buffer_, 4096),
      doc_(&values_, 512, &stack_) {}

const rapidjson::Value* json_scratch::parse(std::string_view json) {
  // The previous event's values and both parse stacks live in the pools: reset them, then parse.
  doc_.SetNull();
  values_.Clear();
  stack_.Clear();
  reader_.Clear();
  if (detail::parse_lossless(json, doc_, &reader_).IsError()) return nullptr;
  return &doc_;
}

std::string_view string_member(const rapidjson::Value& obj, std::string_view name) noexcept {
  if (!obj.IsObject()) return {};
  for (const auto& m : obj.GetObject()) {
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == name) {
      return m.value.IsString() ? std::string_view(m.value.GetString(), m.value.GetStringLength())
                                : std::string_view{};
    }
  }
  return {};
}

const rapidjson::Value* object_member(const rapidjson::Value& obj, std::string_view name) noexcept {
  if (!obj.IsObject()) return nullptr;
  for (const auto& m : obj.GetObject()) {
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == name) {
      return m.value.IsObject() ? &m.value : nullptr;
    }
  }
  return nullptr;
}

// --- openai_chunk_writer --------------------------------------------------------------------

void openai_chunk_writer::start(std::string_view id, std::string_view model, std::int64_t created) {
  prefix_.assign("data: {\"id\":");
  append_json_string(prefix_, id);
  prefix_.append(",\"object\":\"chat.completion.chunk\",\"created\":");
  append_int(prefix_, created);
  prefix_.append(",\"model\":");
  append_json_string(prefix_, model);
  prefix_.append(",\"choices\":[");
}

void openai_chunk_writer::open(std::string& out, std::uint32_t choice) {
  out.append(prefix_).append("{\"index\":");
  append_uint(out, choice);
  out.append(",\"delta\":{");
}

void openai_chunk_writer::close(std::string& out, std::string_view finish_reason) {
  out.append("},\"logprobs\":null,\"finish_reason\":");
  if (finish_reason.empty()) {
    out.append("null");
  } else {
    append_json_string(out, finish_reason);
  }
  out.append("}]}\n\n");
}

void openai_chunk_writer::role(std::string& out, std::uint32_t choice) {
  open(out, choice);
  out.append("\"role\":\"assistant\",\"content\":\"\"");
  close(out, {});
}

void openai_chunk_writer::text(std::string& out, std::uint32_t choice, std::string_view key,
                               std::string_view text) {
  open(out, choice);
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, text);
  close(out, {});
}

void openai_chunk_writer::tool_start(std::string& out, std::uint32_t choice, std::uint32_t tool,
                                     std::string_view id, std::string_view name,
                                     std::string_view arguments) {
  open(out, choice);
  out.append("\"tool_calls\":[{\"index\":");
  append_uint(out, tool);
  out.append(",\"id\":");
  append_json_string(out, id);
  out.append(",\"type\":\"function\",\"function\":{\"name\":");
  append_json_string(out, name);
  out.append(",\"arguments\":");
  append_json_string(out, arguments);
  out.append("}}]");
  close(out, {});
}

void openai_chunk_writer::tool_arguments(std::string& out, std::uint32_t choice, std::uint32_t tool,
                                         std::string_view arguments) {
  open(out, choice);
  out.append("\"tool_calls\":[{\"index\":");
  append_uint(out, tool);
  out.append(",\"function\":{\"arguments\":");
  append_json_string(out, arguments);
  out.append("}}]");
  close(out, {});
}

void openai_chunk_writer::finish(std::string& out, std::uint32_t choice, std::string_view reason) {
  open(out, choice);
  close(out, reason);
}

void openai_chunk_writer::usage_chunk(std::string& out, const usage& u) {
  out.append(prefix_).append("],\"usage\":{\"prompt_tokens\":");
  append_uint(out, u.prompt_tokens);
  out.append(",\"completion_tokens\":");
  append_uint(out, u.completion_tokens);
  out.append(",\"total_tokens\":");
  append_uint(out, std::uint64_t{u.prompt_tokens} + u.completion_tokens);
  out.append(",\"prompt_tokens_details\":{\"cached_tokens\":");
  append_uint(out, u.cached_tokens);
  out.append("},\"completion_tokens_details\":{\"reasoning_tokens\":");
  append_uint(out, u.reasoning_tokens);
  out.append("}}}\n\n");
}

void openai_chunk_writer::done(std::string& out) {
  out.append("data: [DONE]\n\n");
}

void openai_chunk_writer::error(std::string& out, std::string_view type, std::string_view message) {
  out.append("data: {\"error\":{\"message\":");
  append_json_string(out, message);
  out.append(",\"type\":");
  append_json_string(out, type);
  out.append(",\"code\":null,\"param\":null}}\n\n");
}

// --- Anthropic events -----------------------------------------------------------------------

namespace anthropic_events {

void message_start(std::string& out, std::string_view id, std::string_view model, const usage& u) {
  event_head(out, "message_start");
  out.append(",\"message\":{\"id\":");
  append_json_string(out, id);
  out.append(",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  append_json_string(out, model);
  out.append(",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
  append_anthropic_usage(out, u);
  out.push_back('}');
  event_tail(out);
}

void block_start(std::string& out, std::uint32_t index, std::string_view type) {
  event_head(out, "content_block_start");
  out.append(",\"index\":");
  append_uint(out, index);
  out.append(",\"content_block\":{\"type\":");
  append_json_string(out, type);
  out.push_back(',');
  append_json_string(out, type);  // the block's payload member is named after its type
  out.append(":\"\"");
  if (type == "thinking") out.append(",\"signature\":\"\"");
  out.push_back('}');
  event_tail(out);
}

void tool_start(std::string& out, std::uint32_t index, std::string_view id, std::string_view name) {
  event_head(out, "content_block_start");
  out.append(",\"index\":");
  append_uint(out, index);
  out.append(",\"content_block\":{\"type\":\"tool_use\",\"id\":");
  append_json_string(out, id);
  out.append(",\"name\":");
  append_json_string(out, name);
  out.append(",\"input\":{}}");
  event_tail(out);
}

void delta(std::string& out, std::uint32_t index, std::string_view delta_type, std::string_view key,
           std::string_view value) {
  event_head(out, "content_block_delta");
  out.append(",\"index\":");
  append_uint(out, index);
  out.append(",\"delta\":{\"type\":");
  append_json_string(out, delta_type);
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, value);
  out.push_back('}');
  event_tail(out);
}

void block_stop(std::string& out, std::uint32_t index) {
  event_head(out, "content_block_stop");
  out.append(",\"index\":");
  append_uint(out, index);
  event_tail(out);
}

void message_delta(std::string& out, std::string_view stop_reason, const usage& u) {
  event_head(out, "message_delta");
  out.append(",\"delta\":{\"stop_reason\":");
  if (stop_reason.empty()) {
    out.append("null");
  } else {
    append_json_string(out, stop_reason);
  }
  out.append(",\"stop_sequence\":null},\"usage\":");
  append_anthropic_usage(out, u);
  event_tail(out);
}

void message_stop(std::string& out) {
  event_head(out, "message_stop");
  event_tail(out);
}

void error(std::string& out, std::string_view type, std::string_view message) {
  event_head(out, "error");
  out.append(",\"error\":{\"type\":");
  append_json_string(out, type);
  out.append(",\"message\":");
  append_json_string(out, message);
  out.push_back('}');
  event_tail(out);
}

}  // namespace anthropic_events

}  // namespace switchyard::protocols::stream_detail
