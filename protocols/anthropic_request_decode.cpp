// Anthropic Messages request -> canonical request. Content blocks map onto canonical parts, tool
// calls and tool messages; anything without a canonical field is kept verbatim.
#include "protocols/anthropic_codec.hpp"
#include "protocols/anthropic_detail.hpp"
#include "protocols/codec_detail.hpp"

namespace switchyard::protocols {

namespace {

using detail::find;
using detail::index;
using detail::join;
using detail::view;
using rapidjson::Value;

class anthropic_request_decoder {
 public:
  anthropic_request_decoder(canonical_request& req, bool require_max_tokens)
      : req_(req), require_max_tokens_(require_max_tokens) {}

  bool decode(const Value& root) {
    req_.origin = dialect::anthropic;
    if (!r_.string(root, "model", {}, req_.model, true)) return false;
    if (req_.model.empty()) {
      return r_.fail("model", "`model` must be a non-empty string naming the model to use.");
    }
    if (!r_.uint32(root, "max_tokens", {}, req_.max_tokens)) return false;
    if (!req_.max_tokens && require_max_tokens_) {
      return r_.fail("max_tokens",
                     "`max_tokens` is required: the maximum number of tokens to "
                     "generate, a non-negative integer.");
    }
    if (!system(root) || !messages(root) || !sampling(root) || !tools(root) || !choice(root) ||
        !thinking(root) || !metadata(root)) {
      return false;
    }
    std::optional<bool> stream;
    if (!r_.boolean(root, "stream", {}, stream)) return false;
    req_.stream = stream.value_or(false);
    detail::keep_unknown(
        root,
        {"model", "max_tokens", "system", "messages", "stop_sequences", "temperature", "top_p",
         "top_k", "stream", "tools", "tool_choice", "thinking", "metadata"},
        req_.extras);
    req_.prompt_tokens_estimate = detail::estimate_prompt_tokens(req_.messages);
    return true;
  }

  error_info error() const { return *r_.error; }

 private:
  bool system(const Value& root) {
    const Value* s = find(root, "system");
    if (s == nullptr) return true;
    message m;
    m.role = message_role::system;
    m.source = "system";
    m.parts_at_source = true;
    if (s->IsString()) {
      m.form = content_form::string;
      m.content.push_back(detail::make_part(part_kind::text, std::string(view(*s))));
    } else if (s->IsArray()) {
      for (rapidjson::SizeType j = 0; j < s->Size(); ++j) {
        content_part p;
        if (!anthropic_detail::block(r_, (*s)[j], index("system", j), p)) return false;
        m.content.push_back(std::move(p));
      }
    } else {
      return r_.fail("system", "`system` must be a string or an array of text blocks.");
    }
    req_.messages.push_back(std::move(m));
    return true;
  }

  bool messages(const Value& root) {
    const Value* list = nullptr;
    if (!r_.array(root, "messages", {}, list)) return false;
    if (list == nullptr || list->Empty()) {
      return r_.fail("messages", "`messages` must be a non-empty array of message objects.");
    }
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      if (!one_message((*list)[i], index("messages", i))) return false;
    }
    return true;
  }

  bool one_message(const Value& m, const std::string& path) {
    if (!m.IsObject()) return r_.fail(path, "`" + path + "` must be a message object.");
    std::string role;
    if (!r_.string(m, "role", path, role, true)) return false;
    if (role != "user" && role != "assistant") {
      const auto at = join(path, "role");
      return r_.fail(at, "`" + at + "` must be \"user\" or \"assistant\".");
    }
    const auto it = m.FindMember("content");
    if (it == m.MemberEnd() || !(it->value.IsString() || it->value.IsArray())) {
      const auto at = join(path, "content");
      return r_.fail(at, "`" + at + "` must be a string or an array of content blocks.");
    }
    message first;
    first.role = role == "user" ? message_role::user : message_role::assistant;
    first.source = path;
    detail::keep_unknown(m, {"role", "content"}, first.extras);
    if (it->value.IsString()) {
      first.form = content_form::string;
      first.content.push_back(detail::make_part(part_kind::text, std::string(view(it->value))));
      req_.messages.push_back(std::move(first));
      return true;
    }
    return first.role == message_role::user ? user_blocks(it->value, path, std::move(first))
                                            : assistant_blocks(it->value, path, std::move(first));
  }

  // A user turn: text and images gather into user messages, each tool_result becomes a tool
  // message; all but the first are marked as joining the previous one. The turn's own extra
  // members stay on a user message (an empty one when the turn opens with a tool result).
  bool user_blocks(const Value& blocks, const std::string& path, message first) {
    const std::size_t begin = req_.messages.size();
    std::optional<message> gathering = std::move(first);
    const auto push = [&](message m) {
      m.joins_previous = req_.messages.size() > begin;
      req_.messages.push_back(std::move(m));
    };
    for (rapidjson::SizeType j = 0; j < blocks.Size(); ++j) {
      const Value& b = blocks[j];
      const auto at = index(join(path, "content"), j);
      if (anthropic_detail::type_of(b) == "tool_result") {
        if (gathering && (!gathering->content.empty() || !gathering->extras.empty())) {
          push(std::move(*gathering));
        }
        gathering.reset();
        message tool;
        if (!tool_result(b, at, tool)) return false;
        push(std::move(tool));
        continue;
      }
      if (!gathering) {
        gathering.emplace();
        gathering->role = message_role::user;
        gathering->source = path;
      }
      content_part p;
      if (!anthropic_detail::block(r_, b, at, p)) return false;
      p.source_index = j;
      gathering->content.push_back(std::move(p));
    }
    if (gathering && (!gathering->content.empty() || !gathering->extras.empty() ||
                      req_.messages.size() == begin)) {
      push(std::move(*gathering));
    }
    return true;
  }

  bool tool_result(const Value& b, const std::string& at, message& out) {
    out.role = message_role::tool;
    out.source = at;
    if (!r_.string(b, "tool_use_id", at, out.tool_call_id, true) ||
        !r_.boolean(b, "is_error", at, out.is_error)) {
      return false;
    }
    const auto c = b.FindMember("content");
    if (c == b.MemberEnd()) {
      out.form = content_form::absent;
    } else if (c->value.IsString()) {
      out.form = content_form::string;
      out.content.push_back(detail::make_part(part_kind::text, std::string(view(c->value))));
    } else if (c->value.IsArray()) {
      const auto base = join(at, "content");
      for (rapidjson::SizeType k = 0; k < c->value.Size(); ++k) {
        content_part p;
        if (!anthropic_detail::block(r_, c->value[k], index(base, k), p)) return false;
        out.content.push_back(std::move(p));
      }
    } else {
      const auto p = join(at, "content");
      return r_.fail(p, "`" + p + "` must be a string or an array of content blocks.");
    }
    detail::keep_unknown(b, {"type", "tool_use_id", "content", "is_error"}, out.extras);
    return true;
  }

  bool assistant_blocks(const Value& blocks, const std::string& path, message m) {
    for (rapidjson::SizeType j = 0; j < blocks.Size(); ++j) {
      const Value& b = blocks[j];
      const auto at = index(join(path, "content"), j);
      if (anthropic_detail::type_of(b) == "tool_use") {
        tool_call c;
        if (!anthropic_detail::tool_use(r_, b, at, c)) return false;
        c.position = static_cast<std::uint32_t>(m.content.size());
        c.source_index = j;
        m.tool_calls.push_back(std::move(c));
        continue;
      }
      content_part p;
      if (!anthropic_detail::block(r_, b, at, p)) return false;
      p.source_index = j;
      m.content.push_back(std::move(p));
    }
    req_.messages.push_back(std::move(m));
    return true;
  }

  bool sampling(const Value& root) {
    if (!r_.number(root, "temperature", {}, req_.temperature) ||
        !r_.number(root, "top_p", {}, req_.top_p) || !r_.uint32(root, "top_k", {}, req_.top_k)) {
      return false;
    }
    const Value* stop = nullptr;
    if (!r_.array(root, "stop_sequences", {}, stop)) return false;
    if (stop == nullptr) return true;
    for (rapidjson::SizeType i = 0; i < stop->Size(); ++i) {
      if (!(*stop)[i].IsString()) {
        const auto at = index("stop_sequences", i);
        return r_.fail(at, "`" + at + "` must be a string.");
      }
      req_.stop.emplace_back(view((*stop)[i]));
    }
    return true;
  }

  bool tools(const Value& root) {
    const Value* list = nullptr;
    if (!r_.array(root, "tools", {}, list)) return false;
    if (list == nullptr) return true;
    for (rapidjson::SizeType k = 0; k < list->Size(); ++k) {
      const Value& t = (*list)[k];
      const auto at = index("tools", k);
      if (!t.IsObject()) return r_.fail(at, "`" + at + "` must be a tool object.");
      tool_definition def;
      std::string type;
      if (!r_.string(t, "type", at, type)) return false;
      if (!type.empty() && type != "custom") {
        def.raw = detail::to_json(t);  // a server tool (web search, code execution, …)
        req_.tools.push_back(std::move(def));
        continue;
      }
      const Value* schema = nullptr;
      if (!r_.string(t, "name", at, def.name, true) ||
          !r_.string(t, "description", at, def.description) ||
          !r_.object(t, "input_schema", at, schema)) {
        return false;
      }
      if (schema == nullptr) {
        const auto p = join(at, "input_schema");
        return r_.fail(p, "`" + p + "` is required: a JSON schema object for the tool's input.");
      }
      def.parameters = detail::to_json(*schema);
      detail::keep_unknown(t, {"name", "description", "input_schema"}, def.extras);
      req_.tools.push_back(std::move(def));
    }
    return true;
  }

  bool choice(const Value& root) {
    const Value* c = nullptr;
    if (!r_.object(root, "tool_choice", {}, c)) return false;
    if (c == nullptr) return true;
    tool_choice tc;
    std::string type;
    if (!r_.string(*c, "type", "tool_choice", type, true)) return false;
    if (type == "auto") {
      tc.mode = tool_choice_mode::automatic;
    } else if (type == "any") {
      tc.mode = tool_choice_mode::required;
    } else if (type == "none") {
      tc.mode = tool_choice_mode::none;
    } else if (type == "tool") {
      tc.mode = tool_choice_mode::specific;
      if (!r_.string(*c, "name", "tool_choice", tc.name, true)) return false;
    } else {
      return r_.fail("tool_choice.type",
                     "`tool_choice.type` must be \"auto\", \"any\", \"tool\" or \"none\".");
    }
    std::optional<bool> disable;
    if (!r_.boolean(*c, "disable_parallel_tool_use", "tool_choice", disable)) return false;
    if (disable) req_.parallel_tool_calls = !*disable;
    detail::keep_unknown(*c, {"type", "name", "disable_parallel_tool_use"}, tc.extras);
    req_.tool_choice = std::move(tc);
    return true;
  }

  bool thinking(const Value& root) {
    const Value* t = nullptr;
    if (!r_.object(root, "thinking", {}, t)) return false;
    if (t == nullptr) return true;
    std::string type;
    if (!r_.string(*t, "type", "thinking", type, true)) return false;
    if (type != "enabled" && type != "disabled") {
      // A newer mode (e.g. "adaptive"): kept whole, for Anthropic only.
      req_.extras.push_back({"thinking", detail::to_json(*t), {}});
      return true;
    }
    req_.reasoning.thinking = type == "enabled";
    if (!r_.uint32(*t, "budget_tokens", "thinking", req_.reasoning.budget_tokens)) return false;
    if (type == "enabled" && !req_.reasoning.budget_tokens) {
      return r_.fail("thinking.budget_tokens",
                     "`thinking.budget_tokens` is required when thinking is enabled.");
    }
    detail::keep_unknown(*t, {"type", "budget_tokens"}, req_.reasoning.extras);
    return true;
  }

  bool metadata(const Value& root) {
    const Value* m = nullptr;
    if (!r_.object(root, "metadata", {}, m)) return false;
    if (m == nullptr) return true;
    if (!r_.opt_string(*m, "user_id", "metadata", req_.user)) return false;
    detail::keep_unknown(*m, {"user_id"}, req_.metadata_extras);
    if (!req_.user && req_.metadata_extras.empty()) {
      req_.extras.push_back({"metadata", "{}", {}});  // an empty object, kept as sent
    }
    return true;
  }

  canonical_request& req_;
  bool require_max_tokens_;
  detail::reader r_{gateway_error::bad_request};
};

}  // namespace

namespace {

result<canonical_request, error_info> decode(std::string_view body, bool require_max_tokens) {
  auto doc = std::make_shared<rapidjson::Document>();
  if (auto e = detail::parse_object(body, *doc, gateway_error::bad_request, "The request body")) {
    return std::move(*e);
  }
  canonical_request req;
  anthropic_request_decoder decoder(req, require_max_tokens);
  if (!decoder.decode(*doc)) return decoder.error();
  req.original = std::move(doc);
  return req;
}

}  // namespace

result<canonical_request, error_info> decode_anthropic_request(std::string_view body) {
  return decode(body, true);
}

result<canonical_request, error_info> decode_anthropic_count_tokens_request(std::string_view body) {
  return decode(body, false);
}

std::string anthropic_count_tokens_body(const canonical_request& req) {
  // Tool definitions count against the prompt too; about 4 bytes of JSON per token, like the
  // messages' estimate.
  std::uint64_t tokens = req.prompt_tokens_estimate;
  for (const auto& t : req.tools) {
    const std::size_t bytes =
        t.name.size() + t.description.size() + t.parameters.size() + t.raw.size();
    tokens += (bytes + 3) / 4;
  }
  return "{\"input_tokens\":" + std::to_string(tokens) + "}";
}

}  // namespace switchyard::protocols
