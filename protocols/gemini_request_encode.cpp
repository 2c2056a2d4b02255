// Canonical request -> Gemini generateContent request (body and path).
#include <limits>

#include "protocols/anthropic_detail.hpp"
#include "protocols/codec_detail.hpp"
#include "protocols/gemini_codec.hpp"

namespace switchyard::protocols {

namespace {

using detail::index;
using detail::join;
using detail::json_writer;
using detail::write_string;

bool is_system(const message& m) noexcept {
  return m.role == message_role::system || m.role == message_role::developer;
}

// Gemini has two roles: "model" for the assistant, "user" for everyone else in `contents`.
bool is_model(const message& m) noexcept {
  return m.role == message_role::assistant;
}

class gemini_request_encoder {
 public:
  gemini_request_encoder(const canonical_request& req, const gemini_encode_options& opts,
                         json_writer& w)
      : req_(req), opts_(opts), w_(w), loss_(opts.drop_unsupported, dialect::gemini) {}

  bool encode() {
    w_.StartObject();
    if (!contents() || !system() || !tools() || !tool_config() || !generation_config()) {
      return false;
    }
    if (req_.user) {
      const char* field = req_.origin == dialect::anthropic ? "metadata.user_id" : "user";
      if (!loss_.unsupported(field, "Gemini has no end-user id")) return false;
    }
    if (!loss_.extras("metadata", req_.metadata_extras) ||
        !loss_.extras("stream_options", req_.stream_options_extras) ||
        !loss_.extras({}, req_.extras)) {
      return false;
    }
    w_.EndObject();
    return true;
  }

  detail::loss_tracker& loss() { return loss_; }

 private:
  bool message_loss(const message& m, std::size_t i) {
    const auto path = detail::message_path(m, i);
    if (!m.name.empty() && !loss_.unsupported(join(path, "name"), "Gemini has no names")) {
      return false;
    }
    return loss_.extras(path, m.extras);
  }

  bool system() {
    bool open = false;
    for (std::size_t i = 0; i < req_.messages.size(); ++i) {
      const auto& m = req_.messages[i];
      if (!is_system(m)) continue;
      if (!message_loss(m, i)) return false;
      for (std::size_t j = 0; j < m.content.size(); ++j) {
        const auto& p = m.content[j];
        const auto path = detail::part_path(m, i, j);
        if (p.kind != part_kind::text) {
          if (!loss_.unsupported(path, "Gemini system instructions are text")) return false;
          continue;
        }
        if (!loss_.extras(path, p.extras)) return false;
        if (!open) {
          w_.Key("systemInstruction");
          w_.StartObject();
          w_.Key("parts");
          w_.StartArray();
          open = true;
        }
        w_.StartObject();
        w_.Key("text");
        write_string(w_, p.text);
        w_.EndObject();
      }
    }
    if (open) {
      w_.EndArray();
      w_.EndObject();
    }
    return true;
  }

  bool contents() {
    w_.Key("contents");
    w_.StartArray();
    const auto n = req_.messages.size();
    std::size_t i = 0;
    while (i < n) {
      if (is_system(req_.messages[i])) {
        ++i;
        continue;
      }
      const bool model = is_model(req_.messages[i]);
      w_.StartObject();
      w_.Key("role");
      w_.String(model ? "model" : "user");
      w_.Key("parts");
      w_.StartArray();
      while (i < n && (is_system(req_.messages[i]) || is_model(req_.messages[i]) == model)) {
        if (!is_system(req_.messages[i]) && !parts(req_.messages[i], i)) return false;
        ++i;
      }
      w_.EndArray();
      w_.EndObject();
    }
    w_.EndArray();
    return true;
  }

  bool parts(const message& m, std::size_t i) {
    if (!message_loss(m, i)) return false;
    if (m.role == message_role::tool) return function_response(m, i);
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      if (!part(m, i, j)) return false;
    }
    for (std::size_t t = 0; t < m.tool_calls.size(); ++t) {
      if (!function_call(m, i, t)) return false;
    }
    return true;
  }

  bool part(const message& m, std::size_t i, std::size_t j) {
    const auto& p = m.content[j];
    const auto path = detail::part_path(m, i, j);
    if (!loss_.extras(path, p.extras)) return false;
    switch (p.kind) {
      case part_kind::text:
        if (p.text.empty()) return true;  // Gemini rejects empty parts
        w_.StartObject();
        w_.Key("text");
        write_string(w_, p.text);
        w_.EndObject();
        return true;
      case part_kind::image_base64:
      case part_kind::image_url:
        return image(p, path);
      case part_kind::thinking:
      case part_kind::redacted_thinking:
        return loss_.unsupported(path, "Gemini only takes back its own thought signatures");
      case part_kind::opaque:
        return loss_.unsupported(path, "this kind of content part has no Gemini equivalent");
    }
    return true;
  }

  bool image(const content_part& p, const std::string& path) {
    if (!p.detail.empty() && p.detail != "auto" &&
        !loss_.unsupported(join(join(path, "image_url"), "detail"),
                           "Gemini has no image detail setting")) {
      return false;
    }
    w_.StartObject();
    if (p.kind == part_kind::image_base64) {
      w_.Key("inlineData");
      w_.StartObject();
      w_.Key("mimeType");
      write_string(w_, p.media_type);
      w_.Key("data");
      write_string(w_, p.text);
    } else {
      w_.Key("fileData");
      w_.StartObject();
      if (!p.media_type.empty()) {
        w_.Key("mimeType");
        write_string(w_, p.media_type);
      }
      w_.Key("fileUri");
      write_string(w_, p.text);
    }
    w_.EndObject();
    w_.EndObject();
    return true;
  }

  bool function_call(const message& m, std::size_t i, std::size_t t) {
    const auto& c = m.tool_calls[t];
    const auto path = detail::call_path(m, i, t);
    const auto args = anthropic_detail::input_object(c.arguments);
    if (!args) {
      const auto at = join(join(path, "function"), "arguments");
      loss_.error = make_error(gateway_error::bad_request,
                               "`" + at + "` must be a JSON object for a Gemini provider.", at);
      return false;
    }
    if (!loss_.extras(path, c.extras)) return false;
    w_.StartObject();
    w_.Key("functionCall");
    w_.StartObject();
    if (!c.id.empty()) {
      w_.Key("id");
      write_string(w_, c.id);
    }
    w_.Key("name");
    write_string(w_, c.name);
    w_.Key("args");
    detail::write_raw(w_, *args);
    w_.EndObject();
    w_.EndObject();
    return true;
  }

  // The name of the call a tool result answers: the nearest earlier assistant call with its id.
  const tool_call* answered_call(const message& m, std::size_t i) const {
    for (std::size_t k = i; k-- > 0;) {
      for (const auto& c : req_.messages[k].tool_calls) {
        if (c.id == m.tool_call_id) return &c;
      }
    }
    return nullptr;
  }

  bool function_response(const message& m, std::size_t i) {
    const auto path = detail::message_path(m, i);
    const tool_call* call = answered_call(m, i);
    if (call == nullptr) {
      const auto at = join(path, m.source.empty() ? "tool_call_id" : "tool_use_id");
      loss_.error = make_error(gateway_error::bad_request,
                               "`" + at +
                                   "` matches no earlier tool call; Gemini needs the "
                                   "name of the function a result answers.",
                               at);
      return false;
    }
    std::string text;
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      const auto& p = m.content[j];
      if (p.kind != part_kind::text) {
        if (!loss_.unsupported(detail::part_path(m, i, j), "Gemini function results are text"))
          return false;
        continue;
      }
      if (!loss_.extras(detail::part_path(m, i, j), p.extras)) return false;
      if (!text.empty() && !p.text.empty()) text.push_back('\n');
      text.append(p.text);
    }
    w_.StartObject();
    w_.Key("functionResponse");
    w_.StartObject();
    if (!m.tool_call_id.empty()) {
      w_.Key("id");
      write_string(w_, m.tool_call_id);
    }
    w_.Key("name");
    write_string(w_, call->name);
    w_.Key("response");
    w_.StartObject();
    w_.Key(m.is_error.value_or(false) ? "error" : "output");
    write_string(w_, text);
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    return true;
  }

  bool tools() {
    bool open = false;
    for (std::size_t k = 0; k < req_.tools.size(); ++k) {
      const auto& t = req_.tools[k];
      const auto path = index("tools", k);
      if (!t.raw.empty()) {
        if (!loss_.unsupported(path, "a tool type only its own provider runs")) return false;
        continue;
      }
      if (t.strict.value_or(false) && !loss_.unsupported(join(join(path, "function"), "strict"),
                                                         "Gemini has no strict tool schemas")) {
        return false;
      }
      if (!loss_.extras(path, t.extras)) return false;
      if (!open) {
        w_.Key("tools");
        w_.StartArray();
        w_.StartObject();
        w_.Key("functionDeclarations");
        w_.StartArray();
        open = true;
      }
      w_.StartObject();
      w_.Key("name");
      write_string(w_, t.name);
      if (!t.description.empty()) {
        w_.Key("description");
        write_string(w_, t.description);
      }
      if (!t.parameters.empty()) {
        w_.Key(opts_.openapi_schemas ? "parameters" : "parametersJsonSchema");
        detail::write_raw(w_, t.parameters);
      }
      w_.EndObject();
    }
    if (open) {
      w_.EndArray();
      w_.EndObject();
      w_.EndArray();
    }
    return true;
  }

  bool tool_config() {
    if (req_.parallel_tool_calls && !*req_.parallel_tool_calls) {
      const char* field = req_.origin == dialect::anthropic
                              ? "tool_choice.disable_parallel_tool_use"
                              : "parallel_tool_calls";
      if (!loss_.unsupported(field, "Gemini cannot be limited to one call per turn")) return false;
    }
    if (!req_.tool_choice || req_.tools.empty()) return true;
    const auto& c = *req_.tool_choice;
    if (c.mode == tool_choice_mode::opaque) {
      return loss_.unsupported("tool_choice", "no Gemini equivalent");
    }
    if (!loss_.extras("tool_choice", c.extras)) return false;
    w_.Key("toolConfig");
    w_.StartObject();
    w_.Key("functionCallingConfig");
    w_.StartObject();
    w_.Key("mode");
    switch (c.mode) {
      case tool_choice_mode::automatic:
        w_.String("AUTO");
        break;
      case tool_choice_mode::none:
        w_.String("NONE");
        break;
      case tool_choice_mode::required:
      case tool_choice_mode::opaque:
        w_.String("ANY");
        break;
      case tool_choice_mode::specific:
        w_.String("ANY");
        w_.Key("allowedFunctionNames");
        w_.StartArray();
        write_string(w_, c.name);
        w_.EndArray();
        break;
    }
    w_.EndObject();
    w_.EndObject();
    return true;
  }

  void number(bool& open, const char* name, const std::optional<double>& v) {
    if (!v) return;
    start(open);
    w_.Key(name);
    detail::write_number(w_, *v);
  }

  void start(bool& open) {
    if (open) return;
    w_.Key("generationConfig");
    w_.StartObject();
    open = true;
  }

  bool generation_config() {
    bool open = false;
    number(open, "temperature", req_.temperature);
    number(open, "topP", req_.top_p);
    if (req_.top_k) {
      start(open);
      w_.Key("topK");
      w_.Uint(*req_.top_k);
    }
    if (req_.max_tokens) {
      start(open);
      w_.Key("maxOutputTokens");
      w_.Uint(*req_.max_tokens);
    }
    if (!req_.stop.empty()) {
      start(open);
      w_.Key(("stopSequences"));
      w_.StartArray();
      for (const auto& s : req_.stop) write_string(w_, s);
      w_.EndArray();
    }
    if (req_.n) {
      start(open);
      w_.Key("candidateCount");
      w_.Uint(*req_.n);
    }
    if (req_.seed) {
      if (*req_.seed < std::numeric_limits<std::int32_t>::min() ||
          *req_.seed > std::numeric_limits<std::int32_t>::max()) {
        if (!loss_.unsupported("seed", "Gemini takes a 32-bit seed")) return false;
      } else {
        start(open);
        w_.Key("seed");
        w_.Int64(*req_.seed);
      }
    }
    number(open, "presencePenalty", req_.presence_penalty);
    number(open, "frequencyPenalty", req_.frequency_penalty);
    if (!format(open) || !thinking(open)) return false;
    if (open) w_.EndObject();
    return true;
  }

  bool format(bool& open) {
    if (!req_.response_format || req_.response_format->kind == response_format_kind::text) {
      return true;
    }
    const auto& f = *req_.response_format;
    if (!loss_.extras("response_format", f.extras)) return false;
    start(open);
    w_.Key("responseMimeType");
    w_.String("application/json");
    if (f.kind == response_format_kind::json_schema && !f.schema.empty()) {
      w_.Key(opts_.openapi_schemas ? "responseSchema" : "responseJsonSchema");
      detail::write_raw(w_, f.schema);
    }
    return true;
  }

  bool thinking(bool& open) {
    const auto& r = req_.reasoning;
    if (!loss_.extras("thinking", r.extras)) return false;
    std::optional<std::uint32_t> budget;
    if (r.thinking) {
      budget = *r.thinking ? r.budget_tokens.value_or(0) : 0;
    } else if (!r.effort.empty()) {
      budget = effort_budget(r.effort);
      if (!budget) {
        return loss_.unsupported("reasoning_effort", "an effort Gemini has no thinking budget for");
      }
    }
    if (!budget) return true;
    start(open);
    w_.Key("thinkingConfig");
    w_.StartObject();
    w_.Key("thinkingBudget");
    w_.Uint(*budget);
    if (*budget > 0) {
      w_.Key("includeThoughts");
      w_.Bool(true);
    }
    w_.EndObject();
    return true;
  }

  const canonical_request& req_;
  const gemini_encode_options& opts_;
  json_writer& w_;
  detail::loss_tracker loss_;
};

bool unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string gemini_request_path(std::string_view model, bool stream, std::string_view api_version) {
  constexpr std::string_view prefix = "models/";
  if (model.substr(0, prefix.size()) == prefix) model.remove_prefix(prefix.size());
  std::string path;
  path.reserve(model.size() + api_version.size() + 48);
  if (!api_version.empty()) path.append("/").append(api_version);
  path.append("/models/");
  constexpr char hex[] = "0123456789ABCDEF";
  for (const char c : model) {
    if (unreserved(c)) {
      path.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      path.push_back('%');
      path.push_back(hex[u >> 4]);
      path.push_back(hex[u & 15]);
    }
  }
  path.append(stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  return path;
}

result<gemini_request, error_info> encode_gemini_request(const canonical_request& req,
                                                         std::string_view upstream_model,
                                                         const gemini_encode_options& opts) {
  rapidjson::StringBuffer buf(nullptr, 2048);
  json_writer w(buf);
  gemini_request_encoder enc(req, opts, w);
  if (!enc.encode()) return std::move(*enc.loss().error);
  return gemini_request{gemini_request_path(upstream_model, req.stream, opts.api_version),
                        detail::to_string(buf), std::move(enc.loss().dropped)};
}

}  // namespace switchyard::protocols
