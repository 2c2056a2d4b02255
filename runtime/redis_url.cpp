#include "runtime/redis_url.hpp"

#include <cctype>
#include <charconv>

namespace switchyard::runtime {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a user or password (a password may hold '@' or ':' written as %40 / %3A).
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

std::string redis_endpoint::where() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

protocols::result<redis_endpoint, std::string> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.rfind("rediss://", 0) == 0)
    return std::string{
        "counters: rediss:// (TLS) is not supported by this build; use redis:// on a private "
        "network or through a TLS tunnel"};
  if (url.rfind(scheme, 0) != 0) return std::string{"counters: the URL must start with redis://"};
  std::string_view rest = url.substr(scheme.size());
  redis_endpoint ep;

  // The authority ends at the first '/'; the userinfo at its last '@'.
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo;
    std::string_view password;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    }
    if (!percent_decode(user, ep.user) || !percent_decode(password, ep.password))
      return std::string{"counters: the user or password of the redis:// URL has a bad %-escape"};
    if (!ep.user.empty() && ep.password.empty())
      return std::string{"counters: a redis:// user needs a password (redis://user:password@host)"};
  }

  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos)
      return std::string{"counters: an IPv6 host must be closed by ']'"};
    ep.host = std::string{rest.substr(1, close - 1)};
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::string{"counters: expected ':port' after the host"};
      port_text = rest.substr(1);
    }
  } else {
    auto colon = rest.find(':');
    ep.host = std::string{rest.substr(0, colon)};
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.host.empty()) return std::string{"counters: the redis:// URL needs a host"};
  for (char c : ep.host)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return std::string{"counters: the redis:// host must not contain spaces"};
  if (!port_text.empty() || rest.find(':') != std::string_view::npos) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port == 0 || port > 65535)
      return std::string{"counters: the redis:// port must be 1 to 65535"};
    ep.port = static_cast<std::uint16_t>(port);
  }
  if (!path.empty()) {
    unsigned db = 0;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db > 15)
      return std::string{"counters: the redis:// database (after '/') must be 0 to 15"};
    ep.db = db;
  }
  return ep;
}

}  // namespace switchyard::runtime
