// server.access_log and server.log_level.
#include "config/observability.hpp"

#include <array>
#include <utility>

namespace switchyard::config {

namespace {

constexpr std::array<std::pair<std::string_view, log_level>, 4> levels{{
    {"debug", log_level::debug},
    {"info", log_level::info},
    {"warning", log_level::warning},
    {"error", log_level::error},
}};

}  // namespace

protocols::result<observability_config, std::string> parse_access_log(std::string_view text,
                                                                      observability_config base) {
  base.access_log_path.clear();
  if (text == "off") {
    base.access_log = access_log_target::off;
  } else if (text == "stderr") {
    base.access_log = access_log_target::stderr_stream;
  } else if (text == "stdout") {
    base.access_log = access_log_target::stdout_stream;
  } else {
    if (text.empty())
      return std::string{"must be stderr, stdout, off or a file path, got an empty string"};
    if (text.size() > max_access_log_path)
      return "must be a path of at most " + std::to_string(max_access_log_path) + " characters";
    for (char c : text)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return std::string{"must not contain control characters"};
    if (text.back() == '/') return "must name a file, not a directory: " + std::string{text};
    base.access_log = access_log_target::file;
    base.access_log_path = std::string{text};
  }
  return base;
}

protocols::result<log_level, std::string> parse_log_level(std::string_view text) {
  for (const auto& [name, level] : levels)
    if (text == name) return level;
  return "must be debug, info, warning or error, got \"" + std::string{text} + "\"";
}

std::string_view to_string(log_level level) noexcept {
  for (const auto& [name, l] : levels)
    if (l == level) return name;
  return "info";
}

}  // namespace switchyard::config
