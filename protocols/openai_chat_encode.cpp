// Canonical request -> OpenAI chat completions request. From an OpenAI origin every field is
// written back as it came; from another dialect what OpenAI cannot honour is refused or dropped.
#include "protocols/codec_detail.hpp"
#include "protocols/openai_chat_codec.hpp"

namespace switchyard::protocols {

namespace {

using detail::json_writer;
using detail::write_key;
using detail::write_string;

std::string_view role_name(message_role r) noexcept {
  switch (r) {
    case message_role::system:
      return "system";
    case message_role::developer:
      return "developer";
    case message_role::user:
      return "user";
    case message_role::assistant:
      return "assistant";
    case message_role::tool:
      return "tool";
  }
  return "user";
}

bool is_reasoning(const content_part& p) noexcept {
  return p.kind == part_kind::thinking || p.kind == part_kind::redacted_thinking;
}

class openai_request_encoder {
 public:
  openai_request_encoder(const canonical_request& req, const openai_encode_options& opts,
                         json_writer& w)
      : req_(req),
        opts_(opts),
        w_(w),
        same_(req.origin == dialect::openai),
        loss_(opts.drop_unsupported, dialect::openai) {}

  bool encode(std::string_view model) {
    w_.StartObject();
    w_.Key("model");
    write_string(w_, model);
    w_.Key("messages");
    w_.StartArray();
    for (std::size_t i = 0; i < req_.messages.size(); ++i) {
      if (!one_message(req_.messages[i], i)) return false;
    }
    w_.EndArray();
    if (!scalars() || !tools() || !choice() || !format() || !reasoning()) return false;
    if (same_) {
      detail::write_extras(w_, req_.extras);
    } else if (!loss_.extras("metadata", req_.metadata_extras) || !loss_.extras({}, req_.extras)) {
      return false;
    }
    w_.EndObject();
    return true;
  }

  detail::loss_tracker& loss() { return loss_; }

 private:
  bool extras(const std::string& path, const extra_members& xs, std::string_view within = {}) {
    if (same_) {
      detail::write_extras(w_, xs, within);
      return true;
    }
    return within.empty() ? loss_.extras(path, xs)
                          : true;  // nested ones are checked with the owner
  }

  bool one_message(const message& m, std::size_t i) {
    const auto path = detail::message_path(m, i);
    w_.StartObject();
    w_.Key("role");
    write_string(w_, role_name(m.role));
    if (!m.name.empty()) {
      w_.Key("name");
      write_string(w_, m.name);
    }
    if (!reasoning_content(m, i) || !content(m, i)) return false;
    if (!m.tool_calls.empty()) {
      w_.Key("tool_calls");
      w_.StartArray();
      for (std::size_t t = 0; t < m.tool_calls.size(); ++t) {
        if (!one_call(m, i, t)) return false;
      }
      w_.EndArray();
    }
    if (m.role == message_role::tool) {
      w_.Key("tool_call_id");
      write_string(w_, m.tool_call_id);
      if (m.is_error.value_or(false) &&
          !loss_.unsupported(detail::join(path, "is_error"),
                             "OpenAI tool messages cannot be marked as errors")) {
        return false;
      }
    }
    if (!extras(path, m.extras)) return false;
    w_.EndObject();
    return true;
  }

  // Thinking in the history: OpenAI-dialect servers that return `reasoning_content` take it back
  // the same way; Anthropic thinking (signed) and redacted thinking have no OpenAI equivalent.
  bool reasoning_content(const message& m, std::size_t i) {
    std::string text;
    bool any = false;
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      const auto& p = m.content[j];
      if (!is_reasoning(p)) continue;
      if (!same_) {
        if (!loss_.unsupported(detail::part_path(m, i, j),
                               "OpenAI has no thinking blocks in the conversation history")) {
          return false;
        }
        continue;
      }
      text.append(p.text);
      any = true;
    }
    if (any) {
      w_.Key("reasoning_content");
      write_string(w_, text);
    }
    return true;
  }

  bool content(const message& m, std::size_t i) {
    std::vector<std::size_t> parts;
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      if (!is_reasoning(m.content[j])) parts.push_back(j);
    }
    content_form form = m.form;
    if (!same_) form = cross_form(m, parts);
    switch (form) {
      case content_form::absent:
        return true;
      case content_form::null:
        w_.Key("content");
        w_.Null();
        return true;
      case content_form::string:
        if (parts.size() <= 1) {
          w_.Key("content");
          write_string(w_, parts.empty() ? std::string_view{} : m.content[parts[0]].text);
          return true;
        }
        break;
      case content_form::parts:
        break;
    }
    w_.Key("content");
    w_.StartArray();
    for (const auto j : parts) {
      if (!one_part(m, i, j)) return false;
    }
    w_.EndArray();
    return true;
  }

  // The idiomatic OpenAI form for content from another dialect.
  static content_form cross_form(const message& m, const std::vector<std::size_t>& parts) {
    if (parts.empty()) {
      return m.role == message_role::assistant && !m.tool_calls.empty() ? content_form::null
                                                                        : content_form::string;
    }
    if (parts.size() == 1) {
      const auto& p = m.content[parts[0]];
      if (p.kind == part_kind::text && p.extras.empty()) return content_form::string;
    }
    return content_form::parts;
  }

  bool one_part(const message& m, std::size_t i, std::size_t j) {
    const auto& p = m.content[j];
    const auto path = detail::part_path(m, i, j);
    if (p.kind == part_kind::opaque) {
      if (same_) {
        detail::write_raw(w_, p.text);
        return true;
      }
      return loss_.unsupported(path, "this kind of content block has no OpenAI equivalent");
    }
    if (p.kind != part_kind::text && m.role == message_role::tool && !same_) {
      return loss_.unsupported(path, "OpenAI tool messages carry text only");
    }
    w_.StartObject();
    w_.Key("type");
    if (p.kind == part_kind::text) {
      w_.String("text");
      w_.Key("text");
      write_string(w_, p.text);
    } else {
      w_.String("image_url");
      w_.Key("image_url");
      w_.StartObject();
      w_.Key("url");
      if (p.kind == part_kind::image_base64) {
        const std::string url = "data:" + p.media_type + ";base64," + p.text;
        write_string(w_, url);
      } else {
        write_string(w_, p.text);
      }
      if (!p.detail.empty()) {
        w_.Key("detail");
        write_string(w_, p.detail);
      }
      if (!extras(path, p.extras, "image_url")) return false;
      w_.EndObject();
    }
    if (!extras(path, p.extras)) return false;
    w_.EndObject();
    return true;
  }

  bool one_call(const message& m, std::size_t i, std::size_t t) {
    const auto& c = m.tool_calls[t];
    const auto path = detail::call_path(m, i, t);
    w_.StartObject();
    w_.Key("id");
    write_string(w_, c.id);
    w_.Key("type");
    w_.String("function");
    w_.Key("function");
    w_.StartObject();
    w_.Key("name");
    write_string(w_, c.name);
    w_.Key("arguments");
    write_string(w_, c.arguments.empty() ? std::string_view("{}") : std::string_view(c.arguments));
    if (!extras(path, c.extras, "function")) return false;
    w_.EndObject();
    if (!extras(path, c.extras)) return false;
    w_.EndObject();
    return true;
  }

  bool scalars() {
    if (req_.stream) {
      w_.Key("stream");
      w_.Bool(true);
    }
    const bool want_usage = req_.stream && opts_.request_usage;
    if (want_usage || req_.include_usage || (same_ && !req_.stream_options_extras.empty())) {
      w_.Key("stream_options");
      w_.StartObject();
      if (same_) detail::write_extras(w_, req_.stream_options_extras);
      if (want_usage || req_.include_usage) {
        w_.Key("include_usage");
        w_.Bool(want_usage || *req_.include_usage);
      }
      w_.EndObject();
    }
    if (req_.max_tokens) {
      const bool legacy =
          same_ ? req_.max_tokens_name == max_tokens_field::max_tokens : opts_.legacy_max_tokens;
      w_.Key(legacy ? "max_tokens" : "max_completion_tokens");
      w_.Uint(*req_.max_tokens);
    }
    number("temperature", req_.temperature);
    number("top_p", req_.top_p);
    number("frequency_penalty", req_.frequency_penalty);
    number("presence_penalty", req_.presence_penalty);
    if (req_.n) {
      w_.Key("n");
      w_.Uint(*req_.n);
    }
    if (req_.seed) {
      w_.Key("seed");
      w_.Int64(*req_.seed);
    }
    if (req_.top_k && !loss_.unsupported("top_k", "OpenAI does not sample by top_k")) return false;
    if (!req_.stop.empty()) {
      w_.Key("stop");
      if (same_ && req_.stop_as_string && req_.stop.size() == 1) {
        write_string(w_, req_.stop[0]);
      } else {
        w_.StartArray();
        for (const auto& s : req_.stop) write_string(w_, s);
        w_.EndArray();
      }
    }
    if (req_.parallel_tool_calls) {
      w_.Key("parallel_tool_calls");
      w_.Bool(*req_.parallel_tool_calls);
    }
    if (req_.user) {
      w_.Key("user");
      write_string(w_, *req_.user);
    }
    return true;
  }

  void number(const char* name, const std::optional<double>& v) {
    if (!v) return;
    w_.Key(name);
    detail::write_number(w_, *v);
  }

  bool tools() {
    if (req_.tools.empty()) return true;
    w_.Key("tools");
    w_.StartArray();
    for (std::size_t k = 0; k < req_.tools.size(); ++k) {
      const auto& t = req_.tools[k];
      const auto path = detail::index("tools", k);
      if (!t.raw.empty()) {
        if (same_) {
          detail::write_raw(w_, t.raw);
          continue;
        }
        if (!loss_.unsupported(path, "a server-side tool only its own provider runs")) return false;
        continue;
      }
      w_.StartObject();
      w_.Key("type");
      w_.String("function");
      w_.Key("function");
      w_.StartObject();
      w_.Key("name");
      write_string(w_, t.name);
      if (!t.description.empty()) {
        w_.Key("description");
        write_string(w_, t.description);
      }
      if (!t.parameters.empty()) {
        w_.Key("parameters");
        detail::write_raw(w_, t.parameters);
      }
      if (t.strict) {
        w_.Key("strict");
        w_.Bool(*t.strict);
      }
      if (!extras(path, t.extras, "function")) return false;
      w_.EndObject();
      if (!extras(path, t.extras)) return false;
      w_.EndObject();
    }
    w_.EndArray();
    return true;
  }

  bool choice() {
    if (!req_.tool_choice) return true;
    const auto& c = *req_.tool_choice;
    if (c.mode == tool_choice_mode::opaque) {
      if (!same_) return loss_.unsupported("tool_choice", "no OpenAI equivalent");
      w_.Key("tool_choice");
      detail::write_raw(w_, c.raw);
      return true;
    }
    w_.Key("tool_choice");
    switch (c.mode) {
      case tool_choice_mode::automatic:
        w_.String("auto");
        break;
      case tool_choice_mode::none:
        w_.String("none");
        break;
      case tool_choice_mode::required:
        w_.String("required");
        break;
      case tool_choice_mode::specific:
      case tool_choice_mode::opaque:
        w_.StartObject();
        w_.Key("type");
        w_.String("function");
        w_.Key("function");
        w_.StartObject();
        w_.Key("name");
        write_string(w_, c.name);
        if (!extras("tool_choice", c.extras, "function")) return false;
        w_.EndObject();
        if (!extras("tool_choice", c.extras)) return false;
        w_.EndObject();
        return true;
    }
    return same_ || loss_.extras("tool_choice", c.extras);
  }

  bool format() {
    if (!req_.response_format) return true;
    const auto& f = *req_.response_format;
    w_.Key("response_format");
    w_.StartObject();
    w_.Key("type");
    if (f.kind == response_format_kind::text) {
      w_.String("text");
    } else if (f.kind == response_format_kind::json_object) {
      w_.String("json_object");
    } else {
      w_.String("json_schema");
      w_.Key("json_schema");
      w_.StartObject();
      w_.Key("name");
      write_string(w_, f.name);
      if (!f.description.empty()) {
        w_.Key("description");
        write_string(w_, f.description);
      }
      if (!f.schema.empty()) {
        w_.Key("schema");
        detail::write_raw(w_, f.schema);
      }
      if (f.strict) {
        w_.Key("strict");
        w_.Bool(*f.strict);
      }
      if (!extras("response_format", f.extras, "json_schema")) return false;
      w_.EndObject();
    }
    if (!extras("response_format", f.extras)) return false;
    w_.EndObject();
    return true;
  }

  bool reasoning() {
    const auto& r = req_.reasoning;
    if (!r.effort.empty()) {
      w_.Key("reasoning_effort");
      write_string(w_, r.effort);
    } else if (r.thinking.value_or(false)) {
      w_.Key("reasoning_effort");
      write_string(w_, budget_effort(r.budget_tokens.value_or(0)));
    }
    return same_ || loss_.extras("thinking", r.extras);
  }

  const canonical_request& req_;
  const openai_encode_options& opts_;
  json_writer& w_;
  bool same_;
  detail::loss_tracker loss_;
};

}  // namespace

result<encoded_body, error_info> encode_openai_chat_request(const canonical_request& req,
                                                            std::string_view upstream_model,
                                                            const openai_encode_options& opts) {
  rapidjson::StringBuffer buf(nullptr, 2048);
  json_writer w(buf);
  openai_request_encoder enc(req, opts, w);
  if (!enc.encode(upstream_model)) return std::move(*enc.loss().error);
  return encoded_body{detail::to_string(buf), std::move(enc.loss().dropped)};
}

}  // namespace switchyard::protocols
