// The observability tests' own parsers: if they were lenient, the Prometheus-backed test could
// pass without checking anything.
#include <catch2/catch.hpp>

#include "exposition.hpp"
#include "queries.hpp"

using namespace switchyard::otest;

TEST_CASE("parsers: exposition families, label sets and histograms") {
  auto c = parse_exposition(
      "# HELP a_total help\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"}\"} 3\n"
      "a_total{x=\"2\",y=\"\"} 0\n# TYPE h histogram\nh_bucket{m=\"a\",le=\"0.1\"} 1\n"
      "h_bucket{m=\"a\",le=\"+Inf\"} 1\nh_sum{m=\"a\"} 0.05\nh_count{m=\"a\"} 1\n"
      "# TYPE g gauge\ng 7\n");
  REQUIRE(c.size() == 3);
  CHECK(c["a_total"].type == "counter");
  CHECK(c["a_total"].label_sets == std::set<std::set<std::string>>{{"x", "y"}});
  CHECK(c["a_total"].samples == 2);
  CHECK(c["h"].label_sets == std::set<std::set<std::string>>{{"m"}});
  CHECK(c["h"].samples == 4);
  CHECK(c["g"].label_sets == std::set<std::set<std::string>>{{}});
  CHECK(count_series("# TYPE g gauge\ng 1\ng{a=\"b\"} 2\n") == 2);
  CHECK_THROWS(parse_exposition("undeclared 1\n"));
  CHECK_THROWS(parse_exposition("# TYPE x gauge\nx{a=b} 1\n"));
}

TEST_CASE("parsers: documented metrics and the comparison both ways") {
  auto doc = parse_metrics_doc(
      "| metric | type | labels | meaning |\n|---|---|---|---|\n"
      "| `switchyard_a_total` | counter | `model`, `route` | A. |\n"
      "| `switchyard_h` | histogram | `model` | H. |\n\ntext\n\n"
      "| metric | type | meaning |\n|---|---|---|\n| `switchyard_g` | gauge | G. |\n"
      "| status | code | when |\n|---|---|---|\n| 400 | `x` | y |\n");
  REQUIRE(doc.size() == 3);
  CHECK(doc["switchyard_a_total"].label_sets ==
        std::set<std::set<std::string>>{{"model", "route"}});
  CHECK(doc["switchyard_g"].label_sets == std::set<std::set<std::string>>{{}});

  auto exposed = parse_exposition(
      "# TYPE switchyard_a_total counter\nswitchyard_a_total{model=\"m\",route=\"r\"} 1\n"
      "# TYPE switchyard_h histogram\nswitchyard_h_bucket{model=\"m\",le=\"+Inf\"} 1\n"
      "switchyard_h_sum{model=\"m\"} 1\nswitchyard_h_count{model=\"m\"} 1\n"
      "# TYPE switchyard_g gauge\nswitchyard_g 1\n");
  CHECK(compare_catalogues(exposed, doc).empty());

  auto wrong = parse_exposition(
      "# TYPE switchyard_a_total gauge\nswitchyard_a_total{model=\"m\"} 1\n"
      "# TYPE switchyard_extra gauge\nswitchyard_extra 1\n"
      "# TYPE switchyard_g gauge\n");
  auto diffs = compare_catalogues(wrong, doc);
  std::set<std::string> got(diffs.begin(), diffs.end());
  CHECK(got == std::set<std::string>{
                   "switchyard_a_total is a gauge but documented as a counter",
                   "switchyard_a_total has a series with labels {model}, documented {model,route}",
                   "switchyard_extra is exported but not documented in docs/metrics.md",
                   "switchyard_g is documented but not exported",
                   "switchyard_h is documented but not exported"});
}

TEST_CASE("parsers: metric names in PromQL, histogram suffixes folded") {
  auto exposed =
      parse_exposition("# TYPE switchyard_h histogram\n# TYPE switchyard_c_total counter\n");
  CHECK(metric_names_in("histogram_quantile(0.9, sum by (le) (rate(switchyard_h_bucket[5m]))) / "
                        "sum(rate(switchyard_c_total[5m])) + switchyard_x_count",
                        exposed) ==
        std::set<std::string>{"switchyard_h", "switchyard_c_total", "switchyard_x_count"});
}

TEST_CASE("parsers: Grafana variables are substituted, unknown ones refused") {
  std::map<std::string, std::string> v{{"model", "chat"}, {"provider", "a"}};
  CHECK(substitute(R"(rate(x{model=~"$model",p=~"${provider}",q="[[model]]"}[$__rate_interval]))",
                   v, "5m") == R"(rate(x{model=~"chat",p=~"a",q="chat"}[5m]))");
  CHECK(substitute("increase(x[$__range]) + y[$__interval]", v, "1m") == "increase(x[1m]) + y[1m]");
  CHECK(substitute("${model:regex}", v, "1m") == "chat");
  CHECK_THROWS(substitute("x{t=\"$tenant\"}", v, "5m"));
}

TEST_CASE("parsers: an alert's measured side is what precedes its final comparison") {
  CHECK(measured_part("a / b > 0.05") == "a / b");
  CHECK(measured_part("increase(x[10m]) > 0") == "increase(x[10m])");
  CHECK(measured_part("rate(a[5m])\n+ rate(b[5m]) >= 1e3") == "rate(a[5m])\n+ rate(b[5m])");
  CHECK(measured_part("x != 0") == "x");
  CHECK(measured_part("x < -1.5") == "x");
  CHECK(measured_part("absent(x)") == "absent(x)");  // no comparison: the whole expression
  CHECK(measured_part("x > y") == "x > y");          // not against a number
}
