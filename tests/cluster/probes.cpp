// Usage rows and /metrics samples for the cluster tests.
#include "probes.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace switchyard::ctest {

using itest::postgres_server;
using itest::redis_server;

recorded_usage read_usage(const postgres_server& pg, std::string_view tenant) {
  // Tenant names are [A-Za-z0-9._-] (config/loader.cpp): safe inside a quoted literal.
  for (char c : tenant)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      throw std::invalid_argument("not a tenant name: " + std::string(tenant));
  const std::string where = " FROM usage WHERE tenant = '" + std::string(tenant) + "'";
  recorded_usage u;
  auto totals =
      pg.query("SELECT count(*), count(DISTINCT record_id), coalesce(sum(cost_usd), 0)" + where);
  if (totals.size() != 1 || totals[0].size() != 3)
    throw std::runtime_error("usage totals: unexpected result shape");
  u.records = std::stoul(totals[0][0]);
  u.distinct_record_ids = std::stoul(totals[0][1]);
  u.spend_usd = std::stod(totals[0][2]);
  for (const auto& row :
       pg.query("SELECT request_id, count(*), max(status)" + where + " GROUP BY request_id")) {
    u.per_request[row.at(0)] = std::stoul(row.at(1));
    u.status[row.at(0)] = std::stoi(row.at(2));
  }
  return u;
}

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

}  // namespace

std::map<std::string, double> budget_leases(const itest::redis_server& redis,
                                            std::string_view tenant) {
  const auto keys = split_lines(
      redis.query({"KEYS", "switchyard:budget:{tenant:" + std::string(tenant) + ":*}:leases"}));
  if (keys.size() != 1)
    throw std::runtime_error("expected the lease hash of one budget period of tenant " +
                             std::string(tenant) + ", found " + std::to_string(keys.size()));
  const auto fields = split_lines(redis.query({"HGETALL", keys[0]}));
  if (fields.size() % 2 != 0) throw std::runtime_error("HGETALL " + keys[0] + ": odd reply");
  std::map<std::string, double> leases;
  for (std::size_t i = 0; i < fields.size(); i += 2) leases[fields[i]] = std::stod(fields[i + 1]);
  return leases;
}

namespace {

// Calls `each(labels, value)` for every sample line of `name` (exactly that family member: the
// name followed by '{' or ' ').
template <class F>
void for_samples(std::string_view text, std::string_view name, F&& each) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    auto line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) continue;
    auto rest = line.substr(name.size());
    std::string_view labels;
    if (!rest.empty() && rest[0] == '{') {
      auto close = rest.find('}');
      if (close == std::string_view::npos) continue;
      labels = rest.substr(0, close + 1);
      rest = rest.substr(close + 1);
    }
    if (rest.empty() || rest[0] != ' ') continue;
    each(labels, std::strtod(std::string(rest.substr(1)).c_str(), nullptr));
  }
}

}  // namespace

double metric_sum(std::string_view exposition, std::string_view name, std::string_view labels) {
  std::vector<std::string_view> matchers;
  for (std::size_t at = 0; at < labels.size();) {
    auto comma = labels.find(',', at);
    if (comma == std::string_view::npos) comma = labels.size();
    matchers.push_back(labels.substr(at, comma - at));
    at = comma + 1;
  }
  double sum = 0;
  for_samples(exposition, name, [&](std::string_view l, double v) {
    for (auto m : matchers)
      if (l.find(m) == std::string_view::npos) return;
    sum += v;
  });
  return sum;
}

bool has_metric(std::string_view exposition, std::string_view name) {
  bool found = false;
  for_samples(exposition, name, [&](std::string_view, double) { found = true; });
  return found;
}

}  // namespace switchyard::ctest
