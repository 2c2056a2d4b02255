// Adding the serving provider to OpenAI-dialect bodies and stream chunks (see provider_tag.hpp).
#include "protocols/provider_tag.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::protocols {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Parsing only when the text mentions "provider" keeps the common case a plain splice.
bool has_top_level_provider(std::string_view json) {
  if (json.find("\"provider\"") == std::string_view::npos) return false;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  return !doc.HasParseError() && doc.IsObject() && doc.HasMember("provider");
}

std::string member_text(std::string_view provider) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.String(provider.data(), static_cast<rapidjson::SizeType>(provider.size()));
  return std::string{"\"provider\":"} + buf.GetString();
}

// Appends `json` to `out` with the member spliced in after its opening brace.
void splice(std::string& out, std::string_view json, std::string_view provider) {
  std::size_t open = 0;
  while (open < json.size() && is_space(json[open])) ++open;
  if (open == json.size() || json[open] != '{' || has_top_level_provider(json)) {
    out.append(json);
    return;
  }
  std::size_t next = open + 1;
  while (next < json.size() && is_space(json[next])) ++next;
  const bool empty_object = next < json.size() && json[next] == '}';
  out.append(json.substr(0, open + 1));
  out += member_text(provider);
  if (!empty_object) out += ',';
  out.append(json.substr(open + 1));
}

}  // namespace

std::string add_provider_member(std::string body, std::string_view provider) {
  std::string out;
  out.reserve(body.size() + provider.size() + 16);
  splice(out, body, provider);
  return out;
}

std::string add_provider_to_events(std::string_view events, std::string_view provider) {
  static constexpr std::string_view data = "data:";
  std::string out;
  out.reserve(events.size() + 64);
  while (!events.empty()) {
    const auto nl = events.find('\n');
    const auto line = events.substr(0, nl == std::string_view::npos ? events.size() : nl + 1);
    events.remove_prefix(line.size());
    if (line.substr(0, data.size()) != data) {
      out.append(line);
      continue;
    }
    std::size_t value = data.size();
    if (value < line.size() && line[value] == ' ') ++value;  // one optional space (SSE)
    out.append(line.substr(0, value));
    splice(out, line.substr(value), provider);
  }
  return out;
}

}  // namespace switchyard::protocols
