// Anthropic Messages responses <-> canonical response, and the Anthropic stream error event.
#include "protocols/anthropic_codec.hpp"
#include "protocols/anthropic_detail.hpp"
#include "protocols/codec_detail.hpp"

namespace switchyard::protocols {

namespace {

using detail::index;
using detail::join;
using detail::json_writer;
using detail::write_string;
using rapidjson::Value;

class anthropic_response_decoder {
 public:
  explicit anthropic_response_decoder(canonical_response& resp) : resp_(resp) {}

  bool decode(const Value& root) {
    resp_.origin = dialect::anthropic;
    response_choice c;
    c.form = content_form::parts;
    if (!r_.string(root, "id", {}, resp_.id) || !r_.string(root, "model", {}, resp_.model) ||
        !r_.string(root, "stop_reason", {}, c.raw_finish) ||
        !r_.opt_string(root, "stop_sequence", {}, c.stop_sequence)) {
      return false;
    }
    c.finish = from_anthropic_stop(c.raw_finish);
    const Value* content = nullptr;
    if (!r_.array(root, "content", {}, content)) return false;
    if (content == nullptr) return r_.fail("content", "The upstream response has no `content`.");
    for (rapidjson::SizeType j = 0; j < content->Size(); ++j) {
      const Value& b = (*content)[j];
      const auto at = index("content", j);
      if (anthropic_detail::type_of(b) == "tool_use") {
        tool_call t;
        if (!anthropic_detail::tool_use(r_, b, at, t)) return false;
        t.position = static_cast<std::uint32_t>(c.content.size());
        c.tool_calls.push_back(std::move(t));
        continue;
      }
      content_part p;
      if (!anthropic_detail::block(r_, b, at, p)) return false;
      c.content.push_back(std::move(p));
    }
    const Value* u = nullptr;
    if (!r_.object(root, "usage", {}, u)) return false;
    if (u != nullptr) {
      resp_.usage = anthropic_detail::read_usage(*u);
      resp_.usage_raw = detail::to_json(*u);
    }
    detail::keep_unknown(
        root, {"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"},
        resp_.extras);
    resp_.choices.push_back(std::move(c));
    return true;
  }

  error_info error() const { return *r_.error; }

 private:
  canonical_response& resp_;
  detail::reader r_{gateway_error::upstream_failed};
};

class anthropic_response_encoder {
 public:
  anthropic_response_encoder(const canonical_response& resp, json_writer& w)
      : resp_(resp), w_(w), same_(resp.origin == dialect::anthropic) {}

  bool encode(const anthropic_response_options& opts) {
    w_.StartObject();
    w_.Key("id");
    write_string(w_, resp_.id.empty() ? opts.fallback_id : std::string_view(resp_.id));
    w_.Key("type");
    w_.String("message");
    w_.Key("role");
    w_.String("assistant");
    w_.Key("model");
    write_string(w_, opts.model.empty() ? std::string_view(resp_.model) : opts.model);
    w_.Key("content");
    w_.StartArray();
    const response_choice* c = resp_.choices.empty() ? nullptr : &resp_.choices[0];
    if (c != nullptr && !content(*c)) return false;
    w_.EndArray();
    w_.Key("stop_reason");
    if (c == nullptr || c->finish == finish_reason::none) {
      w_.Null();
    } else if (same_ && !c->raw_finish.empty()) {
      write_string(w_, c->raw_finish);
    } else {
      write_string(w_, anthropic_stop_reason(c->finish));
    }
    w_.Key("stop_sequence");
    if (c != nullptr && c->stop_sequence) {
      write_string(w_, *c->stop_sequence);
    } else {
      w_.Null();
    }
    w_.Key("usage");
    if (same_ && !resp_.usage_raw.empty()) {
      detail::write_raw(w_, resp_.usage_raw);
    } else {
      anthropic_detail::write_usage(w_, resp_.usage);
    }
    if (same_) {
      detail::write_extras(w_, resp_.extras);
    } else {
      drop_extras({}, resp_.extras);
      if (c != nullptr) {
        drop_extras("choices[0]", c->extras);
        drop_extras("choices[0].message", c->message_extras);
      }
    }
    for (std::size_t i = 1; i < resp_.choices.size(); ++i) dropped_.push_back(index("choices", i));
    w_.EndObject();
    return true;
  }

  std::vector<std::string>& dropped() { return dropped_; }
  std::optional<error_info> error;

 private:
  // Lists kept members Anthropic has no place for (a null asked for nothing).
  void drop_extras(const std::string& base, const extra_members& xs) {
    for (const auto& x : xs) {
      if (x.json != "null") dropped_.push_back(join(base, x.key));
    }
  }

  bool content(const response_choice& c) {
    std::size_t next_call = 0;
    for (std::size_t j = 0; j <= c.content.size(); ++j) {
      while (next_call < c.tool_calls.size() && c.tool_calls[next_call].position <= j) {
        if (!tool_use(c, next_call++)) return false;
      }
      if (j == c.content.size()) break;
      const auto& p = c.content[j];
      if (!same_ && p.kind == part_kind::text && p.text.empty()) continue;
      if (!same_ && p.kind == part_kind::opaque) {
        dropped_.push_back(index("choices[0].content", j));
        continue;
      }
      if (!same_) {
        drop_extras(index("choices[0].content", j), p.extras);
      }
      if (!same_ && p.kind == part_kind::thinking && !p.signature.empty()) {
        // Another provider's signature means nothing to Anthropic: the client gets none.
        content_part unsigned_part = p;
        unsigned_part.signature.clear();
        dropped_.push_back(index("choices[0].content", j) + ".signature");
        anthropic_detail::write_block(w_, unsigned_part, false);
        continue;
      }
      anthropic_detail::write_block(w_, p, same_);
    }
    while (next_call < c.tool_calls.size()) {
      if (!tool_use(c, next_call++)) return false;
    }
    return true;
  }

  bool tool_use(const response_choice& c, std::size_t t) {
    const auto& call = c.tool_calls[t];
    const auto input = anthropic_detail::input_object(call.arguments);
    if (!input) {
      const auto at = index("choices[0].message.tool_calls", t) + ".function.arguments";
      error = make_error(gateway_error::upstream_failed,
                         "The upstream returned tool call arguments that are not a JSON object (`" +
                             at + "`), so they cannot be given to an Anthropic client.",
                         at);
      return false;
    }
    if (!same_) {
      drop_extras(index("choices[0].tool_calls", t), call.extras);
    }
    anthropic_detail::write_tool_use(w_, call, *input, same_);
    return true;
  }

  const canonical_response& resp_;
  json_writer& w_;
  bool same_;
  std::vector<std::string> dropped_;
};

}  // namespace

result<canonical_response, error_info> decode_anthropic_response(std::string_view body) {
  rapidjson::Document doc;
  if (auto e = detail::parse_object(body, doc, gateway_error::upstream_failed,
                                    "The upstream's response body")) {
    return std::move(*e);
  }
  canonical_response resp;
  anthropic_response_decoder decoder(resp);
  if (!decoder.decode(doc)) return decoder.error();
  return resp;
}

result<encoded_body, error_info> encode_anthropic_response(const canonical_response& resp,
                                                           const anthropic_response_options& opts) {
  rapidjson::StringBuffer buf(nullptr, 1024);
  json_writer w(buf);
  anthropic_response_encoder enc(resp, w);
  if (!enc.encode(opts)) return std::move(*enc.error);
  return encoded_body{detail::to_string(buf), std::move(enc.dropped())};
}

std::string anthropic_stream_error_event(const error_info& e) {
  std::string out = "event: error\ndata: ";
  out.append(anthropic_error_body(e)).append("\n\n");
  return out;
}

}  // namespace switchyard::protocols
