// Relays an upstream OpenAI event stream to an OpenAI client. Chunks pass through byte for byte;
// JSON is parsed only for the rare chunk that carries usage or an error.
#include "protocols/stream_relay.hpp"

// memmem: string_view::find stops at every quote, and JSON is full of them.
#include <string.h>

#include <rapidjson/document.h>

#include "protocols/json_parse.hpp"
#include "protocols/json_util.hpp"

namespace switchyard::protocols {

namespace {

constexpr std::string_view done_marker = "[DONE]";

std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// True when `"key"` occurs as an object key whose value starts with a byte `accept` likes. A
// cheap textual pre-check: a false positive only costs a parse, and there is no false negative
// for keys written without escapes (which is how every provider writes them).
template <class P>
bool has_key_whose_value(std::string_view json, std::string_view quoted_key, P accept) {
  if (json.size() < quoted_key.size()) return false;  // also keeps a null data() from memmem
  std::size_t from = 0;
  while (const void* hit = ::memmem(json.data() + from, json.size() - from, quoted_key.data(),
                                    quoted_key.size())) {
    const auto pos = static_cast<std::size_t>(static_cast<const char*>(hit) - json.data());
    from = pos + 1;
    std::size_t i = skip_ws(json, pos + quoted_key.size());
    if (i >= json.size() || json[i] != ':') continue;
    i = skip_ws(json, i + 1);
    if (i < json.size() && accept(json[i])) return true;
  }
  return false;
}

// With include_usage on, OpenAI puts `"usage":null` on every content chunk: those need no parse.
bool may_carry_usage(std::string_view data) {
  return has_key_whose_value(data, "\"usage\"", [](char c) { return c != 'n'; });
}

bool is_error_event(std::string_view data) {
  if (!has_key_whose_value(data, "\"error\"", [](char c) { return c == '{'; })) return false;
  rapidjson::Document doc;
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  const auto it = doc.FindMember("error");
  return it != doc.MemberEnd() && it->value.IsObject();
}

std::string_view trim(std::string_view s) noexcept {
  const std::size_t b = skip_ws(s, 0);
  std::size_t e = s.size();
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

void append_event(std::string& out, std::string_view name, std::string_view data) {
  if (!name.empty()) out.append("event: ").append(name).push_back('\n');
  append_sse_frame(out, data);
}

}  // namespace

openai_stream_relay::openai_stream_relay(bool client_wants_usage, std::size_t max_event_bytes)
    : parser_(max_event_bytes), client_wants_usage_(client_wants_usage) {}

relay_state openai_stream_relay::feed(std::string_view upstream_bytes, std::string& out) {
  if (state_ != relay_state::open) return state_;
  const bool ok = parser_.feed(upstream_bytes, [&](const sse_event& ev) { relay_event(ev, out); });
  if (!ok && state_ == relay_state::open) state_ = relay_state::malformed;
  return state_;
}

void openai_stream_relay::relay_event(const sse_event& ev, std::string& out) {
  if (state_ != relay_state::open) return;  // nothing after [DONE] or an error reaches the client
  if (trim(ev.data) == done_marker) {
    state_ = relay_state::done;
    out.append("data: [DONE]\n\n");
    return;
  }
  ++events_;
  if (is_error_event(ev.data)) {
    state_ = relay_state::upstream_error;
    append_event(out, ev.event, ev.data);
    return;
  }
  if (!may_carry_usage(ev.data)) {
    append_event(out, ev.event, ev.data);
    return;
  }
  const auto u = extract_openai_usage(ev.data);
  if (u) usage_ = *u;
  if (!u || client_wants_usage_) {
    append_event(out, ev.event, ev.data);
    return;
  }
  relay_without_usage(ev, out);
}

void openai_stream_relay::relay_without_usage(const sse_event& ev, std::string& out) {
  rapidjson::Document doc;
  if (detail::parse_lossless(ev.data, doc).IsError() || !doc.IsObject()) {  // cannot happen: usage was read from it
    append_event(out, ev.event, ev.data);
    return;
  }
  const auto choices = doc.FindMember("choices");
  if (choices != doc.MemberEnd() && choices->value.IsArray() && choices->value.Empty()) {
    return;  // the usage-only chunk the gateway asked for on the client's behalf
  }
  doc.EraseMember("usage");  // keeps the other members in order
  rapidjson::StringBuffer buf;
  detail::json_writer w(buf);
  doc.Accept(w);
  append_event(out, ev.event, std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace switchyard::protocols
