// Canonical request -> Anthropic Messages request, and the Anthropic passthrough encoder.
#include "protocols/anthropic_codec.hpp"
#include "protocols/anthropic_detail.hpp"
#include "protocols/codec_detail.hpp"

namespace switchyard::protocols {

namespace {

using detail::index;
using detail::join;
using detail::json_writer;
using detail::write_string;

bool is_system(const message& m) noexcept {
  return m.role == message_role::system || m.role == message_role::developer;
}

class anthropic_request_encoder {
 public:
  anthropic_request_encoder(const canonical_request& req, const anthropic_encode_options& opts,
                            json_writer& w)
      : req_(req),
        opts_(opts),
        w_(w),
        same_(req.origin == dialect::anthropic),
        loss_(opts.drop_unsupported, dialect::anthropic) {}

  bool encode(std::string_view model) {
    w_.StartObject();
    w_.Key("model");
    detail::write_string(w_, model);
    const std::uint32_t max_tokens = req_.max_tokens.value_or(opts_.default_max_tokens);
    w_.Key("max_tokens");
    w_.Uint(max_tokens);
    if (!system() || !messages() || !sampling() || !tools() || !choice()) return false;
    if (!thinking(max_tokens) || !metadata()) return false;
    if (same_) {
      detail::write_extras(w_, req_.extras);
    } else if (!loss_.extras("stream_options", req_.stream_options_extras) ||
               !loss_.extras({}, req_.extras)) {
      return false;
    }
    w_.EndObject();
    return true;
  }

  detail::loss_tracker& loss() { return loss_; }

 private:
  bool part_extras(const message& m, std::size_t i, std::size_t j) {
    return same_ || loss_.extras(detail::part_path(m, i, j), m.content[j].extras);
  }

  bool system() {
    std::vector<std::size_t> list;
    std::size_t text_parts = 0;
    bool any_extras = false;
    for (std::size_t i = 0; i < req_.messages.size(); ++i) {
      const auto& m = req_.messages[i];
      if (!is_system(m)) continue;
      list.push_back(i);
      for (const auto& p : m.content) {
        ++text_parts;
        any_extras = any_extras || !p.extras.empty() || p.kind != part_kind::text;
      }
    }
    if (list.empty()) return true;
    w_.Key("system");
    const bool as_string = same_ ? req_.messages[list[0]].form == content_form::string
                                 : text_parts <= 1 && !any_extras;
    if (as_string && list.size() == 1) {
      const auto& m = req_.messages[list[0]];
      write_string(w_, m.content.empty() ? std::string_view{} : m.content[0].text);
      return same_ || system_message_loss(m, list[0]);
    }
    w_.StartArray();
    for (const auto i : list) {
      const auto& m = req_.messages[i];
      if (!same_ && !system_message_loss(m, i)) return false;
      for (std::size_t j = 0; j < m.content.size(); ++j) {
        const auto& p = m.content[j];
        if (!same_ && p.kind != part_kind::text) {
          if (!loss_.unsupported(detail::part_path(m, i, j), "Anthropic system prompts are text"))
            return false;
          continue;
        }
        if (!part_extras(m, i, j)) return false;
        anthropic_detail::write_block(w_, p, same_);
      }
    }
    w_.EndArray();
    return true;
  }

  bool system_message_loss(const message& m, std::size_t i) {
    const auto path = detail::message_path(m, i);
    if (!m.name.empty() && !loss_.unsupported(join(path, "name"), "Anthropic has no names"))
      return false;
    return loss_.extras(path, m.extras);
  }

  // Canonical messages -> Anthropic turns: a message joins the turn before it when it says so
  // (same dialect) or when it is one more tool result after a tool result (other dialects).
  bool joins(const message& prev, const message& m) const {
    if (same_) return m.joins_previous;
    return m.role == message_role::tool && prev.role == message_role::tool;
  }

  bool messages() {
    w_.Key("messages");
    w_.StartArray();
    std::size_t i = 0;
    const auto n = req_.messages.size();
    while (i < n) {
      if (is_system(req_.messages[i])) {
        ++i;
        continue;
      }
      std::size_t end = i + 1;
      while (end < n && !is_system(req_.messages[end]) &&
             joins(req_.messages[end - 1], req_.messages[end])) {
        ++end;
      }
      if (!turn(i, end)) return false;
      i = end;
    }
    w_.EndArray();
    return true;
  }

  bool turn(std::size_t begin, std::size_t end) {
    const auto& first = req_.messages[begin];
    w_.StartObject();
    w_.Key("role");
    w_.String(first.role == message_role::assistant ? "assistant" : "user");
    w_.Key("content");
    const bool single = end == begin + 1 && first.role != message_role::tool;
    if (single && as_string(first)) {
      write_string(w_, first.content.empty() ? std::string_view{} : first.content[0].text);
    } else {
      w_.StartArray();
      for (std::size_t i = begin; i < end; ++i) {
        if (!blocks(req_.messages[i], i)) return false;
      }
      w_.EndArray();
    }
    if (first.role != message_role::tool) {
      const auto path = detail::message_path(first, begin);
      if (same_) {
        detail::write_extras(w_, first.extras);
      } else if (!loss_.extras(path, first.extras)) {
        return false;
      }
      if (!first.name.empty() && !loss_.unsupported(join(path, "name"), "Anthropic has no names"))
        return false;
    }
    w_.EndObject();
    return true;
  }

  bool as_string(const message& m) const {
    if (same_) return m.form == content_form::string;
    if (!m.tool_calls.empty() || m.content.size() != 1) return false;
    return m.content[0].kind == part_kind::text && m.content[0].extras.empty();
  }

  bool blocks(const message& m, std::size_t i) {
    if (m.role == message_role::tool) return tool_result(m, i);
    std::size_t next_call = 0;
    for (std::size_t j = 0; j <= m.content.size(); ++j) {
      while (next_call < m.tool_calls.size() && m.tool_calls[next_call].position <= j) {
        if (!tool_use(m, i, next_call++)) return false;
      }
      if (j == m.content.size()) break;
      if (!block(m, i, j)) return false;
    }
    while (next_call < m.tool_calls.size()) {
      if (!tool_use(m, i, next_call++)) return false;
    }
    return true;
  }

  bool block(const message& m, std::size_t i, std::size_t j) {
    const auto& p = m.content[j];
    const auto path = detail::part_path(m, i, j);
    if (!same_) {
      switch (p.kind) {
        case part_kind::opaque:
          return loss_.unsupported(path, "this kind of content part has no Anthropic equivalent");
        case part_kind::thinking:
        case part_kind::redacted_thinking:
          // Anthropic only takes back thinking it signed itself.
          return loss_.unsupported(path, "unsigned reasoning cannot be sent to Anthropic");
        case part_kind::text:
          if (p.text.empty()) return loss_.extras(path, p.extras);  // Anthropic rejects empty text
          break;
        case part_kind::image_url:
        case part_kind::image_base64:
          if (!p.detail.empty() && p.detail != "auto" &&
              !loss_.unsupported(join(join(path, "image_url"), "detail"),
                                 "Anthropic has no image detail setting")) {
            return false;
          }
          break;
      }
      if (!loss_.extras(path, p.extras)) return false;
    }
    anthropic_detail::write_block(w_, p, same_);
    return true;
  }

  bool tool_use(const message& m, std::size_t i, std::size_t t) {
    const auto& c = m.tool_calls[t];
    const auto path = detail::call_path(m, i, t);
    const auto input = anthropic_detail::input_object(c.arguments);
    if (!input) {
      const auto at = same_ ? join(path, "input") : join(join(path, "function"), "arguments");
      loss_.error = make_error(gateway_error::bad_request,
                               "`" + at + "` must be a JSON object for an Anthropic provider.", at);
      return false;
    }
    if (!same_ && !loss_.extras(path, c.extras)) return false;
    anthropic_detail::write_tool_use(w_, c, *input, same_);
    return true;
  }

  bool tool_result(const message& m, std::size_t i) {
    const auto path = detail::message_path(m, i);
    if (!same_) {
      if (!m.name.empty() && !loss_.unsupported(join(path, "name"), "Anthropic has no names"))
        return false;
      if (!loss_.extras(path, m.extras)) return false;
    }
    w_.StartObject();
    w_.Key("type");
    w_.String("tool_result");
    w_.Key("tool_use_id");
    write_string(w_, m.tool_call_id);
    const bool string_form = same_ ? m.form == content_form::string
                                   : m.content.empty() || (m.content.size() == 1 &&
                                                           m.content[0].kind == part_kind::text &&
                                                           m.content[0].extras.empty());
    if (same_ && m.form == content_form::absent) {
      // no content member
    } else if (string_form) {
      w_.Key("content");
      write_string(w_, m.content.empty() ? std::string_view{} : m.content[0].text);
    } else {
      w_.Key("content");
      w_.StartArray();
      for (std::size_t j = 0; j < m.content.size(); ++j) {
        if (!block(m, i, j)) return false;
      }
      w_.EndArray();
    }
    if (m.is_error) {
      w_.Key("is_error");
      w_.Bool(*m.is_error);
    }
    if (same_) detail::write_extras(w_, m.extras);
    w_.EndObject();
    return true;
  }

  bool sampling() {
    if (!req_.stop.empty()) {
      w_.Key("stop_sequences");
      w_.StartArray();
      for (const auto& s : req_.stop) write_string(w_, s);
      w_.EndArray();
    }
    if (req_.temperature) {
      if (!same_ && (*req_.temperature > 1.0 || *req_.temperature < 0.0)) {
        if (!loss_.unsupported("temperature", "Anthropic accepts a temperature from 0 to 1"))
          return false;
      } else {
        w_.Key("temperature");
        detail::write_number(w_, *req_.temperature);
      }
    }
    if (req_.top_p) {
      w_.Key("top_p");
      detail::write_number(w_, *req_.top_p);
    }
    if (req_.top_k) {
      w_.Key("top_k");
      w_.Uint(*req_.top_k);
    }
    if (req_.stream) {
      w_.Key("stream");
      w_.Bool(true);
    }
    if (req_.n && *req_.n > 1 &&
        !loss_.unsupported("n", "Anthropic generates one answer per request")) {
      return false;
    }
    if (req_.seed && !loss_.unsupported("seed", "Anthropic has no sampling seed")) return false;
    for (const auto& [name, v] : {std::pair{"frequency_penalty", req_.frequency_penalty},
                                  std::pair{"presence_penalty", req_.presence_penalty}}) {
      if (v && *v != 0.0 && !loss_.unsupported(name, "Anthropic has no repetition penalties"))
        return false;
    }
    if (req_.response_format && req_.response_format->kind != response_format_kind::text &&
        !loss_.unsupported("response_format", "Anthropic has no JSON output mode")) {
      return false;
    }
    return true;
  }

  bool tools() {
    if (req_.tools.empty()) return true;
    w_.Key("tools");
    w_.StartArray();
    for (std::size_t k = 0; k < req_.tools.size(); ++k) {
      const auto& t = req_.tools[k];
      const auto path = index("tools", k);
      if (!t.raw.empty()) {
        if (same_) {
          detail::write_raw(w_, t.raw);
        } else if (!loss_.unsupported(path, "a tool type only its own provider runs")) {
          return false;
        }
        continue;
      }
      if (!same_) {
        if (t.strict.value_or(false) &&
            !loss_.unsupported(join(join(path, "function"), "strict"),
                               "Anthropic has no strict tool schemas")) {
          return false;
        }
        if (!loss_.extras(path, t.extras)) return false;
      }
      w_.StartObject();
      w_.Key("name");
      write_string(w_, t.name);
      if (!t.description.empty()) {
        w_.Key("description");
        write_string(w_, t.description);
      }
      w_.Key("input_schema");
      detail::write_raw(w_, t.parameters.empty()
                                ? std::string_view(R"({"type":"object","properties":{}})")
                                : std::string_view(t.parameters));
      if (same_) detail::write_extras(w_, t.extras);
      w_.EndObject();
    }
    w_.EndArray();
    return true;
  }

  bool choice() {
    const auto& c = req_.tool_choice;
    const bool no_parallel = req_.parallel_tool_calls && !*req_.parallel_tool_calls;
    // Without tools a choice is moot, and Anthropic refuses one.
    if (!same_ && req_.tools.empty()) return true;
    if (!c) {
      if (!no_parallel) return true;
      w_.Key("tool_choice");
      w_.StartObject();
      w_.Key("type");
      w_.String("auto");
      w_.Key("disable_parallel_tool_use");
      w_.Bool(true);
      w_.EndObject();
      return true;
    }
    if (c->mode == tool_choice_mode::opaque) {
      return loss_.unsupported("tool_choice", "no Anthropic equivalent");
    }
    if (!same_ && !loss_.extras("tool_choice", c->extras)) return false;
    w_.Key("tool_choice");
    w_.StartObject();
    w_.Key("type");
    switch (c->mode) {
      case tool_choice_mode::automatic:
        w_.String("auto");
        break;
      case tool_choice_mode::none:
        w_.String("none");
        break;
      case tool_choice_mode::required:
        w_.String("any");
        break;
      case tool_choice_mode::specific:
      case tool_choice_mode::opaque:
        w_.String("tool");
        w_.Key("name");
        write_string(w_, c->name);
        break;
    }
    if (req_.parallel_tool_calls && (same_ || no_parallel)) {
      w_.Key("disable_parallel_tool_use");
      w_.Bool(!*req_.parallel_tool_calls);
    }
    if (same_) detail::write_extras(w_, c->extras);
    w_.EndObject();
    return true;
  }

  bool thinking(std::uint32_t max_tokens) {
    const auto& r = req_.reasoning;
    if (r.thinking) {
      w_.Key("thinking");
      w_.StartObject();
      w_.Key("type");
      w_.String(*r.thinking ? "enabled" : "disabled");
      if (r.budget_tokens) {
        w_.Key("budget_tokens");
        w_.Uint(*r.budget_tokens);
      }
      if (same_) detail::write_extras(w_, r.extras);
      w_.EndObject();
      return same_ || loss_.extras("thinking", r.extras);
    }
    if (r.effort.empty()) return true;
    const auto budget = effort_budget(r.effort);
    if (!budget) {
      return loss_.unsupported("reasoning_effort",
                               "an effort Anthropic has no thinking budget for");
    }
    if (*budget == 0) return true;  // no thinking: Anthropic's default
    // Anthropic needs max_tokens > budget_tokens >= 1024.
    const std::uint32_t fitted = std::min(*budget, max_tokens > 0 ? max_tokens - 1 : 0);
    if (fitted < 1024) {
      return loss_.unsupported("reasoning_effort",
                               "Anthropic thinking needs max_tokens above 1024");
    }
    w_.Key("thinking");
    w_.StartObject();
    w_.Key("type");
    w_.String("enabled");
    w_.Key("budget_tokens");
    w_.Uint(fitted);
    w_.EndObject();
    return true;
  }

  bool metadata() {
    if (!req_.user && req_.metadata_extras.empty()) return true;
    w_.Key("metadata");
    w_.StartObject();
    if (req_.user) {
      w_.Key("user_id");
      write_string(w_, *req_.user);
    }
    if (same_) detail::write_extras(w_, req_.metadata_extras);
    w_.EndObject();
    return same_ || loss_.extras("metadata", req_.metadata_extras);
  }

  const canonical_request& req_;
  const anthropic_encode_options& opts_;
  json_writer& w_;
  bool same_;
  detail::loss_tracker loss_;
};

}  // namespace

result<encoded_body, error_info> encode_anthropic_request(const canonical_request& req,
                                                          std::string_view upstream_model,
                                                          const anthropic_encode_options& opts) {
  rapidjson::StringBuffer buf(nullptr, 2048);
  json_writer w(buf);
  anthropic_request_encoder enc(req, opts, w);
  if (!enc.encode(upstream_model)) return std::move(*enc.loss().error);
  return encoded_body{detail::to_string(buf), std::move(enc.loss().dropped)};
}

std::string encode_anthropic_passthrough(const canonical_request& req,
                                         std::string_view upstream_model,
                                         std::optional<std::uint32_t> max_tokens_cap) {
  if (!req.original || !req.original->IsObject()) return {};
  rapidjson::StringBuffer buf(nullptr, 2048);
  json_writer w(buf);
  w.StartObject();
  for (const auto& m : req.original->GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (detail::view(m.name) == "model") {
      write_string(w, upstream_model);
    } else if (max_tokens_cap && detail::view(m.name) == "max_tokens" && m.value.IsUint()) {
      w.Uint(std::min(m.value.GetUint(), *max_tokens_cap));
    } else {
      m.value.Accept(w);
    }
  }
  w.EndObject();
  return detail::to_string(buf);
}

}  // namespace switchyard::protocols
