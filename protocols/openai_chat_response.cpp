// OpenAI `chat.completion` bodies <-> canonical response: decoding an OpenAI-dialect upstream's
// answer, and encoding any upstream's answer for an OpenAI client.
#include "protocols/codec_detail.hpp"
#include "protocols/openai_chat_codec.hpp"

namespace switchyard::protocols {

namespace {

using detail::find;
using detail::index;
using detail::join;
using detail::json_writer;
using detail::view;
using detail::write_string;
using rapidjson::Value;

class openai_response_decoder {
 public:
  explicit openai_response_decoder(canonical_response& resp) : resp_(resp) {}

  bool decode(const Value& root) {
    resp_.origin = dialect::openai;
    if (!r_.string(root, "id", {}, resp_.id) || !r_.string(root, "model", {}, resp_.model)) {
      return false;
    }
    std::optional<std::int64_t> created;
    if (!r_.int64(root, "created", {}, created)) return false;
    resp_.created = created.value_or(0);
    const Value* choices = nullptr;
    if (!r_.array(root, "choices", {}, choices)) return false;
    if (choices == nullptr) return r_.fail("choices", "The upstream response has no `choices`.");
    for (rapidjson::SizeType i = 0; i < choices->Size(); ++i) {
      resp_.choices.emplace_back();
      if (!choice((*choices)[i], index("choices", i), resp_.choices.back())) return false;
    }
    const Value* u = nullptr;
    if (!r_.object(root, "usage", {}, u)) return false;
    if (u != nullptr) {
      resp_.usage = detail::read_openai_usage(*u);
      resp_.usage_raw = detail::to_json(*u);
    }
    detail::keep_unknown(root, {"id", "object", "created", "model", "choices", "usage"},
                         resp_.extras);
    return true;
  }

  error_info error() const { return *r_.error; }

 private:
  bool choice(const Value& c, const std::string& path, response_choice& out) {
    if (!c.IsObject()) return r_.fail(path, "`" + path + "` must be an object.");
    std::optional<std::uint32_t> idx;
    if (!r_.uint32(c, "index", path, idx)) return false;
    out.index = idx.value_or(static_cast<std::uint32_t>(resp_.choices.size() - 1));
    if (!r_.string(c, "finish_reason", path, out.raw_finish)) return false;
    out.finish = from_openai_finish(out.raw_finish);
    const Value* m = nullptr;
    if (!r_.object(c, "message", path, m)) return false;
    if (m != nullptr && !message_of(*m, join(path, "message"), out)) return false;
    detail::keep_unknown(c, {"index", "finish_reason", "message"}, out.extras);
    return true;
  }

  bool message_of(const Value& m, const std::string& path, response_choice& out) {
    std::string reasoning;
    if (!r_.string(m, "reasoning_content", path, reasoning)) return false;
    if (!reasoning.empty())
      out.content.push_back(detail::make_part(part_kind::thinking, reasoning));
    const auto content = m.FindMember("content");
    if (content == m.MemberEnd()) {
      out.form = content_form::absent;
    } else if (content->value.IsNull()) {
      out.form = content_form::null;
    } else if (content->value.IsString()) {
      out.form = content_form::string;
      out.content.push_back(detail::make_part(part_kind::text, std::string(view(content->value))));
    } else if (content->value.IsArray()) {
      out.form = content_form::parts;
      for (const auto& p : content->value.GetArray()) {
        const Value* text = find(p, "text");
        if (text != nullptr && text->IsString()) {
          out.content.push_back(detail::make_part(part_kind::text, std::string(view(*text))));
        } else {
          out.content.push_back(detail::make_part(part_kind::opaque, detail::to_json(p)));
        }
      }
    } else {
      const auto at = join(path, "content");
      return r_.fail(at, "`" + at + "` must be a string, an array or null.");
    }
    const Value* calls = nullptr;
    if (!r_.array(m, "tool_calls", path, calls)) return false;
    if (calls != nullptr) {
      const auto base = join(path, "tool_calls");
      for (rapidjson::SizeType t = 0; t < calls->Size(); ++t) {
        if (!call((*calls)[t], index(base, t), out)) return false;
      }
    }
    detail::keep_unknown(m, {"role", "content", "reasoning_content", "tool_calls"},
                         out.message_extras);
    return true;
  }

  bool call(const Value& c, const std::string& path, response_choice& out) {
    if (!c.IsObject()) return r_.fail(path, "`" + path + "` must be an object.");
    tool_call tc;
    const Value* fn = nullptr;
    if (!r_.string(c, "id", path, tc.id) || !r_.object(c, "function", path, fn)) return false;
    const auto fn_at = join(path, "function");
    if (fn == nullptr) return r_.fail(fn_at, "`" + fn_at + "` is missing.");
    if (!r_.string(*fn, "name", fn_at, tc.name, true) ||
        !r_.string(*fn, "arguments", fn_at, tc.arguments)) {
      return false;
    }
    detail::keep_unknown(c, {"id", "type", "function"}, tc.extras);
    detail::keep_unknown(*fn, {"name", "arguments"}, tc.extras, "function");
    out.tool_calls.push_back(std::move(tc));
    return true;
  }

  canonical_response& resp_;
  detail::reader r_{gateway_error::upstream_failed};
};

class openai_response_encoder {
 public:
  openai_response_encoder(const canonical_response& resp, json_writer& w)
      : resp_(resp), w_(w), same_(resp.origin == dialect::openai) {}

  void choice(const response_choice& c, std::size_t i) {
    const auto path = index("choices", i);
    w_.StartObject();
    w_.Key("index");
    w_.Uint(c.index);
    w_.Key("message");
    w_.StartObject();
    w_.Key("role");
    w_.String("assistant");
    std::string text;
    std::string thinking;
    bool any_text = false;
    bool any_thinking = false;
    for (std::size_t j = 0; j < c.content.size(); ++j) {
      const auto& p = c.content[j];
      if (p.kind == part_kind::text) {
        text.append(p.text);
        any_text = true;
      } else if (p.kind == part_kind::thinking) {
        thinking.append(p.text);
        any_thinking = true;
        if (!p.signature.empty()) dropped_.push_back(index(path + ".content", j) + ".signature");
      } else {
        dropped_.push_back(index(path + ".content", j));
      }
      if (!same_) {
        drop_extras(index(path + ".content", j), p.extras);
      }
    }
    w_.Key("content");
    if (any_text || (c.form != content_form::null && c.tool_calls.empty())) {
      write_string(w_, text);
    } else {
      w_.Null();
    }
    if (any_thinking) {
      w_.Key("reasoning_content");
      write_string(w_, thinking);
    }
    if (!c.tool_calls.empty()) calls(c);
    if (same_) {
      detail::write_extras(w_, c.message_extras);
    } else {
      w_.Key("refusal");
      w_.Null();
    }
    w_.EndObject();
    if (!same_) {
      w_.Key("logprobs");
      w_.Null();
    }
    w_.Key("finish_reason");
    if (same_ && !c.raw_finish.empty()) {
      write_string(w_, c.raw_finish);
    } else if (c.finish == finish_reason::none) {
      w_.Null();
    } else {
      write_string(w_, openai_finish_reason(c.finish));
    }
    if (same_) {
      detail::write_extras(w_, c.extras);
    } else {
      drop_extras(path, c.extras);
      drop_extras(path + ".message", c.message_extras);
      for (std::size_t t = 0; t < c.tool_calls.size(); ++t) {
        drop_extras(index(path + ".tool_calls", t), c.tool_calls[t].extras);
      }
    }
    w_.EndObject();
  }

  void calls(const response_choice& c) {
    w_.Key("tool_calls");
    w_.StartArray();
    for (const auto& t : c.tool_calls) {
      w_.StartObject();
      w_.Key("id");
      write_string(w_, t.id);
      w_.Key("type");
      w_.String("function");
      w_.Key("function");
      w_.StartObject();
      w_.Key("name");
      write_string(w_, t.name);
      w_.Key("arguments");
      write_string(w_, t.arguments);
      if (same_) detail::write_extras(w_, t.extras, "function");
      w_.EndObject();
      if (same_) detail::write_extras(w_, t.extras);
      w_.EndObject();
    }
    w_.EndArray();
  }

  void encode(const openai_response_options& opts) {
    w_.StartObject();
    w_.Key("id");
    write_string(w_, resp_.id.empty() ? opts.fallback_id : std::string_view(resp_.id));
    w_.Key("object");
    w_.String("chat.completion");
    w_.Key("created");
    w_.Int64(resp_.created != 0 ? resp_.created : opts.created);
    w_.Key("model");
    write_string(w_, opts.model.empty() ? std::string_view(resp_.model) : opts.model);
    w_.Key("choices");
    w_.StartArray();
    for (std::size_t i = 0; i < resp_.choices.size(); ++i) choice(resp_.choices[i], i);
    w_.EndArray();
    if (same_ && !resp_.usage_raw.empty()) {
      w_.Key("usage");
      detail::write_raw(w_, resp_.usage_raw);
    } else if (resp_.usage.reported) {
      w_.Key("usage");
      detail::write_openai_usage(w_, resp_.usage);
    }
    if (same_) {
      detail::write_extras(w_, resp_.extras);
    } else {
      drop_extras({}, resp_.extras);
    }
    w_.EndObject();
  }

  std::vector<std::string>& dropped() { return dropped_; }

 private:
  // Lists kept members OpenAI has no place for (a null asked for nothing).
  void drop_extras(const std::string& base, const extra_members& xs) {
    for (const auto& x : xs) {
      if (x.json != "null") dropped_.push_back(join(base, x.key));
    }
  }

  const canonical_response& resp_;
  json_writer& w_;
  bool same_;
  std::vector<std::string> dropped_;
};

}  // namespace

result<canonical_response, error_info> decode_openai_chat_response(std::string_view body) {
  rapidjson::Document doc;
  if (auto e = detail::parse_object(body, doc, gateway_error::upstream_failed,
                                    "The upstream's response body")) {
    return std::move(*e);
  }
  canonical_response resp;
  openai_response_decoder decoder(resp);
  if (!decoder.decode(doc)) return decoder.error();
  return resp;
}

result<encoded_body, error_info> encode_openai_chat_response(const canonical_response& resp,
                                                             const openai_response_options& opts) {
  rapidjson::StringBuffer buf(nullptr, 1024);
  json_writer w(buf);
  openai_response_encoder enc(resp, w);
  enc.encode(opts);
  return encoded_body{detail::to_string(buf), std::move(enc.dropped())};
}

}  // namespace switchyard::protocols
