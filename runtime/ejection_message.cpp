#include "runtime/ejection_message.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>

namespace switchyard::runtime {

namespace {

bool is_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace

std::string format_ejection(const ejection_message& m) {
  return "v1 " + m.node_id + " " + m.provider + " " + std::to_string(m.duration.count());
}

std::optional<ejection_message> parse_ejection(std::string_view payload) {
  std::string_view parts[4];
  std::size_t n = 0;
  while (!payload.empty()) {
    if (n == 4) return std::nullopt;
    auto space = payload.find(' ');
    parts[n++] = payload.substr(0, space);
    if (space == std::string_view::npos) break;
    payload.remove_prefix(space + 1);
    if (payload.empty()) return std::nullopt;  // a trailing space
  }
  if (n != 4 || parts[0] != "v1" || !is_name(parts[1]) || !is_name(parts[2])) return std::nullopt;
  long long ms = 0;
  auto [end, ec] = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), ms);
  if (ec != std::errc{} || end != parts[3].data() + parts[3].size() || ms < 1 ||
      ms > max_broadcast_ejection.count())
    return std::nullopt;
  return ejection_message{std::string{parts[1]}, std::string{parts[2]},
                          std::chrono::milliseconds{ms}};
}

std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    std::snprintf(host, sizeof host, "node");
  std::string id = host;
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  const std::string pid = "-" + std::to_string(::getpid());
  if (id.size() + pid.size() > 64) id.resize(64 - pid.size());
  return id + pid;
}

}  // namespace switchyard::runtime
