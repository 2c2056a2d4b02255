// The mock provider's Anthropic Messages bodies and stream events, written field by field after
// Anthropic's published shapes (not with the gateway's encoders, so that a misreading shared by
// the gateway's encoder and decoder cannot hide behind the mock).
#include "bench/mock_provider/anthropic_replies.hpp"

#include "bench/mock_provider/wire.hpp"
#include "protocols/anthropic_codec.hpp"

namespace switchyard::mock {

namespace {

using wire::json_writer;
using wire::write_string;

// Anthropic's error types by status; other 4xx are invalid_request_error, other 5xx api_error.
constexpr std::pair<unsigned, std::string_view> error_types[] = {
    {401, "authentication_error"}, {402, "billing_error"},     {403, "permission_error"},
    {404, "not_found_error"},      {413, "request_too_large"}, {429, "rate_limit_error"},
    {504, "timeout_error"},        {529, "overloaded_error"},
};

// The usage object; the cache counts are always there (and 0), as Anthropic sends them.
void write_usage(json_writer& w, std::uint32_t input, std::uint32_t output) {
  w.Key("usage");
  w.StartObject();
  w.Key("input_tokens");
  w.Uint(input);
  w.Key("cache_creation_input_tokens");
  w.Uint(0);
  w.Key("cache_read_input_tokens");
  w.Uint(0);
  w.Key("output_tokens");
  w.Uint(output);
  w.EndObject();
}

void write_stop_reason(json_writer& w, const reply_script& s) {
  w.Key("stop_reason");
  write_string(w, protocols::anthropic_stop_reason(s.end));
  w.Key("stop_sequence");
  w.Null();
}

// The content block: whole, or as content_block_start opens it (empty text, empty input).
void write_block(json_writer& w, const reply_context& r, bool whole) {
  w.StartObject();
  w.Key("type");
  if (r.script.calls_tool()) {
    w.String("tool_use");
    w.Key("id");
    write_string(w, r.tool_call_id);
    w.Key("name");
    write_string(w, r.script.tool_name);
    w.Key("input");
    const auto input = whole ? tool_call_arguments : std::string_view("{}");
    w.RawValue(input.data(), input.size(), rapidjson::kObjectType);
  } else {
    w.String("text");
    w.Key("text");
    write_string(w, whole ? reply_text(r.script.tokens) : std::string());
  }
  w.EndObject();
}

// The message object: whole (its block, stop reason and usage), or as message_start announces
// it (no content yet, no stop reason, the input tokens and the first output token).
void write_message(json_writer& w, const reply_context& r, bool whole) {
  w.StartObject();
  w.Key("id");
  write_string(w, r.id);
  w.Key("type");
  w.String("message");
  w.Key("role");
  w.String("assistant");
  w.Key("model");
  write_string(w, r.model);
  w.Key("content");
  w.StartArray();
  if (whole) write_block(w, r, true);
  w.EndArray();
  if (whole) {
    write_stop_reason(w, r.script);
  } else {
    w.Key("stop_reason");
    w.Null();
    w.Key("stop_sequence");
    w.Null();
  }
  const auto output = r.script.pieces();
  write_usage(w, r.script.prompt_tokens, whole || output == 0 ? output : 1);
  w.EndObject();
}

// One event whose data object is `{"type":<name>, …}` with the members `body` writes.
template <class Body>
void append_event(std::string& out, std::string_view name, Body&& body) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("type");
  write_string(w, name);
  body(w);
  w.EndObject();
  wire::append_sse_event(out, name, {buf.GetString(), buf.GetSize()});
}

void write_index(json_writer& w) {
  w.Key("index");
  w.Uint(0);
}

}  // namespace

protocols::result<reply_request, request_error> decode_anthropic_reply_request(
    std::string_view body) {
  return reduce_request(protocols::decode_anthropic_request(body), anthropic_tool_offer);
}

tool_offer anthropic_tool_offer(const protocols::canonical_request& req) {
  tool_offer offer;
  for (const auto& t : req.tools) {
    // A non-empty `raw` is a server tool (web search, …), which the client does not run.
    if (t.raw.empty() && !t.name.empty()) {
      offer.first_tool = t.name;
      break;
    }
  }
  if (req.tool_choice) {
    switch (req.tool_choice->mode) {
      case protocols::tool_choice_mode::none:
        offer.mode = tool_mode::none;
        break;
      case protocols::tool_choice_mode::required:
        offer.mode = tool_mode::required;
        break;
      case protocols::tool_choice_mode::specific:
        offer.mode = tool_mode::specific;
        offer.forced_tool = req.tool_choice->name;
        break;
      case protocols::tool_choice_mode::automatic:
      case protocols::tool_choice_mode::opaque:
        break;
    }
  }
  if (!req.messages.empty() && req.messages.back().role == protocols::message_role::user) {
    for (const auto& part : req.messages.back().content) {
      if (part.kind == protocols::part_kind::text &&
          part.text.find(tool_call_trigger) != std::string::npos) {
        offer.prompted = true;
      }
    }
  }
  return offer;
}

std::optional<request_error> anthropic_auth_error(std::string_view api_key,
                                                  std::string_view version,
                                                  std::string_view expected_key) {
  if (api_key.empty()) return request_error{401, "x-api-key header is required", {}};
  if (api_key != expected_key) return request_error{401, "invalid x-api-key", {}};
  if (version.empty()) return request_error{400, "anthropic-version: header is required", {}};
  return std::nullopt;
}

std::string anthropic_message_body(const reply_context& r) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  write_message(w, r, true);
  return wire::to_string(buf);
}

frame_layout anthropic_layout(const reply_context& r) {
  return {true, r.script.pieces(), false, true};
}

void append_anthropic_frame(const reply_context& r, stream_step step, std::uint32_t piece,
                            std::string& out) {
  switch (step) {
    case stream_step::open:
      append_event(out, "message_start", [&](json_writer& w) {
        w.Key("message");
        write_message(w, r, false);
      });
      append_event(out, "content_block_start", [&](json_writer& w) {
        write_index(w);
        w.Key("content_block");
        write_block(w, r, false);
      });
      append_event(out, "ping", [](json_writer&) {});
      return;
    case stream_step::piece:
      append_event(out, "content_block_delta", [&](json_writer& w) {
        write_index(w);
        w.Key("delta");
        w.StartObject();
        w.Key("type");
        if (r.script.calls_tool()) {
          w.String("input_json_delta");
          w.Key("partial_json");
          write_string(w, tool_argument_piece(piece));
        } else {
          w.String("text_delta");
          w.Key("text");
          std::string token;
          append_reply_token(token, piece);
          write_string(w, token);
        }
        w.EndObject();
      });
      return;
    case stream_step::finish:
      append_event(out, "content_block_stop", write_index);
      append_event(out, "message_delta", [&](json_writer& w) {
        w.Key("delta");
        w.StartObject();
        write_stop_reason(w, r.script);
        w.EndObject();
        write_usage(w, r.script.prompt_tokens, r.script.pieces());
      });
      return;
    case stream_step::usage:  // in message_delta
      return;
    case stream_step::done:
      append_event(out, "message_stop", [](json_writer&) {});
      return;
  }
}

std::string anthropic_error_body(unsigned status, std::string_view message) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("type");
  w.String("error");
  w.Key("error");
  w.StartObject();
  w.Key("type");
  write_string(w, wire::status_name(status, error_types, "invalid_request_error", "api_error"));
  w.Key("message");
  write_string(w, message);
  w.EndObject();
  w.EndObject();
  return wire::to_string(buf);
}

}  // namespace switchyard::mock
