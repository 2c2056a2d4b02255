// The PromQL the operator-facing files hold: every panel target and template variable of the
// Grafana dashboards, and what an alert rule's expression measures.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::otest {

/// One query and where it came from (for failure messages).
struct query {
  std::string where;  ///< "switchyard-overview.json: panel \"Error ratio\" A"
  std::string expr;
};

/// A `label_values(metric, label)` template variable.
struct label_values_variable {
  std::string where;
  std::string metric;
  std::string label;
};

/// What a dashboard directory holds.
struct dashboards {
  std::vector<query> panel_queries;
  std::vector<label_values_variable> variables;
  std::vector<std::string> problems;  ///< structural faults (schema, missing variables…)
};

/// Reads every `*.json` dashboard in `dir`: panel targets (rows' nested panels included) and
/// `query` variables. Structural checks: schemaVersion ≥ 36, a `datasource` variable of type
/// `datasource` for prometheus, every panel and target on `${datasource}`, unique panel ids, and
/// every variable a query names defined (or a Grafana built-in).
dashboards read_dashboards(const std::filesystem::path& dir);

/// `expr` with Grafana's variables replaced: `$name` / `${name}` / `[[name]]` by `values[name]`,
/// `$__rate_interval`, `$__interval` and `$__range` by `range`. Throws on a variable `values`
/// does not know.
std::string substitute(std::string_view expr, const std::map<std::string, std::string>& values,
                       std::string_view range);

/// The measured side of an alert expression written `<query> <op> <number>` (the rules'
/// convention): `<query>`. An expression without a final comparison is returned whole.
std::string measured_part(std::string_view alert_expr);

}  // namespace switchyard::otest
