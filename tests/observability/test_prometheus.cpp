// The operator-facing observability contract, proven against a real Prometheus: it scrapes a real
// gateway serving load with faults, then every dashboard query, dashboard variable and alert rule
// is evaluated through its HTTP API and must return data; and /metrics agrees with
// docs/metrics.md, name by name and label by label.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "exposition.hpp"
#include "harness.hpp"
#include "prometheus_server.hpp"
#include "queries.hpp"
#include "redis_server.hpp"

using namespace switchyard::itest;
using namespace switchyard::otest;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir{SWITCHYARD_SOURCE_DIR};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of the first sample of an instant vector, or -1.
double first_value(const rapidjson::Value& data) {
  if (result_size(data) == 0 || !data["result"].IsArray()) return -1;
  const auto& v = data["result"][0]["value"][1];
  return std::stod(v.GetString());
}

// Load with every outcome the dashboards and alerts look at: successes (whole and streamed,
// chat and embeddings), failovers, upstream 5xx, unknown models, bad keys, unknown URLs.
void drive_load(std::uint16_t port) {
  for (int i = 0; i < 30; ++i) {
    post_json(port, "/v1/chat/completions", chat_body("chat"), test_key);
    post_json(port, "/v1/chat/completions", chat_body("flaky"), test_key);
    post_json(port, "/v1/embeddings", R"({"model":"embed","input":"hello"})", test_key);
    if (i % 5 == 0) {
      sse_stream s(port, "/v1/chat/completions", chat_body("chat", true), test_key);
      s.rest();
      post_json(port, "/v1/chat/completions", chat_body("no-such-model"), test_key);
      post_json(port, "/v1/chat/completions", chat_body("chat"), "sk-wrong-key-000000000");
      get(port, "/v1/nowhere", test_key);
    }
  }
}

}  // namespace

TEST_CASE("every dashboard query, variable and alert rule returns data from a real Prometheus") {
  temp_dir dir;
  mock_provider a(
      dir, "a",
      mock_options().reply_tokens(20).fault(R"({"kind":"status","status":503,"probability":0.3})"));
  mock_provider b(dir, "b", mock_options().reply_tokens(20));
  mock_provider bad(dir, "bad", mock_options().fault(R"({"kind":"status","status":500})"));
  // Shared counters, so that the cluster families (counters: redis://… only) are exported too.
  redis_server redis(dir);
  auto yaml = config_builder()
                  .counters(redis.url())
                  .server("access_log", (dir.path() / "access.log").string())
                  .provider("a", a.base_url())
                  .provider("b", b.base_url())
                  .provider("bad", bad.base_url())
                  .model("chat", {{"a", "mock-gpt"}, {"b", "mock-gpt"}})
                  .model("embed", {{"a", "mock-embedding"}, {"b", "mock-embedding"}})
                  .model("flaky", {{"bad", "mock-gpt"}})
                  // A budget, so that the tenant budget series (gauges) exist for `itest`.
                  .itest_setting("budget", "{ usd: 1000, period: monthly }")
                  .render(dir);
  gateway gw(dir, yaml);
  prometheus_server prom(dir, gw.port(), source_dir / "docs/prometheus/alerts.yml");

  // The target is up before the load, so rates have a baseline sample.
  REQUIRE(eventually([&] { return first_value(prom.query(R"(up{job="switchyard"})")) == 1; }, 60s,
                     200ms));
  drive_load(gw.port());

  // Prometheus has the whole load, and two more scrapes after it. Requests are counted when
  // their actor ends, just after the response: wait until none is left.
  std::string exposed_text;
  REQUIRE(eventually([&] {
    exposed_text = get(gw.port(), "/metrics").body;
    return exposed_text.find("\nswitchyard_request_actors_in_flight 0\n") != std::string::npos;
  }));
  const double api_requests = [&] {
    double n = 0;
    std::istringstream in(exposed_text);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("switchyard_requests_total{", 0) == 0)
        n += std::stod(line.substr(line.rfind(' ') + 1));
    return n;
  }();
  REQUIRE(api_requests > 0);
  REQUIRE(eventually(
      [&] { return first_value(prom.query("sum(switchyard_requests_total)")) == api_requests; },
      60s, 200ms));
  const double scrapes = first_value(prom.query(R"(count_over_time(up{job="switchyard"}[10m]))"));
  REQUIRE(eventually(
      [&] {
        return first_value(prom.query(R"(count_over_time(up{job="switchyard"}[10m]))")) >=
               scrapes + 2;
      },
      60s, 200ms));

  exposed_text = get(gw.port(), "/metrics").body;
  const auto exposed = parse_exposition(exposed_text);

  // --- /metrics against docs/metrics.md, both ways --------------------------------------------
  {
    auto documented = parse_metrics_doc(slurp(source_dir / "docs/metrics.md"));
    REQUIRE(documented.size() > 20);
    for (const auto& diff : compare_catalogues(exposed, documented)) {
      INFO(diff);
      CHECK(false);
    }
  }

  // --- dashboards ------------------------------------------------------------------------------
  auto boards = read_dashboards(source_dir / "docs/grafana");
  for (const auto& problem : boards.problems) {
    INFO(problem);
    CHECK(false);
  }
  REQUIRE(boards.panel_queries.size() > 20);
  REQUIRE(boards.variables.size() >= 3);
  for (const auto& v : boards.variables) {
    auto values = prom.api("label/" + v.label + "/values", {{"match[]", v.metric}});
    INFO(v.where << ": label_values(" << v.metric << ", " << v.label << ")");
    CHECK(values.IsArray());
    CHECK(values.Size() > 0);
  }
  const std::map<std::string, std::string> values{
      {"model", "chat"}, {"provider", "a"}, {"tenant", "itest"}, {"datasource", "prometheus"}};
  for (const auto& q : boards.panel_queries) {
    std::string expr = substitute(q.expr, values, "5m");
    INFO(q.where << "\n" << expr);
    for (const auto& name : metric_names_in(expr, exposed)) {
      INFO("metric " << name);
      CHECK(exposed.count(name) == 1);
    }
    auto data = prom.query(expr);
    INFO(to_json(data));
    CHECK(result_size(data) > 0);
  }

  // --- alert rules: loaded, evaluated without error, each measuring something ------------------
  std::vector<std::pair<std::string, std::string>> rules;  // name, expr
  REQUIRE(eventually(
      [&] {
        rules.clear();
        auto data = prom.api("rules");
        bool all_evaluated = true;
        for (const auto& g : data["groups"].GetArray())
          for (const auto& r : g["rules"].GetArray()) {
            rules.emplace_back(r["name"].GetString(), r["query"].GetString());
            if (std::string{r["health"].GetString()} != "ok") all_evaluated = false;
          }
        return !rules.empty() && all_evaluated;
      },
      60s, 200ms));
  std::size_t alerts_in_file = 0;
  {
    std::istringstream in(slurp(source_dir / "docs/prometheus/alerts.yml"));
    for (std::string line; std::getline(in, line);)
      if (line.find("- alert:") != std::string::npos) ++alerts_in_file;
  }
  CHECK(rules.size() == alerts_in_file);
  for (const auto& [name, expr] : rules) {
    std::string measured = measured_part(expr);
    INFO("alert " << name << "\n" << measured);
    CHECK(measured != expr);  // the rules' convention: `<query> <op> <number>`
    for (const auto& metric : metric_names_in(measured, exposed)) {
      INFO("metric " << metric);
      CHECK(exposed.count(metric) == 1);
    }
    auto data = prom.query(measured);
    INFO(to_json(data));
    CHECK(result_size(data) > 0);
  }

  // A rule that fires on this load proves the rules see the gateway's series, not only parse:
  // `flaky` answers 5xx to a third of the requests, so the error ratio is well above 5%.
  auto error_rule = std::find_if(rules.begin(), rules.end(), [](const auto& r) {
    return r.first == "SwitchyardHighErrorRatio";
  });
  REQUIRE(error_rule != rules.end());
  auto ratio = prom.query(measured_part(error_rule->second));
  CHECK(first_value(ratio) > 0.05);

  prom.proc().stop();
  CHECK_FALSE(prom.proc().running());
}
