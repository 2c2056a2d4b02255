// Internal: Anthropic content blocks and usage (see anthropic_detail.hpp).
#include "protocols/anthropic_detail.hpp"

#include <limits>

#include "protocols/json_parse.hpp"

namespace switchyard::protocols::anthropic_detail {

namespace {

using detail::find;
using detail::join;
using detail::view;
using detail::write_string;

bool image(detail::reader& r, const Value& b, const std::string& path, content_part& out) {
  const Value* src = nullptr;
  if (!r.object(b, "source", path, src)) return false;
  const auto at = join(path, "source");
  if (src == nullptr) return r.fail(at, "`" + at + "` is required for an image block.");
  std::string type;
  if (!r.string(*src, "type", at, type, true)) return false;
  if (type == "base64") {
    out.kind = part_kind::image_base64;
    if (!r.string(*src, "media_type", at, out.media_type, true) ||
        !r.string(*src, "data", at, out.text, true)) {
      return false;
    }
    detail::keep_unknown(*src, {"type", "media_type", "data"}, out.extras, "source");
  } else if (type == "url") {
    out.kind = part_kind::image_url;
    if (!r.string(*src, "url", at, out.text, true)) return false;
    detail::keep_unknown(*src, {"type", "url"}, out.extras, "source");
  } else {
    out.kind = part_kind::opaque;  // a Files API reference: Anthropic only
    out.text = detail::to_json(b);
    return true;
  }
  detail::keep_unknown(b, {"type", "source"}, out.extras);
  return true;
}

std::uint32_t count(const Value& u, std::string_view name) {
  const Value* v = find(u, name);
  if (v == nullptr || !v->IsNumber()) return 0;
  if (v->IsUint()) return v->GetUint();
  return v->IsUint64() ? std::numeric_limits<std::uint32_t>::max() : 0;
}

std::uint32_t saturating_sum(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
  const std::uint64_t s = std::uint64_t{a} + b + c;
  return s > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(s);
}

}  // namespace

std::string_view type_of(const Value& block) noexcept {
  if (!block.IsObject()) return {};
  const Value* t = find(block, "type");
  return t != nullptr && t->IsString() ? view(*t) : std::string_view{};
}

bool block(detail::reader& r, const Value& b, const std::string& path, content_part& out) {
  if (!b.IsObject()) return r.fail(path, "`" + path + "` must be a content block object.");
  std::string type;
  if (!r.string(b, "type", path, type, true)) return false;
  if (type == "text") {
    out.kind = part_kind::text;
    if (!r.string(b, "text", path, out.text, true)) return false;
    detail::keep_unknown(b, {"type", "text"}, out.extras);
  } else if (type == "image") {
    return image(r, b, path, out);
  } else if (type == "thinking") {
    out.kind = part_kind::thinking;
    if (!r.string(b, "thinking", path, out.text, true) ||
        !r.string(b, "signature", path, out.signature)) {
      return false;
    }
    detail::keep_unknown(b, {"type", "thinking", "signature"}, out.extras);
  } else if (type == "redacted_thinking") {
    out.kind = part_kind::redacted_thinking;
    if (!r.string(b, "data", path, out.text, true)) return false;
    detail::keep_unknown(b, {"type", "data"}, out.extras);
  } else {
    out.kind = part_kind::opaque;  // document, search_result, server tool blocks, …
    out.text = detail::to_json(b);
  }
  return true;
}

bool tool_use(detail::reader& r, const Value& b, const std::string& path, tool_call& out) {
  const Value* input = nullptr;
  if (!r.string(b, "id", path, out.id, true) || !r.string(b, "name", path, out.name, true) ||
      !r.object(b, "input", path, input)) {
    return false;
  }
  if (input == nullptr) {
    const auto at = join(path, "input");
    return r.fail(at, "`" + at + "` is required: the tool's input as an object.");
  }
  out.arguments = detail::to_json(*input);
  detail::keep_unknown(b, {"type", "id", "name", "input"}, out.extras);
  return true;
}

void write_block(detail::json_writer& w, const content_part& p, bool with_extras) {
  if (p.kind == part_kind::opaque) {
    detail::write_raw(w, p.text);
    return;
  }
  w.StartObject();
  w.Key("type");
  switch (p.kind) {
    case part_kind::text:
      w.String("text");
      w.Key("text");
      write_string(w, p.text);
      break;
    case part_kind::image_url:
    case part_kind::image_base64:
      w.String("image");
      w.Key("source");
      w.StartObject();
      w.Key("type");
      if (p.kind == part_kind::image_url) {
        w.String("url");
        w.Key("url");
        write_string(w, p.text);
      } else {
        w.String("base64");
        w.Key("media_type");
        write_string(w, p.media_type);
        w.Key("data");
        write_string(w, p.text);
      }
      if (with_extras) detail::write_extras(w, p.extras, "source");
      w.EndObject();
      break;
    case part_kind::thinking:
      w.String("thinking");
      w.Key("thinking");
      write_string(w, p.text);
      w.Key("signature");
      write_string(w, p.signature);
      break;
    case part_kind::redacted_thinking:
      w.String("redacted_thinking");
      w.Key("data");
      write_string(w, p.text);
      break;
    case part_kind::opaque:
      break;
  }
  if (with_extras) detail::write_extras(w, p.extras);
  w.EndObject();
}

void write_tool_use(detail::json_writer& w, const tool_call& c, std::string_view input,
                    bool with_extras) {
  w.StartObject();
  w.Key("type");
  w.String("tool_use");
  w.Key("id");
  write_string(w, c.id);
  w.Key("name");
  write_string(w, c.name);
  w.Key("input");
  detail::write_raw(w, input);
  if (with_extras) detail::write_extras(w, c.extras);
  w.EndObject();
}

std::optional<std::string> input_object(std::string_view arguments) {
  std::size_t b = 0;
  while (b < arguments.size() && (arguments[b] == ' ' || arguments[b] == '\n' ||
                                  arguments[b] == '\t' || arguments[b] == '\r')) {
    ++b;
  }
  if (b == arguments.size()) return std::string("{}");
  // Straight from the reader to a writer: no document for what is only checked and re-written.
  rapidjson::StringBuffer buf(nullptr, arguments.size() + 16);
  detail::json_writer w(buf);
  if (detail::sax_lossless(arguments, w).IsError()) return std::nullopt;
  if (buf.GetSize() == 0 || buf.GetString()[0] != '{') return std::nullopt;
  return detail::to_string(buf);
}

usage read_usage(const Value& u) {
  usage out;
  out.reported = true;
  const std::uint32_t input = count(u, "input_tokens");
  out.cache_creation_tokens = count(u, "cache_creation_input_tokens");
  out.cached_tokens = count(u, "cache_read_input_tokens");
  out.prompt_tokens = saturating_sum(input, out.cache_creation_tokens, out.cached_tokens);
  out.completion_tokens = count(u, "output_tokens");
  return out;
}

void write_usage(detail::json_writer& w, const usage& u) {
  const std::uint64_t cache = std::uint64_t{u.cached_tokens} + u.cache_creation_tokens;
  w.StartObject();
  w.Key("input_tokens");
  w.Uint64(u.prompt_tokens > cache ? u.prompt_tokens - cache : 0);
  w.Key("cache_creation_input_tokens");
  w.Uint(u.cache_creation_tokens);
  w.Key("cache_read_input_tokens");
  w.Uint(u.cached_tokens);
  w.Key("output_tokens");
  w.Uint(u.completion_tokens);
  w.EndObject();
}

// Anthropic reports each count at most once per object; a later object (message_delta) carries
// the final values of whatever it includes.
void merge_usage(usage& u, const Value& obj) {
  const auto count = [&obj](const char* k) -> std::optional<std::uint64_t> {
    const auto it = obj.FindMember(k);
    if (it == obj.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    return it->value.IsUint64() ? it->value.GetUint64() : 0;
  };
  const auto clamp = [](std::uint64_t v) {
    return v > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                         : static_cast<std::uint32_t>(v);
  };
  const std::uint64_t cache = std::uint64_t{u.cached_tokens} + u.cache_creation_tokens;
  std::uint64_t input = u.prompt_tokens > cache ? u.prompt_tokens - cache : 0;
  if (const auto v = count("input_tokens")) input = *v;
  if (const auto v = count("cache_creation_input_tokens")) u.cache_creation_tokens = clamp(*v);
  if (const auto v = count("cache_read_input_tokens")) u.cached_tokens = clamp(*v);
  if (const auto v = count("output_tokens")) u.completion_tokens = clamp(*v);
  u.prompt_tokens = clamp(input + u.cached_tokens + u.cache_creation_tokens);
  u.reported = true;
}

}  // namespace switchyard::protocols::anthropic_detail
