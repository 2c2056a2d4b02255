// SSE stream accounting: events from the shared SSE parser, facts from a SAX scan of each chunk.
#include "bench/loadgen/stream_tracker.hpp"

#include <array>

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace switchyard::loadgen {

namespace {

enum class key_id : std::uint8_t {
  none,
  other,
  choices,
  delta,
  content,
  reasoning,  // "reasoning" and "reasoning_content"
  tool_calls,
  text,
  error,
  usage,
  prompt_tokens,
  completion_tokens,
};

key_id classify_key(std::string_view k) noexcept {
  switch (k.size()) {
    case 4:
      if (k == "text") return key_id::text;
      break;
    case 5:
      if (k == "delta") return key_id::delta;
      if (k == "error") return key_id::error;
      if (k == "usage") return key_id::usage;
      break;
    case 7:
      if (k == "choices") return key_id::choices;
      if (k == "content") return key_id::content;
      break;
    case 9:
      if (k == "reasoning") return key_id::reasoning;
      break;
    case 10:
      if (k == "tool_calls") return key_id::tool_calls;
      break;
    case 13:
      if (k == "prompt_tokens") return key_id::prompt_tokens;
      break;
    case 17:
      if (k == "reasoning_content") return key_id::reasoning;
      if (k == "completion_tokens") return key_id::completion_tokens;
      break;
    default:
      break;
  }
  return key_id::other;
}

// Tracks the path of containers, keyed by the member name each sits under.
class facts_handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, facts_handler> {
 public:
  explicit facts_handler(chat_json_facts& f) : f_(f) {}

  bool Default() { return scalar(true, 0, false); }
  bool Null() { return scalar(false, 0, false); }
  bool Uint(unsigned u) { return scalar(true, u, true); }
  bool Uint64(std::uint64_t u) { return scalar(true, u, true); }
  bool String(const char*, rapidjson::SizeType len, bool) {
    if (len > 0 && in_choice_value()) f_.content = true;
    return scalar(true, 0, false);
  }
  bool Key(const char* s, rapidjson::SizeType len, bool) {
    key_ = classify_key(std::string_view(s, len));
    return true;
  }
  bool StartObject() { return open(false); }
  bool StartArray() {
    // A tool call delta is output too, whatever it holds.
    if (key_ == key_id::tool_calls && depth_ == 4 && under(1, key_id::choices) &&
        under(3, key_id::delta)) {
      f_.content = true;
    }
    return open(true);
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  static constexpr std::size_t max_tracked = 16;

  bool under(std::size_t level, key_id k) const noexcept {
    return level < depth_ && level < max_tracked && keys_[level] == k;
  }
  // A string member of choices[i].delta that carries output, or choices[i].text (completions).
  bool in_choice_value() const noexcept {
    if (depth_ == 4 && under(1, key_id::choices) && under(3, key_id::delta)) {
      return key_ == key_id::content || key_ == key_id::reasoning;
    }
    return depth_ == 3 && under(1, key_id::choices) && key_ == key_id::text;
  }
  bool scalar(bool non_null, std::uint64_t n, bool is_uint) {
    if (depth_ == 1 && key_ == key_id::error && non_null) f_.error = true;
    if (depth_ == 2 && under(1, key_id::usage) && is_uint) {
      if (key_ == key_id::prompt_tokens) {
        f_.prompt_tokens = n;
        f_.has_usage = true;
      } else if (key_ == key_id::completion_tokens) {
        f_.completion_tokens = n;
        f_.has_usage = true;
      }
    }
    return true;
  }
  bool open(bool is_array) {
    if (depth_ == 1 && key_ == key_id::error) f_.error = true;
    if (depth_ < max_tracked) {
      keys_[depth_] = parent_is_array() ? key_id::none : key_;
      arrays_[depth_] = is_array;
    }
    ++depth_;
    key_ = key_id::none;
    return true;
  }
  bool close() {
    --depth_;
    key_ = key_id::none;
    return true;
  }
  bool parent_is_array() const noexcept {
    return depth_ > 0 && depth_ <= max_tracked && arrays_[depth_ - 1];
  }

  chat_json_facts& f_;
  std::array<key_id, max_tracked> keys_{};
  std::array<bool, max_tracked> arrays_{};
  std::size_t depth_ = 0;
  key_id key_ = key_id::none;
};

}  // namespace

chat_json_facts scan_chat_json(std::string_view json) noexcept {
  chat_json_facts f;
  facts_handler h(f);
  rapidjson::MemoryStream ms(json.data(), json.size());
  rapidjson::Reader reader;
  const auto r = reader.Parse<rapidjson::kParseDefaultFlags>(ms, h);
  f.valid = !r.IsError();
  return f;
}

const char* stream_end_name(stream_end e) noexcept {
  switch (e) {
    case stream_end::done:
      return "done";
    case stream_end::error_event:
      return "error_event";
    case stream_end::no_done:
      return "no_done";
    case stream_end::cut:
      return "cut";
    case stream_end::timed_out:
      return "timed_out";
  }
  return "unknown";
}

void stream_tracker::reset(std::int64_t start_ns, histogram* itl) noexcept {
  parser_ = protocols::sse_parser();
  itl_ = itl;
  start_ns_ = start_ns;
  first_content_ns_ = -1;
  last_content_ns_ = -1;
  content_chunks_ = 0;
  events_ = 0;
  prompt_tokens_ = 0;
  completion_tokens_ = 0;
  saw_done_ = false;
  saw_error_ = false;
  malformed_ = false;
  has_usage_ = false;
}

void stream_tracker::feed(std::string_view bytes, std::int64_t now_ns) {
  if (!parser_.feed(bytes, [&](const protocols::sse_event& ev) { on_event(ev, now_ns); })) {
    malformed_ = true;
  }
}

void stream_tracker::on_event(const protocols::sse_event& ev, std::int64_t now_ns) {
  ++events_;
  if (ev.event == "error") {
    saw_error_ = true;
    return;
  }
  if (ev.data == "[DONE]") {
    saw_done_ = true;
    return;
  }
  if (ev.data.empty()) return;
  const chat_json_facts f = scan_chat_json(ev.data);
  if (!f.valid) {
    malformed_ = true;
    return;
  }
  if (f.error) saw_error_ = true;
  if (f.has_usage) {
    has_usage_ = true;
    prompt_tokens_ = f.prompt_tokens;
    completion_tokens_ = f.completion_tokens;
  }
  if (f.content) {
    ++content_chunks_;
    if (first_content_ns_ < 0) {
      first_content_ns_ = now_ns;
    } else if (itl_ != nullptr) {
      itl_->record(now_ns - last_content_ns_);
    }
    last_content_ns_ = now_ns;
  }
}

stream_end stream_tracker::classify(bool body_complete) const noexcept {
  if (saw_error_) return stream_end::error_event;
  if (saw_done_) return stream_end::done;
  return body_complete ? stream_end::no_done : stream_end::cut;
}

}  // namespace switchyard::loadgen
