// `${VAR}` substitution. Hand-written rather than regex-based so that errors can say exactly what
// is wrong with a reference without echoing the (possibly secret) text around it.
#include "config/substitute.hpp"

#include <algorithm>

namespace switchyard::config {

namespace {

bool name_start(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool name_char(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }

void add_once(std::vector<std::string>& v, std::string_view name) {
  if (std::find(v.begin(), v.end(), name) == v.end())
    v.emplace_back(name);
}

}  // namespace

protocols::result<substitution, std::string> substitute(std::string_view in, const env_lookup& env) {
  substitution out;
  out.text.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c != '$') {
      out.text.push_back(c);
      ++i;
      continue;
    }
    if (in.compare(i, 3, "$${") == 0) {  // escaped: a literal "${"
      out.text += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {  // a lone '$' is just a character
      out.text.push_back(c);
      ++i;
      continue;
    }
    std::size_t close = in.find('}', i + 2);
    if (close == std::string_view::npos)
      return std::string{"unterminated ${...} reference (write $${ for a literal ${)"};
    std::string_view body = in.substr(i + 2, close - i - 2);
    std::size_t n = 0;
    while (n < body.size() && name_char(body[n]))
      ++n;
    std::string_view name = body.substr(0, n);
    std::string_view rest = body.substr(n);
    if (name.empty()) {
      if (body.empty() || body.substr(0, 2) == ":-")
        return std::string{"empty variable name in ${...} reference"};
      return std::string{"invalid character in variable name of a ${...} reference; names are "
                         "letters, digits and '_'"};
    }
    if (!name_start(name.front()))
      return "invalid variable name \"" + std::string{name} + "\": names start with a letter or '_'";
    bool has_default = false;
    std::string_view fallback;
    if (!rest.empty()) {
      if (rest.substr(0, 2) != ":-")
        return "unsupported syntax in ${" + std::string{name} + "...}: expected ${" + std::string{name}
               + "} or ${" + std::string{name} + ":-default}";
      has_default = true;
      fallback = rest.substr(2);
    }
    out.referenced = true;
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (has_default) {
      out.text += (value && !value->empty()) ? std::string_view{*value} : fallback;
    } else if (!value) {
      add_once(out.unset, name);
    } else {
      if (value->empty())
        add_once(out.empty, name);
      out.text += *value;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace switchyard::config
