// Cost arithmetic and `usage.cost`. JSON is parsed only for the rare body or event that carries
// a usage object (a textual pre-check skips the rest), and rewritten with every other member kept.
#include "protocols/usage_cost.hpp"

#include <string.h>  // memmem

#include <algorithm>

#include <rapidjson/document.h>

#include "protocols/json_parse.hpp"
#include "protocols/json_util.hpp"
#include "protocols/sse.hpp"

namespace switchyard::protocols {

namespace {

bool mentions_usage_object(std::string_view s) {
  constexpr std::string_view key = "\"usage\"";
  std::size_t from = 0;
  while (from < s.size()) {
    const void* hit = ::memmem(s.data() + from, s.size() - from, key.data(), key.size());
    if (hit == nullptr) return false;
    std::size_t i = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data()) + key.size();
    from = i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i >= s.size() || s[i] != ':') continue;
    ++i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i < s.size() && s[i] == '{') return true;
  }
  return false;
}

// The JSON text with `usage.cost` set; nullopt when there is no usage object to put it in.
std::optional<std::string> add_cost(std::string_view json, double usd) {
  if (!mentions_usage_object(json)) return std::nullopt;
  rapidjson::Document doc;
  if (detail::parse_lossless(json, doc).IsError() || !doc.IsObject()) return std::nullopt;
  auto u = doc.FindMember("usage");
  if (u == doc.MemberEnd() || !u->value.IsObject()) return std::nullopt;
  auto& a = doc.GetAllocator();
  if (auto c = u->value.FindMember("cost"); c != u->value.MemberEnd()) {
    c->value.SetDouble(usd);
  } else {
    u->value.AddMember("cost", rapidjson::Value{usd}, a);
  }
  rapidjson::StringBuffer buf;
  detail::json_writer w(buf);
  doc.Accept(w);
  return detail::to_string(buf);
}

}  // namespace

double cost_usd(const token_prices& p, const usage& u) noexcept {
  const double cached = std::min(u.cached_tokens, u.prompt_tokens);
  const double fresh = static_cast<double>(u.prompt_tokens) - cached;
  const double cached_price =
      p.cached_input_usd_per_mtok > 0 ? p.cached_input_usd_per_mtok : p.input_usd_per_mtok;
  return (fresh * p.input_usd_per_mtok + cached * cached_price +
          static_cast<double>(u.completion_tokens) * p.output_usd_per_mtok) /
         1e6;
}

std::string with_usage_cost(std::string body, double usd) {
  if (auto out = add_cost(body, usd)) return std::move(*out);
  return body;
}

std::string with_stream_usage_cost(std::string sse, double usd) {
  if (!mentions_usage_object(sse)) return sse;
  std::string out;
  out.reserve(sse.size() + 32);
  std::string_view rest = sse;
  while (!rest.empty()) {
    // One event: up to and including its blank line (the emitters write "\n" line ends).
    auto end = rest.find("\n\n");
    const std::string_view event =
        rest.substr(0, end == std::string_view::npos ? rest.size() : end + 2);
    rest.remove_prefix(event.size());
    if (!mentions_usage_object(event)) {
      out.append(event);
      continue;
    }
    std::string data;
    std::string head;  // the lines before data (`event: …`)
    std::string_view lines = event;
    bool multi = false;
    while (!lines.empty()) {
      auto eol = lines.find('\n');
      std::string_view line = lines.substr(0, eol);
      lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 1);
      if (line.rfind("data:", 0) == 0) {
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (!data.empty() || multi) data.push_back('\n');
        multi = true;
        data.append(line);
      } else if (!line.empty() && data.empty()) {
        head.append(line).push_back('\n');
      }
    }
    auto rewritten = add_cost(data, usd);
    if (!rewritten) {
      out.append(event);
      continue;
    }
    out.append(head);
    append_sse_frame(out, *rewritten);
  }
  return out;
}

}  // namespace switchyard::protocols
