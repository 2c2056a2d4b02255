// psql, redis-cli and /metrics samples for the cluster tests.
#include "probes.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"

namespace switchyard::ctest {

using namespace itest;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Runs a client tool to completion; its stdout, or an exception with its stderr.
std::string run_tool(const std::string& name, std::vector<std::string> argv) {
  temp_dir scratch;
  process p(name, std::move(argv), scratch.path() / "stderr");
  auto code = p.wait_exit(std::chrono::seconds(30));
  if (!code) throw std::runtime_error(name + " did not finish within 30 s");
  p.wait_stdout_closed(std::chrono::seconds(5));
  if (*code != 0)
    throw std::runtime_error(name + " failed (exit " + std::to_string(*code) +
                             "): " + p.stderr_text());
  return p.stdout_text();
}

}  // namespace

std::vector<std::string> psql_rows(const std::string& url, const std::string& sql) {
  // -X: no ~/.psqlrc; -A -t: bare rows; ON_ERROR_STOP: an SQL error is a non-zero exit.
  return lines_of(run_tool("psql", {PSQL_BINARY, "-X", "-A", "-t", "-F", "|", "-v",
                                    "ON_ERROR_STOP=1", "-d", url, "-c", sql}));
}

recorded_usage read_usage(const std::string& url, std::string_view tenant) {
  // Tenant names are [A-Za-z0-9._-] (config/loader.cpp): safe inside a quoted literal.
  for (char c : tenant)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      throw std::invalid_argument("not a tenant name: " + std::string(tenant));
  const std::string where = " FROM usage WHERE tenant = '" + std::string(tenant) + "'";
  recorded_usage u;
  auto totals = psql_rows(url,
                          "SELECT count(*), count(DISTINCT record_id), "
                          "coalesce(sum(cost_usd), 0)" +
                              where);
  if (totals.size() != 1) throw std::runtime_error("psql: no totals row");
  std::istringstream t(totals[0]);
  std::string field;
  std::getline(t, field, '|');
  u.records = std::stoul(field);
  std::getline(t, field, '|');
  u.distinct_record_ids = std::stoul(field);
  std::getline(t, field, '|');
  u.spend_usd = std::stod(field);
  for (const auto& row : psql_rows(
           url, "SELECT request_id, count(*), max(status)" + where + " GROUP BY request_id")) {
    std::istringstream r(row);
    std::string id, n, status;
    std::getline(r, id, '|');
    std::getline(r, n, '|');
    std::getline(r, status, '|');
    u.per_request[id] = std::stoul(n);
    u.status[id] = std::stoi(status);
  }
  return u;
}

std::vector<std::string> redis_cli(std::uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {REDIS_CLI_BINARY, "-h", "127.0.0.1", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return lines_of(run_tool("redis-cli", std::move(argv)));
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
  double sum = 0;
  for_samples(exposition, name, [&](std::string_view l, double v) {
    if (labels.empty() || l.find(labels) != std::string_view::npos) sum += v;
  });
  return sum;
}

bool has_metric(std::string_view exposition, std::string_view name) {
  bool found = false;
  for_samples(exposition, name, [&](std::string_view, double) { found = true; });
  return found;
}

}  // namespace switchyard::ctest
