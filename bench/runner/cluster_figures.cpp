// Redis round trips and CPU per request, for the cluster scenario's report.
#include "bench/runner/cluster_figures.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace switchyard::bench {

double counters_operations(std::string_view metrics) {
  constexpr std::string_view name = "switchyard_counters_operations_total";
  double sum = 0;
  std::istringstream lines{std::string(metrics)};
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, name.size(), name) != 0) continue;
    auto rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;  // another family
    auto sp = line.rfind(' ');
    if (sp != std::string::npos) sum += std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return sum;
}

std::string counters_line(double operations, std::uint64_t completed) {
  char buf[160];
  if (completed == 0) {
    std::snprintf(buf, sizeof buf, "Redis round trips: %.0f (no request completed)", operations);
  } else {
    std::snprintf(buf, sizeof buf, "Redis round trips: %.0f, %.4f per completed request",
                  operations, operations / static_cast<double>(completed));
  }
  return buf;
}

std::string cpu_line(double cpu_seconds, std::uint64_t completed) {
  char buf[160];
  if (cpu_seconds <= 0) {
    std::snprintf(buf, sizeof buf, "gateway CPU: not measured");
  } else {
    std::snprintf(buf, sizeof buf, "gateway CPU: %.2f s, %.0f completed requests per CPU-second",
                  cpu_seconds, static_cast<double>(completed) / cpu_seconds);
  }
  return buf;
}

}  // namespace switchyard::bench
