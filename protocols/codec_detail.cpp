// Internal helpers shared by the dialect codecs (see codec_detail.hpp).
#include "protocols/codec_detail.hpp"

#include "protocols/json_parse.hpp"

#include <cmath>
#include <limits>

#include <rapidjson/error/en.h>

namespace switchyard::protocols::detail {

const Value* find(const Value& obj, std::string_view name) noexcept {
  if (!obj.IsObject()) return nullptr;
  for (const auto& m : obj.GetObject()) {
    if (view(m.name) == name) return m.value.IsNull() ? nullptr : &m.value;
  }
  return nullptr;
}

std::string to_json(const Value& v) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  v.Accept(w);
  return to_string(buf);
}

std::string join(std::string_view base, std::string_view name) {
  if (name.empty()) name = "\"\"";  // a member named "" still has to be nameable
  std::string out;
  out.reserve(base.size() + name.size() + 1);
  if (!base.empty()) out.append(base).push_back('.');
  out.append(name);
  return out;
}

std::string index(std::string_view base, std::size_t i) {
  std::string out(base);
  out.push_back('[');
  out.append(std::to_string(i)).push_back(']');
  return out;
}

void keep_unknown(const Value& obj, std::initializer_list<std::string_view> known,
                  extra_members& out, std::string_view within) {
  for (const auto& m : obj.GetObject()) {
    const std::string_view name = view(m.name);
    bool is_known = false;
    for (const auto k : known) {
      if (k == name) {
        is_known = true;
        break;
      }
    }
    if (!is_known) out.push_back({std::string(name), to_json(m.value), std::string(within)});
  }
}

void write_raw(json_writer& w, std::string_view json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void write_extras(json_writer& w, const extra_members& extras, std::string_view within) {
  for (const auto& x : extras) {
    if (x.within != within) continue;
    write_key(w, x.key);
    write_raw(w, x.json);
  }
}

bool has_extras(const extra_members& extras, std::string_view within) noexcept {
  for (const auto& x : extras) {
    if (x.within == within) return true;
  }
  return false;
}

void write_number(json_writer& w, double v) {
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9007199254740992.0) {
    w.Int64(static_cast<std::int64_t>(v));
  } else {
    w.Double(v);
  }
}

std::optional<error_info> parse_object(std::string_view body, rapidjson::Document& doc,
                                       gateway_error code, std::string_view what) {
  const std::string subject(what);
  if (const auto bad = invalid_utf8_offset(body); bad != std::string_view::npos) {
    return make_error(code, subject + " is not valid UTF-8 (at byte " + std::to_string(bad) +
                                "). Send the body encoded as UTF-8.");
  }
  const rapidjson::ParseResult parsed = parse_lossless(body, doc);
  if (parsed.IsError()) {
    return make_error(
        code, subject + " is not valid JSON: " + rapidjson::GetParseError_En(parsed.Code()) +
                  " (at byte " + std::to_string(parsed.Offset()) + ").");
  }
  if (!doc.IsObject()) return make_error(code, subject + " must be a JSON object.");
  return std::nullopt;
}

// --- reader ---------------------------------------------------------------------------------

bool reader::fail(std::string path, std::string message) {
  if (!error) error = make_error(code_, std::move(message), std::move(path));
  return false;
}

bool reader::string(const Value& obj, std::string_view name, std::string_view base,
                    std::string& out, bool required) {
  const Value* v = find(obj, name);
  if (v == nullptr) {
    if (!required) return true;
    const auto path = join(base, name);
    return fail(path, "`" + path + "` is required and must be a string.");
  }
  if (!v->IsString()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be a string.");
  }
  out.assign(v->GetString(), v->GetStringLength());
  return true;
}

bool reader::opt_string(const Value& obj, std::string_view name, std::string_view base,
                        std::optional<std::string>& out) {
  const Value* v = find(obj, name);
  if (v == nullptr) return true;
  if (!v->IsString()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be a string.");
  }
  out.emplace(v->GetString(), v->GetStringLength());
  return true;
}

bool reader::uint32(const Value& obj, std::string_view name, std::string_view base,
                    std::optional<std::uint32_t>& out) {
  const Value* v = find(obj, name);
  if (v == nullptr) return true;
  if (!v->IsUint()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be a non-negative integer no larger than 4294967295.");
  }
  out = v->GetUint();
  return true;
}

bool reader::int64(const Value& obj, std::string_view name, std::string_view base,
                   std::optional<std::int64_t>& out) {
  const Value* v = find(obj, name);
  if (v == nullptr) return true;
  if (!v->IsInt64()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be an integer.");
  }
  out = v->GetInt64();
  return true;
}

bool reader::number(const Value& obj, std::string_view name, std::string_view base,
                    std::optional<double>& out) {
  const Value* v = find(obj, name);
  if (v == nullptr) return true;
  if (!v->IsNumber()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be a number.");
  }
  out = v->GetDouble();
  return true;
}

bool reader::boolean(const Value& obj, std::string_view name, std::string_view base,
                     std::optional<bool>& out) {
  const Value* v = find(obj, name);
  if (v == nullptr) return true;
  if (!v->IsBool()) {
    const auto path = join(base, name);
    return fail(path, "`" + path + "` must be a boolean (true or false).");
  }
  out = v->GetBool();
  return true;
}

bool reader::object(const Value& obj, std::string_view name, std::string_view base,
                    const Value*& out) {
  out = find(obj, name);
  if (out == nullptr || out->IsObject()) return true;
  const auto path = join(base, name);
  out = nullptr;
  return fail(path, "`" + path + "` must be an object.");
}

bool reader::array(const Value& obj, std::string_view name, std::string_view base,
                   const Value*& out) {
  out = find(obj, name);
  if (out == nullptr || out->IsArray()) return true;
  const auto path = join(base, name);
  out = nullptr;
  return fail(path, "`" + path + "` must be an array.");
}

// --- loss_tracker ---------------------------------------------------------------------------

std::string_view display_name(dialect d) noexcept {
  switch (d) {
    case dialect::openai:
      return "OpenAI";
    case dialect::anthropic:
      return "Anthropic";
    case dialect::gemini:
      return "Gemini";
  }
  return "OpenAI";
}

bool loss_tracker::unsupported(std::string path, std::string_view why) {
  if (drop_) {
    dropped.push_back(std::move(path));
    return true;
  }
  if (!error) {
    std::string message = "`" + path + "` cannot be sent to the " +
                          std::string(display_name(target_)) +
                          "-dialect provider serving this model";
    if (!why.empty()) message.append(" (").append(why).append(")");
    message.append(". Remove the field, or use a model served by a provider that supports it.");
    error = make_error(gateway_error::bad_request, std::move(message), std::move(path));
  }
  return false;
}

namespace {

// Values that ask for nothing beyond the default, so dropping them loses nothing.
bool is_no_op(const extra_member& x) {
  if (x.json == "null") return true;
  struct no_op {
    std::string_view key;
    std::string_view json;
  };
  static constexpr no_op defaults[] = {
      {"logprobs", "false"},
      {"store", "false"},
      {"top_logprobs", "0"},
      {"metadata", "{}"},
      {"type", "\"custom\""}};  // Anthropic's explicit name for an ordinary tool
  for (const auto& d : defaults) {
    if (x.key == d.key && x.json == d.json) return true;
  }
  return false;
}

}  // namespace

bool loss_tracker::extras(std::string_view base, const extra_members& extras) {
  for (const auto& x : extras) {
    if (is_no_op(x)) continue;
    const std::string path =
        x.within.empty() ? join(base, x.key) : join(join(base, x.within), x.key);
    if (!unsupported(path, "no equivalent field")) return false;
  }
  return true;
}

bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data) {
  constexpr std::string_view scheme = "data:";
  constexpr std::string_view marker = ";base64,";
  if (url.substr(0, scheme.size()) != scheme) return false;
  const auto at = url.find(marker);
  if (at == std::string_view::npos) return false;
  media_type = url.substr(scheme.size(), at - scheme.size());
  if (media_type.empty() || media_type.find_first_of(";,") != std::string_view::npos) return false;
  data = url.substr(at + marker.size());
  return true;
}

std::string message_path(const message& m, std::size_t i) {
  return m.source.empty() ? index("messages", i) : m.source;
}

std::string part_path(const message& m, std::size_t i, std::size_t j) {
  const auto& p = m.content[j];
  // OpenAI (the one dialect that leaves `source` empty) carries reasoning in its own member.
  if (m.source.empty() && p.kind == part_kind::thinking) {
    return join(message_path(m, i), "reasoning_content");
  }
  const std::size_t at =
      p.source_index != std::numeric_limits<std::uint32_t>::max() ? p.source_index : j;
  if (m.parts_at_source) return index(message_path(m, i), at);
  return index(join(message_path(m, i), "content"), at);
}

std::string call_path(const message& m, std::size_t i, std::size_t t) {
  const auto& c = m.tool_calls[t];
  if (c.source_index != std::numeric_limits<std::uint32_t>::max()) {
    return index(join(message_path(m, i), "content"), c.source_index);
  }
  return index(join(message_path(m, i), "tool_calls"), t);
}

namespace {

std::uint32_t count(const Value* obj, std::string_view name) {
  if (obj == nullptr) return 0;
  const Value* v = find(*obj, name);
  if (v == nullptr || !v->IsNumber()) return 0;
  if (v->IsUint()) return v->GetUint();
  if (v->IsUint64()) return std::numeric_limits<std::uint32_t>::max();
  const double d = v->GetDouble();
  return d > 0 && d < 4294967295.0 ? static_cast<std::uint32_t>(d) : 0;
}

}  // namespace

usage read_openai_usage(const Value& u) {
  usage out;
  out.reported = true;
  out.prompt_tokens = count(&u, "prompt_tokens");
  out.completion_tokens = count(&u, "completion_tokens");
  out.cached_tokens = count(find(u, "prompt_tokens_details"), "cached_tokens");
  out.reasoning_tokens = count(find(u, "completion_tokens_details"), "reasoning_tokens");
  return out;
}

std::uint32_t estimate_prompt_tokens(const std::vector<message>& messages) {
  std::size_t bytes = 0;
  for (const auto& m : messages) {
    for (const auto& p : m.content) {
      if (p.kind == part_kind::text || p.kind == part_kind::thinking) bytes += p.text.size();
    }
    for (const auto& c : m.tool_calls) bytes += c.arguments.size();
  }
  const std::size_t tokens = bytes / 4 + (bytes % 4 != 0 ? 1 : 0);
  if (tokens == 0) return 1;
  return tokens > std::numeric_limits<std::uint32_t>::max()
             ? std::numeric_limits<std::uint32_t>::max()
             : static_cast<std::uint32_t>(tokens);
}

}  // namespace switchyard::protocols::detail
