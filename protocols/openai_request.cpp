// OpenAI-dialect requests: validation of what a client sent, and the passthrough encoder that
// rewrites only `model` and `stream_options` while writing the parsed document back out.
#include "protocols/openai_request.hpp"

#include <limits>

#include <rapidjson/error/en.h>

#include "protocols/json_parse.hpp"
#include "protocols/json_util.hpp"

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using opt_error = std::optional<error_info>;

error_info bad_param(std::string param, std::string message) {
  return make_error(gateway_error::bad_request, std::move(message), std::move(param));
}

std::string parse_error_message(const rapidjson::ParseResult& parsed) {
  return std::string("We could not parse the JSON body of your request: ") +
         rapidjson::GetParseError_En(parsed.Code()) + " (at byte " +
         std::to_string(parsed.Offset()) +
         "). The API expects a JSON object; check that your HTTP library sends the body as JSON "
         "with Content-Type: application/json.";
}

// Optional fields may be absent or null (several SDKs send null for "not given").
const Value* optional_member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string_view view_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

opt_error check_model(const Value& root) {
  auto it = root.FindMember("model");
  if (it == root.MemberEnd() || !it->value.IsString() || it->value.GetStringLength() == 0) {
    return bad_param("model", "`model` must be a non-empty string naming the model to use.");
  }
  return std::nullopt;
}

opt_error check_messages(const Value& root) {
  auto it = root.FindMember("messages");
  if (it == root.MemberEnd() || !it->value.IsArray() || it->value.Empty()) {
    return bad_param("messages", "`messages` must be a non-empty array of message objects.");
  }
  const auto& messages = it->value;
  for (rapidjson::SizeType i = 0; i < messages.Size(); ++i) {
    const Value& m = messages[i];
    if (!m.IsObject()) {
      const std::string at = "messages[" + std::to_string(i) + "]";
      return bad_param(at, "`" + at + "` must be a message object with a `role` and `content`.");
    }
    auto role = m.FindMember("role");
    if (role == m.MemberEnd() || !role->value.IsString()) {
      const std::string at = "messages[" + std::to_string(i) + "].role";
      return bad_param(at, "`" + at + "` must be a string such as \"user\".");
    }
  }
  return std::nullopt;
}

opt_error check_bool(const Value& obj, const char* name, const std::string& param, bool& out) {
  const Value* v = optional_member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsBool()) return bad_param(param, "`" + param + "` must be a boolean (true or false).");
  out = v->GetBool();
  return std::nullopt;
}

opt_error check_stream(const Value& root, inbound_request& req) {
  if (auto e = check_bool(root, "stream", "stream", req.stream)) return e;
  const Value* so = optional_member(root, "stream_options");
  if (so == nullptr) return std::nullopt;
  if (!so->IsObject()) {
    return bad_param("stream_options",
                     "`stream_options` must be an object, e.g. {\"include_usage\": true}.");
  }
  return check_bool(*so, "include_usage", "stream_options.include_usage", req.include_usage);
}

opt_error check_token_limit(const Value& root, const char* name,
                            std::optional<std::uint32_t>& out) {
  const Value* v = optional_member(root, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsUint()) {
    return bad_param(name, std::string("`") + name +
                               "` must be a non-negative integer no larger than 4294967295.");
  }
  out = v->GetUint();
  return std::nullopt;
}

opt_error check_max_tokens(const Value& root, inbound_request& req) {
  std::optional<std::uint32_t> legacy;
  std::optional<std::uint32_t> current;
  if (auto e = check_token_limit(root, "max_tokens", legacy)) return e;
  if (auto e = check_token_limit(root, "max_completion_tokens", current)) return e;
  req.max_tokens = current ? current : legacy;
  return std::nullopt;
}

opt_error check_sampling(const Value& root) {
  for (const char* name : {"temperature", "top_p"}) {
    const Value* v = optional_member(root, name);
    if (v != nullptr && !v->IsNumber()) {
      return bad_param(name, std::string("`") + name + "` must be a number.");
    }
  }
  const Value* n = optional_member(root, "n");
  if (n != nullptr && !(n->IsUint64() && n->GetUint64() > 0)) {
    return bad_param("n", "`n` must be a positive integer (the number of choices to generate).");
  }
  const Value* tools = optional_member(root, "tools");
  if (tools != nullptr && !tools->IsArray()) {
    return bad_param("tools", "`tools` must be an array of tool definitions.");
  }
  return std::nullopt;
}

bool is_token_array(const Value& v) {
  if (!v.IsArray() || v.Empty()) return false;
  for (const auto& t : v.GetArray()) {
    if (!t.IsUint()) return false;
  }
  return true;
}

bool is_input_item(const Value& v) {
  return (v.IsString() && v.GetStringLength() > 0) || v.IsUint() || is_token_array(v);
}

opt_error check_input(const Value& root) {
  static constexpr const char* expected =
      "`input` must be a non-empty string or a non-empty array of strings, token ids, or arrays of "
      "token ids.";
  auto it = root.FindMember("input");
  if (it == root.MemberEnd()) return bad_param("input", expected);
  const Value& in = it->value;
  if (in.IsString() && in.GetStringLength() > 0) return std::nullopt;
  if (!in.IsArray() || in.Empty()) return bad_param("input", expected);
  for (rapidjson::SizeType i = 0; i < in.Size(); ++i) {
    if (!is_input_item(in[i])) return bad_param("input[" + std::to_string(i) + "]", expected);
  }
  return std::nullopt;
}

// --- prompt estimate: about four bytes of text per token ------------------------------------

std::size_t content_bytes(const Value& content) {
  if (content.IsString()) return content.GetStringLength();
  std::size_t n = 0;
  if (!content.IsArray()) return n;
  for (const auto& part : content.GetArray()) {
    if (!part.IsObject()) continue;
    auto text = part.FindMember("text");
    if (text != part.MemberEnd() && text->value.IsString()) n += text->value.GetStringLength();
  }
  return n;
}

// Text bytes plus token ids; an id already is one token, so it counts as four bytes.
std::size_t input_bytes(const Value& in) {
  if (in.IsString()) return in.GetStringLength();
  if (in.IsNumber()) return 4;
  std::size_t n = 0;
  if (in.IsArray()) {
    for (const auto& item : in.GetArray()) n += input_bytes(item);
  }
  return n;
}

std::uint32_t estimate_tokens(std::size_t bytes) {
  const std::size_t tokens = bytes / 4 + (bytes % 4 != 0 ? 1 : 0);
  if (tokens == 0) return 1;
  return tokens > std::numeric_limits<std::uint32_t>::max()
             ? std::numeric_limits<std::uint32_t>::max()
             : static_cast<std::uint32_t>(tokens);
}

std::uint32_t estimate_prompt(api_kind kind, const Value& root) {
  std::size_t bytes = 0;
  if (kind == api_kind::embeddings) {
    bytes = input_bytes(root["input"]);
  } else {
    for (const auto& m : root["messages"].GetArray()) {
      auto content = m.FindMember("content");
      if (content != m.MemberEnd()) bytes += content_bytes(content->value);
    }
  }
  return estimate_tokens(bytes);
}

opt_error validate(api_kind kind, const Value& root, inbound_request& req) {
  if (auto e = check_model(root)) return e;
  if (auto e = decode_routing_controls(root, req.controls)) return e;
  if (kind == api_kind::embeddings) return check_input(root);
  if (auto e = check_messages(root)) return e;
  if (auto e = check_stream(root, req)) return e;
  if (auto e = check_max_tokens(root, req)) return e;
  return check_sampling(root);
}

// --- upstream encoding ------------------------------------------------------------------------

// Walks the top-level members of the parsed request and hands every subtree straight to the
// writer (Value::Accept), so nothing is copied; only `model` and `stream_options` are rewritten.
void write_stream_options(detail::json_writer& w, const Value* client_options) {
  w.StartObject();
  bool saw_include_usage = false;
  if (client_options != nullptr && client_options->IsObject()) {
    for (const auto& m : client_options->GetObject()) {
      w.Key(m.name.GetString(), m.name.GetStringLength());
      if (view_of(m.name) == "include_usage") {
        saw_include_usage = true;
        w.Bool(true);
      } else {
        m.value.Accept(w);
      }
    }
  }
  if (!saw_include_usage) {
    w.Key("include_usage");
    w.Bool(true);
  }
  w.EndObject();
}

void write_upstream(detail::json_writer& w, const Value& root, std::string_view model,
                    bool stream, std::optional<std::uint32_t> cap, bool legacy_max_tokens) {
  bool saw_stream_options = false;
  bool saw_limit = false;
  w.StartObject();
  for (const auto& m : root.GetObject()) {
    const std::string_view name = view_of(m.name);
    if (is_routing_control_member(name)) continue;  // the gateway's, not the upstream's
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (name == "model") {
      detail::write_string(w, model);
    } else if (cap && (name == "max_tokens" || name == "max_completion_tokens") &&
               m.value.IsUint()) {
      saw_limit = true;
      w.Uint(std::min(m.value.GetUint(), *cap));
    } else if (stream && name == "stream_options") {
      saw_stream_options = true;
      write_stream_options(w, &m.value);
    } else {
      m.value.Accept(w);
    }
  }
  if (stream && !saw_stream_options) {
    w.Key("stream_options");
    write_stream_options(w, nullptr);
  }
  if (cap && !saw_limit) {
    w.Key(legacy_max_tokens ? "max_tokens" : "max_completion_tokens");
    w.Uint(*cap);
  }
  w.EndObject();
}

}  // namespace

result<inbound_request, error_info> decode_openai_request(api_kind kind, std::string_view body) {
  auto doc = std::make_shared<rapidjson::Document>();
  // Checked up front: much faster than RapidJSON's per-character validation.
  if (const auto bad = detail::invalid_utf8_offset(body); bad != std::string_view::npos) {
    return bad_param({},
                     "We could not parse the JSON body of your request: it is not valid UTF-8 "
                     "(at byte " +
                         std::to_string(bad) + "). Send the body encoded as UTF-8.");
  }
  // Not RapidJSON's full-precision mode: it misreads zeros with large exponents ("0e240").
  if (const auto parsed = detail::parse_lossless(body, *doc); parsed.IsError()) {
    return bad_param({}, parse_error_message(parsed));
  }
  if (!doc->IsObject()) {
    return bad_param({}, "The request body must be a JSON object, e.g. {\"model\": …}.");
  }
  inbound_request req;
  req.kind = kind;
  if (auto e = validate(kind, *doc, req)) return std::move(*e);
  req.model = std::string(view_of((*doc)["model"]));
  req.prompt_tokens_estimate = estimate_prompt(kind, *doc);
  req.json = std::move(doc);
  return req;
}

std::string encode_openai_upstream(const inbound_request& req, std::string_view upstream_model,
                                   std::optional<std::uint32_t> max_tokens,
                                   bool legacy_max_tokens) {
  if (!req.json || !req.json->IsObject()) return {};
  rapidjson::StringBuffer buf(nullptr, 1024);
  detail::json_writer w(buf);
  // Embeddings produce no output tokens: nothing to cap.
  if (req.kind == api_kind::embeddings) max_tokens.reset();
  write_upstream(w, *req.json, upstream_model, req.stream, max_tokens, legacy_max_tokens);
  return detail::to_string(buf);
}

embedding_encoding requested_embedding_encoding(const inbound_request& req) noexcept {
  if (!req.json || !req.json->IsObject()) return embedding_encoding::float_array;
  auto it = req.json->FindMember("encoding_format");
  if (it == req.json->MemberEnd() || !it->value.IsString()) return embedding_encoding::float_array;
  return std::string_view{it->value.GetString(), it->value.GetStringLength()} == "base64"
             ? embedding_encoding::base64
             : embedding_encoding::float_array;
}

}  // namespace switchyard::protocols
