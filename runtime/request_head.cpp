// Upstream request head (see request_head.hpp).
#include "runtime/request_head.hpp"

#include <string_view>

#ifndef SWITCHYARD_VERSION
#define SWITCHYARD_VERSION "dev"
#endif

namespace switchyard::runtime {

namespace {

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool valid_value(std::string_view v) {
  for (char c : v)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// RFC 9110 token characters.
bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

void add(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool build_upstream_request_head(const actors::attempt_spec& spec, std::string& out,
                                 std::string& error) {
  const config::provider_config& p = *spec.provider;
  const config::url& ep = p.endpoint;
  const std::string_view key_header = config::api_key_header(p.type);
  const bool anthropic = p.type == config::provider_type::anthropic;
  bool own_accept = false, own_agent = false, own_auth = false, own_version = false;
  for (const auto& [name, value] : p.headers) {
    if (!valid_name(name) || !valid_value(value)) {
      error = "provider '" + p.name + "' header '" + name +
              "' is not a valid HTTP header (check for line breaks)";
      return false;
    }
    own_accept |= equals_ci(name, "accept");
    own_agent |= equals_ci(name, "user-agent");
    own_auth |= equals_ci(name, key_header);
    own_version |= equals_ci(name, "anthropic-version");
  }
  if (!valid_value(p.api_key) || !valid_value(p.anthropic_version)) {
    error = "provider '" + p.name + "' api_key or anthropic_version contains a line break";
    return false;
  }
  if (spec.path.empty() || spec.path.front() != '/' || !valid_value(spec.path) ||
      spec.path.find(' ') != std::string::npos) {
    error = "the upstream request path is not a valid request target";
    return false;
  }

  out.clear();
  out.reserve(512);
  out.append("POST ").append(ep.base_path).append(spec.path).append(" HTTP/1.1\r\n");

  std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  const std::uint16_t default_port = ep.tls ? 443 : 80;
  if (ep.port != 0 && ep.port != default_port) host += ":" + std::to_string(ep.port);
  add(out, "Host", host);
  add(out, "Content-Type", "application/json");
  add(out, "Content-Length", std::to_string(spec.body.size()));
  if (!p.api_key.empty() && !own_auth) {
    if (key_header == "authorization")
      add(out, "Authorization", "Bearer " + p.api_key);
    else
      add(out, key_header, p.api_key);
  }
  if (anthropic && !own_version) add(out, "anthropic-version", p.anthropic_version);
  if (!own_accept) add(out, "Accept", spec.stream ? "text/event-stream" : "application/json");
  if (!own_agent) add(out, "User-Agent", "switchyard/" SWITCHYARD_VERSION);
  for (const auto& [name, value] : p.headers) {
    if (equals_ci(name, "host") || equals_ci(name, "content-length") ||
        equals_ci(name, "transfer-encoding") || equals_ci(name, "connection") ||
        equals_ci(name, "content-type"))
      continue;  // the framing is ours
    add(out, name, value);
  }
  add(out, "Connection", "keep-alive");
  out.append("\r\n");
  return true;
}

}  // namespace switchyard::runtime
