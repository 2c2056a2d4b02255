// Address parsing for `listen:` and `base_url:`. Written by hand (no URL library in the tree) and
// deliberately strict: a gateway that silently "fixes" an address routes traffic somewhere else.
#include "config/address.hpp"

#include <charconv>
#include <vector>

namespace switchyard::config {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos)
      return parts;
    start = at + 1;
  }
}

bool valid_ipv4(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 4)
    return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0'))
      return false;
    unsigned v = 0;
    for (char c : p) {
      if (!is_digit(c))
        return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 255)
      return false;
  }
  return true;
}

// RFC 4291 text form: up to eight 16-bit hex groups, one "::" for a run of zeros, an optional
// trailing dotted IPv4 (counting as two groups), and an optional "%zone" suffix.
bool valid_ipv6(std::string_view s) {
  if (auto pct = s.find('%'); pct != std::string_view::npos) {
    std::string_view zone = s.substr(pct + 1);
    if (zone.empty())
      return false;
    for (char c : zone)
      if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
        return false;
    s = s.substr(0, pct);
  }
  if (s.empty())
    return false;
  std::size_t gap = s.find("::");
  if (gap != std::string_view::npos && s.find("::", gap + 1) != std::string_view::npos)
    return false;
  auto count_groups = [](std::string_view part, bool may_end_in_ipv4, int& groups) {
    if (part.empty())
      return true;
    auto items = split(part, ':');
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto g = items[i];
      if (may_end_in_ipv4 && i + 1 == items.size() && g.find('.') != std::string_view::npos) {
        if (!valid_ipv4(g))
          return false;
        groups += 2;
        continue;
      }
      if (g.empty() || g.size() > 4)
        return false;
      for (char c : g)
        if (!is_hex(c))
          return false;
      ++groups;
    }
    return true;
  };
  int groups = 0;
  if (gap == std::string_view::npos) {
    if (!count_groups(s, true, groups))
      return false;
    return groups == 8;
  }
  if (!count_groups(s.substr(0, gap), false, groups) || !count_groups(s.substr(gap + 2), true, groups))
    return false;
  return groups <= 7;
}

// Labels of letters, digits, '-' and '_' (container and service names often carry '_').
bool valid_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253)
    return false;
  if (s.back() == '.')  // a fully qualified "example.com."
    s.remove_suffix(1);
  for (auto label : split(s, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-' && c != '_')
        return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!is_digit(c))
      return false;
  return true;
}

// Digits only, value in [min, 65535].
bool parse_port(std::string_view s, unsigned min, std::uint16_t& out) {
  if (!all_digits(s) || s.size() > 5)
    return false;
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < min || v > 65535)
    return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

struct host_and_port {
  std::string host;
  std::string_view port;  // empty when absent
  bool had_colon = false;
};

// Splits "host", "host:port", "[v6]" or "[v6]:port"; the error names what is wrong.
protocols::result<host_and_port, std::string> split_authority(std::string_view s) {
  host_and_port out;
  if (!s.empty() && s.front() == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos)
      return std::string{"unclosed '[' in IPv6 address"};
    std::string_view host = s.substr(1, close - 1);
    if (!valid_ipv6(host))
      return "invalid IPv6 address \"" + std::string{host} + "\"";
    out.host = std::string{host};
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::string{"unexpected text after ']'"};
      out.had_colon = true;
      out.port = rest.substr(1);
    }
    return out;
  }
  std::size_t colon = s.rfind(':');
  std::string_view host = s;
  if (colon != std::string_view::npos) {
    host = s.substr(0, colon);
    out.had_colon = true;
    out.port = s.substr(colon + 1);
  }
  if (host.find(':') != std::string_view::npos)
    return std::string{"IPv6 addresses must be in brackets, e.g. [::1]:8080"};
  if (host.empty())
    return std::string{"host is missing"};
  if (!valid_host(host, false))
    return "invalid host \"" + std::string{host} + "\"";
  out.host = std::string{host};
  return out;
}

}  // namespace

bool valid_host(std::string_view host, bool allow_ipv6) {
  if (allow_ipv6 && host.find(':') != std::string_view::npos)
    return valid_ipv6(host);
  // A name made only of digits and dots must be a real IPv4 address ("10.0.0.300" is a typo,
  // not a host name).
  bool numeric = !host.empty();
  for (char c : host)
    if (!is_digit(c) && c != '.')
      numeric = false;
  return numeric ? valid_ipv4(host) : valid_dns_name(host);
}

protocols::result<listen_address, std::string> parse_listen(std::string_view text) {
  static constexpr const char* expected = "expected host:port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or \"[::1]:8080\"";
  if (text.empty())
    return "is empty; " + std::string{expected};
  if (text.find(':') == std::string_view::npos)
    return "port is missing; " + std::string{expected};
  auto split = split_authority(text);
  if (!split.ok())
    return split.error() + "; " + expected;
  if (!split->had_colon)
    return "port is missing; " + std::string{expected};
  listen_address out;
  out.host = std::move(split->host);
  if (!parse_port(split->port, 0, out.port))
    return "port must be an integer from 0 to 65535, got \"" + std::string{split->port} + "\"";
  return out;
}

protocols::result<url, std::string> parse_base_url(std::string_view text) {
  url out;
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return std::string{"must start with http:// or https://"};
  std::string scheme{text.substr(0, sep)};
  for (char& c : scheme)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  if (scheme == "https")
    out.tls = true;
  else if (scheme != "http")
    return "scheme must be http or https, got \"" + scheme + "\"";
  std::string_view rest = text.substr(sep + 3);
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return std::string{"must not contain spaces or control characters"};
  if (rest.find_first_of("?#") != std::string_view::npos)
    return std::string{"must not have a query or fragment ('?' or '#')"};
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return std::string{"must not carry credentials (user@host); use api_key or headers instead"};
  if (authority.empty())
    return std::string{"host is missing"};
  auto split = split_authority(authority);
  if (!split.ok())
    return split.error();
  out.host = std::move(split->host);
  if (split->had_colon) {
    if (!parse_port(split->port, 1, out.port))
      return "port must be an integer from 1 to 65535, got \"" + std::string{split->port} + "\"";
  } else {
    out.port = out.tls ? 443 : 80;
  }
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  out.base_path = std::string{path};
  return out;
}

}  // namespace switchyard::config
