// Upstream response parser and Retry-After parsing (see upstream_response.hpp).
#include "runtime/upstream_response.hpp"

#include <array>
#include <cctype>

namespace switchyard::runtime {

namespace http = boost::beast::http;

upstream_response_parser::upstream_response_parser() {
  header_limit(max_header_bytes);
  body_limit(boost::none);  // the exchange enforces a limit per response kind
  eager(true);
}

void upstream_response_parser::on_response_impl(int code, boost::beast::string_view, int version,
                                                boost::beast::error_code&) {
  status_ = static_cast<unsigned>(code);
  version_ = version;
}

void upstream_response_parser::on_field_impl(http::field name, boost::beast::string_view,
                                             boost::beast::string_view value,
                                             boost::beast::error_code&) {
  if (name == http::field::content_type)
    content_type_.assign(value.data(), value.size());
  else if (name == http::field::retry_after)
    retry_after_.assign(value.data(), value.size());
}

std::size_t upstream_response_parser::on_body_impl(boost::beast::string_view body,
                                                   boost::beast::error_code&) {
  body_.append(body.data(), body.size());
  body_bytes_ += body.size();
  return body.size();
}

std::size_t upstream_response_parser::on_chunk_body_impl(std::uint64_t,
                                                         boost::beast::string_view body,
                                                         boost::beast::error_code& ec) {
  return on_body_impl(body, ec);
}

namespace {

constexpr std::uint32_t max_retry_after_s = 24 * 60 * 60;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_digits(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" -> seconds since the epoch.
bool parse_imf_fixdate(std::string_view s, std::int64_t& epoch_s) {
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return false;
  static constexpr std::array<std::string_view, 12> months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < months.size(); ++i)
    if (s.substr(8, 3) == months[i]) month = i + 1;
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (month == 0 || !parse_digits(s.substr(5, 2), day) || !parse_digits(s.substr(12, 4), year) ||
      !parse_digits(s.substr(17, 2), hh) || !parse_digits(s.substr(20, 2), mm) ||
      !parse_digits(s.substr(23, 2), ss))
    return false;
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return false;
  epoch_s =
      days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
  return true;
}

}  // namespace

std::uint32_t parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return 0;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    std::uint64_t seconds = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return 0;
      seconds = seconds * 10 + static_cast<unsigned>(c - '0');
      if (seconds > max_retry_after_s) return max_retry_after_s;
    }
    return static_cast<std::uint32_t>(seconds);
  }
  std::int64_t at = 0;
  if (!parse_imf_fixdate(value, at)) return 0;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (at <= now_s) return 0;
  const std::int64_t delta = at - now_s;
  return delta > max_retry_after_s ? max_retry_after_s : static_cast<std::uint32_t>(delta);
}

}  // namespace switchyard::runtime
