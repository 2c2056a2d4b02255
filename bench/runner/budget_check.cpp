// Parsing three known series out of the exposition text: a line is `name{labels} value`.
#include "bench/runner/budget_check.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace switchyard::bench {

namespace {

std::optional<double> sample(std::string_view metrics, const std::string& series) {
  std::size_t at = 0;
  while ((at = metrics.find(series, at)) != std::string_view::npos) {
    const bool line_start = at == 0 || metrics[at - 1] == '\n';
    at += series.size();
    if (!line_start || at >= metrics.size() || metrics[at] != ' ') continue;
    const auto end = metrics.find('\n', at);
    const std::string value{
        metrics.substr(at + 1, end == std::string_view::npos ? end : end - at - 1)};
    char* stop = nullptr;
    const double v = std::strtod(value.c_str(), &stop);
    if (stop != value.c_str()) return v;
  }
  return std::nullopt;
}

}  // namespace

std::optional<budget_outcome> read_budget_outcome(std::string_view metrics,
                                                  std::string_view tenant) {
  const std::string label = "{tenant=\"" + std::string{tenant} + "\"";
  auto budget = sample(metrics, "switchyard_tenant_budget_usd" + label + "}");
  auto spend = sample(metrics, "switchyard_tenant_spend_usd" + label + "}");
  if (!budget || !spend) return std::nullopt;
  budget_outcome b;
  b.budget_usd = *budget;
  b.spend_usd = *spend;
  auto refused =
      sample(metrics, "switchyard_tenant_rejected_total" + label + ",reason=\"budget\"}");
  b.refused = refused ? static_cast<std::uint64_t>(*refused) : 0;
  return b;
}

std::string budget_line(const budget_outcome& b) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "budget USD %.6g, spent USD %.6g, overshoot USD %.6g (%s), %llu request(s) refused "
                "with 402",
                b.budget_usd, b.spend_usd, b.overshoot(),
                b.overshoot() <= 0 ? "within the cap" : "OVER THE CAP",
                static_cast<unsigned long long>(b.refused));
  return buf;
}

}  // namespace switchyard::bench
