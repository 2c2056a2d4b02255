// OpenAI chat completions request -> canonical request. Every member is either mapped or kept
// verbatim in `extras`, so a same-dialect encode writes back what the client sent.
#include <rapidjson/document.h>

#include "protocols/codec_detail.hpp"
#include "protocols/openai_chat_codec.hpp"

namespace switchyard::protocols {

namespace {

using detail::find;
using detail::index;
using detail::join;
using detail::view;
using rapidjson::Value;

class openai_request_decoder {
 public:
  explicit openai_request_decoder(canonical_request& req) : req_(req) {}

  bool decode(const Value& root) {
    req_.origin = dialect::openai;
    if (!r_.string(root, "model", {}, req_.model, true)) return false;
    if (!messages(root) || !stream(root) || !limits(root) || !sampling(root)) return false;
    if (!tools(root) || !choice(root) || !format(root)) return false;
    if (!r_.boolean(root, "parallel_tool_calls", {}, req_.parallel_tool_calls)) return false;
    if (!r_.string(root, "reasoning_effort", {}, req_.reasoning.effort)) return false;
    if (!r_.opt_string(root, "user", {}, req_.user)) return false;
    detail::keep_unknown(root,
                         {"model", "messages", "stream", "stream_options", "max_tokens",
                          "max_completion_tokens", "temperature", "top_p", "n", "stop", "seed",
                          "frequency_penalty", "presence_penalty", "tools", "tool_choice",
                          "parallel_tool_calls", "response_format", "reasoning_effort", "user",
                          // routing controls: consumed by the gateway, never sent upstream
                          "models", "provider", "route"},
                         req_.extras);
    if (legacy_max_tokens_) req_.extras.push_back(std::move(*legacy_max_tokens_));
    req_.prompt_tokens_estimate = detail::estimate_prompt_tokens(req_.messages);
    return true;
  }

  error_info error() const { return *r_.error; }

 private:
  bool messages(const Value& root) {
    const Value* list = nullptr;
    if (!r_.array(root, "messages", {}, list)) return false;
    if (list == nullptr || list->Empty()) {
      return r_.fail("messages", "`messages` must be a non-empty array of message objects.");
    }
    req_.messages.reserve(list->Size());
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      req_.messages.emplace_back();
      if (!one_message((*list)[i], index("messages", i), req_.messages.back())) return false;
    }
    return true;
  }

  bool role_of(const Value& m, const std::string& path, message_role& out) {
    std::string role;
    if (!r_.string(m, "role", path, role, true)) return false;
    if (role == "system") {
      out = message_role::system;
    } else if (role == "developer") {
      out = message_role::developer;
    } else if (role == "user") {
      out = message_role::user;
    } else if (role == "assistant") {
      out = message_role::assistant;
    } else if (role == "tool") {
      out = message_role::tool;
    } else {
      const auto at = join(path, "role");
      return r_.fail(at, "`" + at +
                             "` must be one of \"system\", \"developer\", \"user\", "
                             "\"assistant\" or \"tool\" (the deprecated \"function\" role "
                             "cannot be translated; use \"tool\").");
    }
    return true;
  }

  bool one_message(const Value& m, const std::string& path, message& out) {
    if (!m.IsObject()) {
      return r_.fail(path, "`" + path + "` must be a message object with a `role`.");
    }
    if (!role_of(m, path, out.role)) return false;
    if (!r_.string(m, "name", path, out.name)) return false;
    if (out.role == message_role::assistant) {
      std::string reasoning;
      if (!r_.string(m, "reasoning_content", path, reasoning)) return false;
      if (m.HasMember("reasoning_content") && !m["reasoning_content"].IsNull()) {
        out.content.push_back(detail::make_part(part_kind::thinking, std::move(reasoning)));
      }
      if (!tool_calls(m, path, out)) return false;
    }
    if (out.role == message_role::tool &&
        !r_.string(m, "tool_call_id", path, out.tool_call_id, true)) {
      return false;
    }
    if (!content(m, path, out)) return false;
    if (out.role == message_role::assistant) {
      detail::keep_unknown(m, {"role", "name", "content", "tool_calls", "reasoning_content"},
                           out.extras);
    } else if (out.role == message_role::tool) {
      detail::keep_unknown(m, {"role", "name", "content", "tool_call_id"}, out.extras);
    } else {
      detail::keep_unknown(m, {"role", "name", "content"}, out.extras);
    }
    return true;
  }

  bool content(const Value& m, const std::string& path, message& out) {
    const auto it = m.FindMember("content");
    if (it == m.MemberEnd()) {
      out.form = content_form::absent;
      return true;
    }
    const Value& c = it->value;
    if (c.IsNull()) {
      out.form = content_form::null;
      return true;
    }
    if (c.IsString()) {
      out.form = content_form::string;
      out.content.push_back(detail::make_part(part_kind::text, std::string(view(c))));
      return true;
    }
    const auto at = join(path, "content");
    if (!c.IsArray()) return r_.fail(at, "`" + at + "` must be a string or an array of parts.");
    out.form = content_form::parts;
    for (rapidjson::SizeType i = 0; i < c.Size(); ++i) {
      out.content.emplace_back();
      if (!part(c[i], index(at, i), out.content.back())) return false;
    }
    return true;
  }

  bool part(const Value& p, const std::string& path, content_part& out) {
    std::string type;
    if (!p.IsObject()) return r_.fail(path, "`" + path + "` must be a content part object.");
    if (!r_.string(p, "type", path, type, true)) return false;
    if (type == "text") {
      out.kind = part_kind::text;
      if (!r_.string(p, "text", path, out.text, true)) return false;
      detail::keep_unknown(p, {"type", "text"}, out.extras);
      return true;
    }
    if (type == "image_url") return image(p, path, out);
    out.kind = part_kind::opaque;  // input_audio, file, refusal, …: kept for OpenAI only
    out.text = detail::to_json(p);
    return true;
  }

  bool image(const Value& p, const std::string& path, content_part& out) {
    const Value* img = nullptr;
    if (!r_.object(p, "image_url", path, img)) return false;
    const auto at = join(path, "image_url");
    if (img == nullptr) return r_.fail(at, "`" + at + "` must be an object with a `url`.");
    std::string url;
    if (!r_.string(*img, "url", at, url, true) || !r_.string(*img, "detail", at, out.detail)) {
      return false;
    }
    std::string_view media_type;
    std::string_view data;
    if (detail::split_data_url(url, media_type, data)) {
      out.kind = part_kind::image_base64;
      out.media_type = std::string(media_type);
      out.text = std::string(data);
    } else {
      out.kind = part_kind::image_url;
      out.text = std::move(url);
    }
    detail::keep_unknown(p, {"type", "image_url"}, out.extras);
    detail::keep_unknown(*img, {"url", "detail"}, out.extras, "image_url");
    return true;
  }

  bool tool_calls(const Value& m, const std::string& path, message& out) {
    const Value* calls = nullptr;
    if (!r_.array(m, "tool_calls", path, calls)) return false;
    if (calls == nullptr) return true;
    const auto base = join(path, "tool_calls");
    for (rapidjson::SizeType i = 0; i < calls->Size(); ++i) {
      const Value& c = (*calls)[i];
      const auto at = index(base, i);
      if (!c.IsObject()) return r_.fail(at, "`" + at + "` must be a tool call object.");
      tool_call call;
      std::string type = "function";
      const Value* fn = nullptr;
      if (!r_.string(c, "id", at, call.id, true) || !r_.string(c, "type", at, type) ||
          !r_.object(c, "function", at, fn)) {
        return false;
      }
      const auto fn_at = join(at, "function");
      if (type != "function" || fn == nullptr) {
        return r_.fail(type != "function" ? join(at, "type") : fn_at,
                       "`" + at +
                           "` must be a function call ({\"type\":\"function\", "
                           "\"function\":{\"name\":…,\"arguments\":…}}).");
      }
      if (!r_.string(*fn, "name", fn_at, call.name, true) ||
          !r_.string(*fn, "arguments", fn_at, call.arguments, true)) {
        return false;
      }
      detail::keep_unknown(c, {"id", "type", "function"}, call.extras);
      detail::keep_unknown(*fn, {"name", "arguments"}, call.extras, "function");
      out.tool_calls.push_back(std::move(call));
    }
    return true;
  }

  bool stream(const Value& root) {
    std::optional<bool> s;
    if (!r_.boolean(root, "stream", {}, s)) return false;
    req_.stream = s.value_or(false);
    const Value* so = nullptr;
    if (!r_.object(root, "stream_options", {}, so)) return false;
    if (so == nullptr) return true;
    if (!r_.boolean(*so, "include_usage", "stream_options", req_.include_usage)) return false;
    detail::keep_unknown(*so, {"include_usage"}, req_.stream_options_extras);
    return true;
  }

  bool limits(const Value& root) {
    std::optional<std::uint32_t> legacy;
    std::optional<std::uint32_t> current;
    if (!r_.uint32(root, "max_tokens", {}, legacy)) return false;
    if (!r_.uint32(root, "max_completion_tokens", {}, current)) return false;
    if (current) {
      req_.max_tokens = current;
      req_.max_tokens_name = max_tokens_field::max_completion_tokens;
      // Both given: the newer name wins, the other is kept for OpenAI only.
      if (legacy) legacy_max_tokens_ = extra_member{"max_tokens", std::to_string(*legacy), {}};
    } else if (legacy) {
      req_.max_tokens = legacy;
      req_.max_tokens_name = max_tokens_field::max_tokens;
    }
    return true;
  }

  bool sampling(const Value& root) {
    if (!r_.number(root, "temperature", {}, req_.temperature) ||
        !r_.number(root, "top_p", {}, req_.top_p) ||
        !r_.number(root, "frequency_penalty", {}, req_.frequency_penalty) ||
        !r_.number(root, "presence_penalty", {}, req_.presence_penalty) ||
        !r_.int64(root, "seed", {}, req_.seed) || !r_.uint32(root, "n", {}, req_.n)) {
      return false;
    }
    if (req_.n && *req_.n == 0) {
      return r_.fail("n", "`n` must be a positive integer (the number of choices to generate).");
    }
    const Value* stop = find(root, "stop");
    if (stop == nullptr) return true;
    if (stop->IsString()) {
      req_.stop_as_string = true;
      req_.stop.emplace_back(view(*stop));
      return true;
    }
    if (stop->IsArray()) {
      for (rapidjson::SizeType i = 0; i < stop->Size(); ++i) {
        if (!(*stop)[i].IsString()) {
          const auto at = index("stop", i);
          return r_.fail(at, "`" + at + "` must be a string.");
        }
        req_.stop.emplace_back(view((*stop)[i]));
      }
      return true;
    }
    return r_.fail("stop", "`stop` must be a string or an array of strings.");
  }

  bool tools(const Value& root) {
    const Value* list = nullptr;
    if (!r_.array(root, "tools", {}, list)) return false;
    if (list == nullptr) return true;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const Value& t = (*list)[i];
      const auto at = index("tools", i);
      if (!t.IsObject()) return r_.fail(at, "`" + at + "` must be a tool object.");
      tool_definition def;
      std::string type;
      if (!r_.string(t, "type", at, type, true)) return false;
      if (type != "function") {
        def.raw = detail::to_json(t);  // custom, web search, …: OpenAI only
        req_.tools.push_back(std::move(def));
        continue;
      }
      const Value* fn = nullptr;
      if (!r_.object(t, "function", at, fn)) return false;
      const auto fn_at = join(at, "function");
      if (fn == nullptr) return r_.fail(fn_at, "`" + fn_at + "` must be an object with a `name`.");
      if (!r_.string(*fn, "name", fn_at, def.name, true) ||
          !r_.string(*fn, "description", fn_at, def.description) ||
          !r_.boolean(*fn, "strict", fn_at, def.strict)) {
        return false;
      }
      if (const Value* params = find(*fn, "parameters")) {
        if (!params->IsObject()) {
          const auto p = join(fn_at, "parameters");
          return r_.fail(p, "`" + p + "` must be a JSON schema object.");
        }
        def.parameters = detail::to_json(*params);
      }
      detail::keep_unknown(t, {"type", "function"}, def.extras);
      detail::keep_unknown(*fn, {"name", "description", "parameters", "strict"}, def.extras,
                           "function");
      req_.tools.push_back(std::move(def));
    }
    return true;
  }

  bool choice(const Value& root) {
    const Value* c = find(root, "tool_choice");
    if (c == nullptr) return true;
    tool_choice tc;
    if (c->IsString()) {
      const std::string_view s = view(*c);
      tc.as_string = true;
      if (s == "auto") {
        tc.mode = tool_choice_mode::automatic;
      } else if (s == "none") {
        tc.mode = tool_choice_mode::none;
      } else if (s == "required") {
        tc.mode = tool_choice_mode::required;
      } else {
        return r_.fail("tool_choice",
                       "`tool_choice` must be \"auto\", \"none\", \"required\" or an object.");
      }
    } else if (c->IsObject()) {
      std::string type;
      if (!r_.string(*c, "type", "tool_choice", type, true)) return false;
      const Value* fn = find(*c, "function");
      if (type == "function" && fn != nullptr && fn->IsObject()) {
        tc.mode = tool_choice_mode::specific;
        if (!r_.string(*fn, "name", "tool_choice.function", tc.name, true)) return false;
        detail::keep_unknown(*c, {"type", "function"}, tc.extras);
        detail::keep_unknown(*fn, {"name"}, tc.extras, "function");
      } else {
        tc.mode = tool_choice_mode::opaque;  // allowed_tools, custom, …
        tc.raw = detail::to_json(*c);
      }
    } else {
      return r_.fail("tool_choice", "`tool_choice` must be a string or an object.");
    }
    req_.tool_choice = std::move(tc);
    return true;
  }

  bool format(const Value& root) {
    const Value* f = nullptr;
    if (!r_.object(root, "response_format", {}, f)) return false;
    if (f == nullptr) return true;
    response_format rf;
    std::string type;
    if (!r_.string(*f, "type", "response_format", type, true)) return false;
    if (type == "text") {
      rf.kind = response_format_kind::text;
    } else if (type == "json_object") {
      rf.kind = response_format_kind::json_object;
    } else if (type == "json_schema") {
      rf.kind = response_format_kind::json_schema;
      const Value* js = nullptr;
      if (!r_.object(*f, "json_schema", "response_format", js)) return false;
      constexpr std::string_view at = "response_format.json_schema";
      if (js == nullptr) {
        return r_.fail(std::string(at), "`response_format.json_schema` must be an object.");
      }
      if (!r_.string(*js, "name", at, rf.name, true) ||
          !r_.string(*js, "description", at, rf.description) ||
          !r_.boolean(*js, "strict", at, rf.strict)) {
        return false;
      }
      if (const Value* schema = find(*js, "schema")) rf.schema = detail::to_json(*schema);
      detail::keep_unknown(*js, {"name", "description", "schema", "strict"}, rf.extras,
                           "json_schema");
    } else {
      return r_.fail("response_format.type",
                     "`response_format.type` must be \"text\", \"json_object\" or "
                     "\"json_schema\".");
    }
    detail::keep_unknown(*f, {"type", "json_schema"}, rf.extras);
    req_.response_format = std::move(rf);
    return true;
  }

  canonical_request& req_;
  detail::reader r_{gateway_error::bad_request};
  std::optional<extra_member> legacy_max_tokens_;
};

result<canonical_request, error_info> from_document(
    std::shared_ptr<const rapidjson::Document> doc) {
  canonical_request req;
  openai_request_decoder decoder(req);
  if (!decoder.decode(*doc)) return decoder.error();
  req.original = std::move(doc);
  return req;
}

}  // namespace

result<canonical_request, error_info> decode_openai_chat_request(std::string_view body) {
  auto doc = std::make_shared<rapidjson::Document>();
  if (auto e = detail::parse_object(body, *doc, gateway_error::bad_request, "The request body")) {
    return std::move(*e);
  }
  return from_document(std::move(doc));
}

result<canonical_request, error_info> openai_chat_to_canonical(const inbound_request& req) {
  if (!req.json || !req.json->IsObject() || req.kind != api_kind::chat_completions) {
    return make_error(gateway_error::bad_request,
                      "Only chat completions requests can be translated to another dialect.");
  }
  auto r = from_document(req.json);
  if (r.ok()) r->prompt_tokens_estimate = req.prompt_tokens_estimate;
  return r;
}

}  // namespace switchyard::protocols
