// Anthropic -> Anthropic stream relay: events pass through; the few that carry usage, the stop
// reason or the end of the stream are parsed.
#include "protocols/anthropic_stream_relay.hpp"

#include "protocols/anthropic_codec.hpp"
#include "protocols/anthropic_detail.hpp"

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using stream_detail::object_member;
using stream_detail::string_member;

bool worth_parsing(std::string_view name) noexcept {
  return name.empty() || name == "message_start" || name == "message_delta" ||
         name == "message_stop" || name == "error";
}

}  // namespace

anthropic_stream_relay::anthropic_stream_relay(const stream_options& opts)
    : parser_(opts.max_event_bytes) {}

relay_state anthropic_stream_relay::feed(std::string_view upstream_bytes, std::string& out) {
  if (state_ != relay_state::open) return state_;
  const bool ok = parser_.feed(upstream_bytes, [&](const sse_event& ev) { on_event(ev, out); });
  if (!ok && state_ == relay_state::open) state_ = relay_state::malformed;
  return state_;
}

bool anthropic_stream_relay::finish_eof(std::string&) {
  return state_ == relay_state::done;
}

void anthropic_stream_relay::append_error_event(const error_info& e, std::string& out) const {
  out.append(anthropic_stream_error_event(e));
}

void anthropic_stream_relay::on_event(const sse_event& ev, std::string& out) {
  if (state_ != relay_state::open) return;
  ++events_;
  std::string_view type = ev.event;
  if (worth_parsing(ev.event)) {
    const Value* root = json_.parse(ev.data);
    if (root == nullptr || !root->IsObject()) {
      state_ = relay_state::malformed;
      return;
    }
    type = string_member(*root, "type");
    if (type == "message_start") {
      const Value* msg = object_member(*root, "message");
      if (const Value* u = msg != nullptr ? object_member(*msg, "usage") : nullptr) {
        anthropic_detail::merge_usage(usage_, *u);
      }
    } else if (type == "message_delta") {
      if (const Value* u = object_member(*root, "usage")) anthropic_detail::merge_usage(usage_, *u);
      const Value* delta = object_member(*root, "delta");
      const auto reason = delta != nullptr ? string_member(*delta, "stop_reason") : "";
      if (!reason.empty()) finish_ = from_anthropic_stop(reason);
    } else if (type == "message_stop") {
      state_ = relay_state::done;
    } else if (type == "error") {
      state_ = relay_state::upstream_error;
    }
  }
  // Re-framed with the event name the data says, so clients that dispatch on it keep working.
  const std::string_view name = ev.event.empty() ? type : ev.event;
  if (!name.empty()) out.append("event: ").append(name).push_back('\n');
  append_sse_frame(out, ev.data);
}

}  // namespace switchyard::protocols
