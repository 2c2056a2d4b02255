// The mock provider's OpenAI-dialect bodies and stream frames, built with the protocols builders
// (and, for tool calls, which those do not build, with a writer of their own).
#include "bench/mock_provider/responses.hpp"

#include <charconv>

#include "bench/mock_provider/wire.hpp"
#include "protocols/openai_builders.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/usage.hpp"

namespace switchyard::mock {

namespace {

using wire::json_writer;
using wire::write_string;

protocols::usage make_usage(std::uint32_t prompt, std::uint32_t completion) {
  protocols::usage u;
  u.prompt_tokens = prompt;
  u.completion_tokens = completion;
  u.reported = true;
  return u;
}

// FNV-1a over a value's structure and text; stable across runs and platforms.
void hash_value(const rapidjson::Value& v, std::uint64_t& h) {
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ULL;
    }
  };
  auto type = static_cast<unsigned char>(v.GetType());
  mix(&type, 1);
  if (v.IsString()) {
    mix(v.GetString(), v.GetStringLength());
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) hash_value(e, h);
  } else if (v.IsNumber()) {
    // Token ids: integers are what the API takes; other numbers hash by their double bits.
    if (v.IsInt64()) {
      auto n = v.GetInt64();
      mix(&n, sizeof n);
    } else {
      auto d = v.GetDouble();
      mix(&d, sizeof d);
    }
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      hash_value(m.name, h);
      hash_value(m.value, h);
    }
  }
}

struct status_style {
  std::string_view type;
  std::string_view code;  // empty: null
};

status_style style_for(unsigned status) {
  switch (status) {
    case 400:
      return {"invalid_request_error", ""};
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 403:
      return {"permission_error", ""};
    case 404:
      return {"invalid_request_error", "not_found"};
    case 405:
      return {"invalid_request_error", "method_not_allowed"};
    case 408:
      return {"timeout_error", ""};
    case 413:
      return {"invalid_request_error", "request_too_large"};
    case 429:
      return {"requests", "rate_limit_exceeded"};
    case 431:
      return {"invalid_request_error", "headers_too_large"};
    default:
      break;
  }
  if (status >= 500) return {"server_error", ""};
  return {"invalid_request_error", ""};
}

std::string_view view_of(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// A string member, or empty when absent or not a string.
std::string_view string_member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? view_of(it->value) : std::string_view{};
}

// The name of an OpenAI function tool (`{"type":"function","function":{"name":…}}`), else empty.
std::string_view function_name(const rapidjson::Value& holder) {
  if (!holder.IsObject()) return {};
  auto fn = holder.FindMember("function");
  return fn == holder.MemberEnd() ? std::string_view{} : string_member(fn->value, "name");
}

// A message's content (a string, or an array of parts) mentions the trigger.
bool content_mentions_trigger(const rapidjson::Value& content) {
  if (content.IsString()) return view_of(content).find(tool_call_trigger) != std::string::npos;
  if (!content.IsArray()) return false;
  for (const auto& part : content.GetArray()) {
    if (string_member(part, "text").find(tool_call_trigger) != std::string::npos) return true;
  }
  return false;
}

// `{"id":…,"object":…,"created":…,"model":…,"choices":[{"index":0,` left open for the choice.
void open_choice(json_writer& w, const reply_context& r, const char* object) {
  w.StartObject();
  w.Key("id");
  write_string(w, r.id);
  w.Key("object");
  w.String(object);
  w.Key("created");
  w.Int64(r.created);
  w.Key("model");
  write_string(w, r.model);
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Uint(0);
}

// `"logprobs":null,"finish_reason":…}]` (null when `finish` is empty); the object stays open.
void close_choice(json_writer& w, std::string_view finish) {
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  if (finish.empty()) {
    w.Null();
  } else {
    write_string(w, finish);
  }
  w.EndObject();
  w.EndArray();
}

// `"tool_calls":[{…}]` with the one call: in a chunk with its `index`, and with its id, type and
// name only where they are due (a whole message, a stream's first piece).
void write_tool_calls(json_writer& w, const reply_context& r, bool in_chunk, bool named,
                      std::string_view arguments) {
  w.Key("tool_calls");
  w.StartArray();
  w.StartObject();
  if (in_chunk) {
    w.Key("index");
    w.Uint(0);
  }
  if (named) {
    w.Key("id");
    write_string(w, r.tool_call_id);
    w.Key("type");
    w.String("function");
  }
  w.Key("function");
  w.StartObject();
  if (named) {
    w.Key("name");
    write_string(w, r.script.tool_name);
  }
  w.Key("arguments");
  write_string(w, arguments);
  w.EndObject();
  w.EndObject();
  w.EndArray();
}

// Piece `i` of the tool call: the first names the call, every one carries an arguments piece.
std::string tool_call_chunk(const reply_context& r, std::uint32_t i) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  open_choice(w, r, "chat.completion.chunk");
  w.Key("delta");
  w.StartObject();
  write_tool_calls(w, r, true, i == 0, tool_argument_piece(i));
  w.EndObject();
  close_choice(w, {});
  w.EndObject();
  return wire::to_string(buf);
}

std::string tool_call_completion(const reply_context& r) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  open_choice(w, r, "chat.completion");
  w.Key("message");
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("content");
  w.Null();
  write_tool_calls(w, r, false, true, tool_call_arguments);
  w.EndObject();
  close_choice(w, "tool_calls");
  wire::write_usage_counts(w, "usage", {"prompt_tokens", "completion_tokens", "total_tokens"},
                           r.script.prompt_tokens, r.script.pieces());
  w.EndObject();
  return wire::to_string(buf);
}

}  // namespace

protocols::result<reply_request, request_error> decode_openai_reply_request(std::string_view body) {
  auto decoded = protocols::decode_openai_request(protocols::api_kind::chat_completions, body);
  auto r = reduce_request(
      decoded, [](const protocols::inbound_request& in) { return openai_tool_offer(*in.json); });
  if (r) r->include_usage = decoded->include_usage;
  return r;
}

tool_offer openai_tool_offer(const rapidjson::Value& request) {
  tool_offer offer;
  auto tools = request.FindMember("tools");
  if (tools == request.MemberEnd() || !tools->value.IsArray()) return offer;
  for (const auto& t : tools->value.GetArray()) {
    auto name = function_name(t);
    if (!name.empty()) {
      offer.first_tool = std::string(name);
      break;
    }
  }
  if (offer.first_tool.empty()) return offer;
  if (auto choice = request.FindMember("tool_choice"); choice != request.MemberEnd()) {
    const auto& c = choice->value;
    if (c.IsString() && view_of(c) == "none") offer.mode = tool_mode::none;
    if (c.IsString() && view_of(c) == "required") offer.mode = tool_mode::required;
    if (auto forced = function_name(c); !forced.empty()) {
      offer.mode = tool_mode::specific;
      offer.forced_tool = std::string(forced);
    }
  }
  const auto& messages = request["messages"];  // decode_openai_request checked it
  const auto& last = messages[messages.Size() - 1];
  if (string_member(last, "role") == "user") {
    auto content = last.FindMember("content");
    offer.prompted = content != last.MemberEnd() && content_mentions_trigger(content->value);
  }
  return offer;
}

std::string chat_completion_body(const reply_context& r) {
  if (r.script.calls_tool()) return tool_call_completion(r);
  return protocols::build_chat_completion(r.id, r.model, r.created, reply_text(r.script.tokens),
                                          make_usage(r.script.prompt_tokens, r.script.tokens),
                                          protocols::openai_finish_reason(r.script.end));
}

frame_layout openai_layout(const reply_context& r) {
  return {true, r.script.pieces(), r.include_usage, true};
}

void append_openai_frame(const reply_context& r, stream_step step, std::uint32_t piece,
                         std::string& out) {
  switch (step) {
    case stream_step::open:
      wire::append_sse_data(out, protocols::build_chat_chunk(r.id, r.model, r.created, "assistant",
                                                             "", std::nullopt));
      return;
    case stream_step::piece: {
      if (r.script.calls_tool()) return wire::append_sse_data(out, tool_call_chunk(r, piece));
      std::string token;
      append_reply_token(token, piece);
      wire::append_sse_data(out, protocols::build_chat_chunk(r.id, r.model, r.created, std::nullopt,
                                                             token, std::nullopt));
      return;
    }
    case stream_step::finish:
      wire::append_sse_data(
          out, protocols::build_chat_chunk(r.id, r.model, r.created, std::nullopt, "",
                                           protocols::openai_finish_reason(r.script.end)));
      return;
    case stream_step::usage:
      wire::append_sse_data(
          out, protocols::build_usage_chunk(r.id, r.model, r.created,
                                            make_usage(r.script.prompt_tokens, r.script.pieces())));
      return;
    case stream_step::done:
      wire::append_sse_data(out, "[DONE]");
      return;
  }
}

std::string http_chunk_size_line(std::size_t size) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + 20, size, 16);
  *end++ = '\r';
  *end++ = '\n';
  return {buf, end};
}

std::size_t embedding_input_count(const rapidjson::Value& input) noexcept {
  if (!input.IsArray()) return 1;
  if (input.Empty()) return 0;
  // An array of integers is one pre-tokenized input; otherwise each element is an input.
  return input[0].IsNumber() ? 1 : input.Size();
}

std::uint64_t embedding_seed(std::uint64_t seed, const rapidjson::Value& input) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  hash_value(input, h);
  return h ^ (seed * 0x9e3779b97f4a7c15ULL);
}

protocols::result<std::uint32_t, std::string> embedding_dimensions(const rapidjson::Value& request,
                                                                   std::uint32_t fallback) {
  if (!request.IsObject()) return fallback;
  auto it = request.FindMember("dimensions");
  if (it == request.MemberEnd() || it->value.IsNull()) return fallback;
  if (!it->value.IsUint() || it->value.GetUint() < 1 || it->value.GetUint() > 8192) {
    return std::string("dimensions must be an integer from 1 to 8192");
  }
  return it->value.GetUint();
}

std::string embeddings_body(std::string_view model, std::size_t inputs, std::uint32_t dimensions,
                            std::uint64_t seed, std::uint32_t prompt_tokens,
                            protocols::embedding_encoding encoding) {
  return protocols::build_embeddings(model, inputs, dimensions, seed, make_usage(prompt_tokens, 0),
                                     encoding);
}

std::string models_body(const std::vector<std::string>& models) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (const auto& m : models) {
    w.StartObject();
    w.Key("id");
    write_string(w, m);
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int64(0);
    w.Key("owned_by");
    w.String("mock_provider");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string error_body(unsigned status, std::string_view message, std::string_view param) {
  auto style = style_for(status);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  write_string(w, message);
  w.Key("type");
  write_string(w, style.type);
  w.Key("param");
  if (param.empty()) {
    w.Null();
  } else {
    write_string(w, param);
  }
  w.Key("code");
  if (style.code.empty()) {
    w.Null();
  } else {
    write_string(w, style.code);
  }
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace switchyard::mock
