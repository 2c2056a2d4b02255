// The benchmark runner's pieces that need no running system: its arguments, bad scenario files
// refused before anything starts, the generator's report, the generated configurations, the
// markdown report and the SVG plots.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "bench/runner/configs.hpp"
#include "bench/runner/load_report.hpp"
#include "bench/runner/process.hpp"
#include "bench/runner/report.hpp"
#include "bench/runner/runner.hpp"
#include "bench/runner/svg_plot.hpp"

using namespace switchyard::bench;
namespace fs = std::filesystem;

namespace {

std::string args_error(std::vector<std::string_view> a) {
  auto r = parse_runner_args(a);
  return r ? std::string() : r.error();
}

// A scratch directory removed at the end of the test.
struct scratch {
  fs::path dir = fs::temp_directory_path() / ("bench-runner-test-" + std::to_string(::getpid()));
  scratch() { fs::create_directories(dir); }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

const char* report_json = R"({
  "valid": false, "invalid_reasons": ["the generator fell behind its schedule"], "warnings": ["w"],
  "generator_fell_behind": true,
  "duration": {"measured_s": 2.0, "warmup_s": 1.0, "elapsed_s": 3.1},
  "rate": {"target_rps": 50.0, "scheduled_rps": 50.0, "sent_rps": 50.0, "completed_rps": 49.0, "ok_rps": 45.0},
  "counts": {"scheduled": 100, "sent": 100, "completed": 98, "ok": 90, "failed": 2, "non_2xx": 8, "errors": 10,
             "error_rate": 0.1, "unfinished": 0},
  "status": {"classes": {"2xx": 90, "5xx": 8}, "codes": {"200": 90, "503": 8}},
  "errors": {"reset": {"count": 2, "example": "connection reset by peer"}},
  "latency": {"count": 98, "min_ms": 0.05, "mean_ms": 3, "p50_ms": 1.5, "p90_ms": 4, "p99_ms": 9, "p99_9_ms": 12, "max_ms": 13},
  "ttft": {"count": 0, "min_ms": null, "mean_ms": null, "p50_ms": null, "p90_ms": null, "p99_ms": null, "p99_9_ms": null, "max_ms": null},
  "streams": {"count": 4, "done": 3, "error_event": 0, "no_done": 0, "cut": 1},
  "time_series": [{"t": 0, "warmup": true, "sent": 50, "completed": 48, "errors": 1, "in_flight": 2, "p50_ms": 1.0, "p99_ms": null},
                  {"t": 1, "warmup": false, "sent": 50, "completed": 50, "errors": 0, "in_flight": 7, "p50_ms": 2.0, "p99_ms": 5.0}]
})";

}  // namespace

TEST_CASE("runner: arguments") {
  auto r = parse_runner_args(
      {"overhead", "--systems", "direct,switchyard", "--results=/tmp/x", "--check"});
  REQUIRE(r.ok());
  CHECK(r.value().scenario == "overhead");
  CHECK(r.value().only_systems == std::vector<std::string>{"direct", "switchyard"});
  CHECK(r.value().results_dir == "/tmp/x");
  CHECK(r.value().check_only);
  CHECK(parse_runner_args({"--help"}).value().help);
  CHECK(args_error({}) == "which scenario? e.g. bench/run overhead (see --help)");
  CHECK(args_error({"a", "b"}) == "one scenario at a time (got \"a\" and \"b\")");
  CHECK(args_error({"a", "--fast"}) == "unknown option --fast (see --help)");
  CHECK(args_error({"a", "--systems"}) == "--systems: missing value");
  CHECK(args_error({"a", "--systems", "x,,y"}) == "--systems: empty name in the list");
}

TEST_CASE("runner: bad scenarios are refused before anything starts") {
  scratch s;
  runner_options o;
  o.root = s.dir.string();
  o.build_dir = (s.dir / "no-build").string();
  o.results_dir = (s.dir / "results").string();

  o.scenario = s.write(
      "bad.yaml", "systems: [direct]\nmocks: [{name: m}]\nloads: [{name: l, rate: 1, sped: 2}]\n");
  CHECK(run_scenario(o) == runner_bad_input);
  CHECK_FALSE(fs::exists(s.dir / "results"));

  fs::create_directories(s.dir / "bench" / "scenarios");
  o.scenario = "no-such-scenario";
  CHECK(run_scenario(o) == runner_bad_input);

  // A good scenario whose binaries are missing is an environment problem, not a result.
  o.scenario =
      s.write("good.yaml", "systems: [direct]\nmocks: [{name: m}]\nloads: [{name: l, rate: 1}]\n");
  CHECK(run_scenario(o) == runner_environment);
  CHECK_FALSE(fs::exists(s.dir / "results"));

  o.scenario =
      s.write("sys.yaml", "systems: [direct]\nmocks: [{name: m}]\nloads: [{name: l, rate: 1}]\n");
  o.only_systems = {"nginx"};
  CHECK(run_scenario(o) == runner_bad_input);
}

TEST_CASE("runner: the generator's report is read, valid or not") {
  auto r = parse_load_report(report_json);
  REQUIRE(r.ok());
  const auto& rep = r.value();
  CHECK_FALSE(rep.valid);
  CHECK(rep.fell_behind);
  CHECK(rep.invalid_reasons == std::vector<std::string>{"the generator fell behind its schedule"});
  CHECK(*rep.target_rps == 50);
  CHECK(rep.ok_rps == 45);
  CHECK(rep.errors == 10);
  CHECK(rep.error_rate == 0.1);
  CHECK(rep.latency.p99 == 9);
  CHECK(rep.ttft.count == 0);
  REQUIRE(rep.status_codes.size() == 2);
  CHECK(rep.status_codes[1] == std::pair<std::string, std::uint64_t>{"503", 8});
  REQUIRE(rep.error_kinds.size() == 1);
  CHECK(rep.error_kinds[0].example == "connection reset by peer");
  CHECK(rep.streams_cut == 1);
  REQUIRE(rep.series.size() == 2);
  CHECK(rep.series[0].warmup);
  CHECK_FALSE(rep.series[0].p99_ms);
  CHECK(*rep.series[1].p99_ms == 5);
  CHECK(rep.peak_in_flight() == 7);

  CHECK(parse_load_report("{").error().rfind("the generator's report is not valid JSON", 0) == 0);
  CHECK(parse_load_report(R"({"valid":true})").error() ==
        "the generator's report has no \"counts\"");
}

TEST_CASE("runner: generated Switchyard configuration") {
  auto sc = parse_scenario(R"(systems: [switchyard]
mocks: [{name: primary}, {name: secondary}]
gateway:
  server: { io_threads: 1 }
  provider: { max_in_flight: 77 }
  model: { max_attempts: 2 }
  top: { counters: "redis://127.0.0.1:1" }
loads: [{name: l, rate: 1}]
)",
                           "s.yaml");
  REQUIRE(sc.ok());
  auto y = YAML::Load(switchyard_config(sc.value(), {1111, 2222}, "/w", 3));
  CHECK(y["server"]["listen"].as<std::string>() == "127.0.0.1:0");
  CHECK(y["server"]["io_threads"].as<int>() == 1);
  CHECK(y["storage"].as<std::string>() == "sqlite:///w/switchyard-3.db");
  CHECK(y["server"]["spool_dir"].as<std::string>() == "/w/spool-3");  // one journal per node
  CHECK(y["counters"].as<std::string>() == "redis://127.0.0.1:1");
  REQUIRE(y["providers"].size() == 2);
  CHECK(y["providers"][1]["name"].as<std::string>() == "secondary");
  CHECK(y["providers"][1]["base_url"].as<std::string>() == "http://127.0.0.1:2222/v1");
  CHECK(y["providers"][0]["type"].as<std::string>() == "openai-compatible");
  CHECK(y["providers"][0]["max_in_flight"].as<int>() == 77);
  CHECK(y["models"][0]["name"].as<std::string>() == "bench");
  CHECK(y["models"][0]["max_attempts"].as<int>() == 2);
  CHECK(y["models"][0]["targets"][1]["provider"].as<std::string>() == "secondary");
  CHECK(y["tenants"][0]["keys"][0].as<std::string>() == "sk-bench");
}

TEST_CASE("runner: nginx as failover proxy and as load balancer; Portkey headers") {
  auto proxy = nginx_config({1001, 1002}, 3000, "/n", 20000, false);
  CHECK(proxy.find("server 127.0.0.1:1001 max_fails=0;") != std::string::npos);
  CHECK(proxy.find("server 127.0.0.1:1002 max_fails=0 backup;") != std::string::npos);
  CHECK(proxy.find("proxy_next_upstream error timeout http_429") != std::string::npos);
  CHECK(proxy.find("listen 127.0.0.1:3000") != std::string::npos);
  CHECK(proxy.find("worker_rlimit_nofile 20000;") != std::string::npos);
  auto lb = nginx_config({1001, 1002}, 3000, "/n", 1024, true);
  CHECK(lb.find("backup") == std::string::npos);
  CHECK(lb.find("proxy_next_upstream") == std::string::npos);

  CHECK(portkey_headers({5}) ==
        std::vector<std::string>{"x-portkey-provider: openai",
                                 "x-portkey-custom-host: http://127.0.0.1:5/v1"});
  auto chain = portkey_headers({5, 6});
  REQUIRE(chain.size() == 1);
  CHECK(chain[0].rfind("x-portkey-config: {\"strategy\":{\"mode\":\"fallback\"", 0) == 0);
  CHECK(chain[0].find("http://127.0.0.1:6/v1") != std::string::npos);
}

TEST_CASE("runner: the markdown report tabulates results and never an invalid run") {
  auto sc = parse_scenario(R"(name: t
systems: [direct, switchyard]
mocks: [{name: m, phases: [{from_s: 1, to_s: 2, down: true}]}]
loads: [{name: l, rate: 50, duration_s: 2, warmup_s: 1}]
memory: { max_bytes_per_stream: 1000 }
)",
                           "t.yaml");
  REQUIRE(sc.ok());
  run_record r;
  r.sc = sc.value();
  r.nproc = 2;
  r.cpu = "Test CPU";
  r.command = "bench/run t";
  r.load_average = {{0, 1.5}, {1, 2.5}};
  auto good = parse_load_report(report_json).value();
  good.valid = true;
  good.invalid_reasons.clear();
  system_run d;
  d.name = "direct";
  d.kind = system_kind::direct;
  load_run dl;
  dl.load = "l";
  dl.report = good;
  dl.rss_before = 1000;
  dl.rss_peak = 8000;
  d.loads.push_back(dl);
  system_run s;
  s.name = "switchyard";
  s.kind = system_kind::switchyard;
  load_run sl;
  sl.load = "l";
  sl.report = parse_load_report(report_json).value();  // invalid: the generator fell behind
  s.loads.push_back(sl);
  r.systems = {d, s};

  auto md = render_markdown(r);
  CHECK(md.find("# Benchmark: t") != std::string::npos);
  CHECK(md.find("2 × Test CPU") != std::string::npos);
  CHECK(md.find("min 1.50, mean 2.00, max 2.50") != std::string::npos);
  CHECK(md.find("| direct | valid | 45 | 10.00% | 1.50 ms | 4.00 ms | 9.00 ms |") !=
        std::string::npos);
  CHECK(md.find("| switchyard | **not a result** |") != std::string::npos);
  CHECK(md.find("Not a result — switchyard: the generator fell behind its schedule") !=
        std::string::npos);
  CHECK(md.find("8 × HTTP 503") != std::string::npos);
  CHECK(md.find("0 s – 2 s") == std::string::npos);
  CHECK(md.find("1 s – 2 s: m down") != std::string::npos);
  // Memory: (8000 - 1000) / 7 in flight = 1000 bytes each, at the 1000-byte target.
  CHECK(md.find("| direct | l | 1000 B | 7.8 KiB |") != std::string::npos);
  CHECK(md.find("1000 B | ≤ 1000 B: **met**") != std::string::npos);
  CHECK(md.find("![Latency by percentile, load l](latency-l.svg)") != std::string::npos);

  CHECK(format_ms(0.25) == "250 µs");
  CHECK(format_ms(1234) == "1.23 s");
  CHECK(format_ms(-2.5) == "−2.50 ms");
  CHECK(format_bytes(32768) == "32.0 KiB");
}

TEST_CASE("runner: circuit reactions to fault phases, and admitted vs refused latency") {
  phase_spec down;
  down.from_s = 5;
  down.to_s = 10;
  down.down = true;
  load_run::circuit_series c{
      "primary",
      {{4.9, 0}, {5.0, 0}, {5.4, 1}, {9.9, 1}, {10.2, 2}, {10.5, 1}, {12.0, 2}, {12.3, 0}}};
  auto re = circuit_reaction_to(c, down);
  REQUIRE(re.ejected_after_s);
  CHECK(*re.ejected_after_s == Approx(0.4));
  REQUIRE(re.closed_after_s);
  CHECK(*re.closed_after_s == Approx(2.3));
  load_run::circuit_series never{"primary", {{5.0, 0}, {11.0, 0}}};
  CHECK_FALSE(circuit_reaction_to(never, down).ejected_after_s);
  CHECK_FALSE(circuit_reaction_to(never, down).closed_after_s);
  load_run::circuit_series stuck{"primary", {{6.0, 1}, {20.0, 1}}};
  CHECK(circuit_reaction_to(stuck, down).ejected_after_s);
  CHECK_FALSE(circuit_reaction_to(stuck, down).closed_after_s);

  auto sc = parse_scenario(R"(name: t
systems: [switchyard]
mocks: [{name: primary, phases: [{from_s: 5, to_s: 10, down: true, label: gone}]}]
loads: [{name: l, rate: 50, duration_s: 20, warmup_s: 1}]
)",
                           "t.yaml");
  INFO((sc.ok() ? std::string() : sc.error()));
  REQUIRE(sc.ok());
  run_record r;
  r.sc = sc.value();
  system_run s;
  s.name = "switchyard";
  s.kind = system_kind::switchyard;
  load_run sl;
  sl.load = "l";
  sl.report = parse_load_report(report_json).value();
  sl.report->valid = true;
  sl.report->invalid_reasons.clear();
  sl.report->latency_ok = {90, 1, 2, 3, 4, 5, 6, 7};
  sl.report->latency_rejected = {10, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7};
  sl.circuits = {c};
  s.loads.push_back(sl);
  r.systems = {s};
  auto md = render_markdown(r);
  CHECK(md.find("| switchyard | 90 | 3.00 ms | 5.00 ms | – | 10 | 300 µs | 500 µs | 700 µs |") !=
        std::string::npos);
  CHECK(md.find("| switchyard | primary | gone (5–10 s) | 400.0 ms | 2.30 s | 2 |") !=
        std::string::npos);
}

TEST_CASE("runner: SVG plots are well formed, with bands, series and escaped text") {
  plot_panel p;
  p.title = "a < b & c";
  p.log_y = true;
  p.series.push_back({"one", series_color(0), {{0, 1}, {1, std::nan("")}, {2, 100}}, true});
  p.bands.push_back({0.5, 1.5, "down", band_color("down")});
  auto svg = render_svg("T", {p, p});
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("a &lt; b &amp; c") != std::string::npos);
  CHECK(svg.find("fill-opacity=\"0.15\"") != std::string::npos);
  // The NaN breaks the line: two separate moves, no line through the gap.
  auto path_at = svg.find("<path d=\"M");
  REQUIRE(path_at != std::string::npos);
  auto path_end = svg.find('"', path_at + 9);
  auto d = svg.substr(path_at + 9, path_end - path_at - 9);
  CHECK(std::count(d.begin(), d.end(), 'M') == 2);
  CHECK(std::count(d.begin(), d.end(), 'L') == 0);

  CHECK(nice_ticks(0, 100, false) == std::vector<double>{0, 20, 40, 60, 80, 100});
  CHECK(nice_ticks(1, 1000, true) == std::vector<double>{1, 10, 100, 1000});
  CHECK(nice_ticks(1, 10, true) == std::vector<double>{1, 2, 5, 10});
  CHECK(percentile_x(90) == Approx(1));
  CHECK(percentile_x(99.9) == Approx(3));
  CHECK(percentile_x(100) == 4);
}

TEST_CASE("runner: listening lines and /proc readings") {
  CHECK(port_of_listening_line("switchyard listening on 127.0.0.1:4321") == std::uint16_t{4321});
  CHECK(port_of_listening_line("mock_provider listening on [::1]:80") == std::uint16_t{80});
  CHECK_FALSE(port_of_listening_line("listening on 127.0.0.1:0"));
  CHECK_FALSE(port_of_listening_line("listening on 127.0.0.1:99999"));
  CHECK_FALSE(port_of_listening_line("ready"));
  auto m = read_memory(::getpid());
  CHECK(m.rss > 0);
  CHECK(m.hwm >= m.rss);
  CHECK(count_fds(::getpid()) > 2);
  CHECK(cpu_seconds(::getpid()) >= 0);
  CHECK(read_memory(-5).rss == 0);
  CHECK(free_port().has_value());
}

TEST_CASE("budget check: reads the tenant's budget, spend and 402s from /metrics") {
  const std::string metrics =
      "# TYPE switchyard_tenant_budget_usd gauge\n"
      "switchyard_tenant_budget_usd{tenant=\"other\"} 9\n"
      "switchyard_tenant_budget_usd{tenant=\"bench\"} 0.5\n"
      "switchyard_tenant_spend_usd{tenant=\"bench\"} 0.4998\n"
      "switchyard_tenant_rejected_total{tenant=\"bench\",reason=\"rpm\"} 3\n"
      "switchyard_tenant_rejected_total{tenant=\"bench\",reason=\"budget\"} 1234\n";
  auto b = switchyard::bench::read_budget_outcome(metrics, "bench");
  REQUIRE(b);
  CHECK(b->budget_usd == 0.5);
  CHECK(b->spend_usd == 0.4998);
  CHECK(b->refused == 1234);
  CHECK(b->overshoot() < 0);
  CHECK_THAT(switchyard::bench::budget_line(*b),
             Catch::Contains("within the cap") && Catch::Contains("1234 request(s) refused"));
  b->spend_usd = 0.51;
  CHECK_THAT(switchyard::bench::budget_line(*b), Catch::Contains("OVER THE CAP"));
  CHECK_FALSE(switchyard::bench::read_budget_outcome(metrics, "nobody"));
}

TEST_CASE("runner: switchyard-metrics-off is Switchyard with its exporter off") {
  auto sc = parse_scenario(R"(systems: [switchyard, switchyard-metrics-off]
mocks: [{name: m}]
gateway:
  server: { io_threads: 1 }
loads: [{name: l, closed: 2}]
)",
                           "s.yaml");
  REQUIRE(sc.ok());
  const auto& systems = sc.value().systems;
  REQUIRE(systems.size() == 2);
  CHECK(systems[1].kind == system_kind::switchyard);
  CHECK(systems[1].name == "switchyard-metrics-off");
  auto on = YAML::Load(switchyard_config(sc.value(), {1111}, "/w", 0, systems[0].server));
  auto off = YAML::Load(switchyard_config(sc.value(), {1111}, "/w", 0, systems[1].server));
  CHECK_FALSE(on["server"]["metrics"]);
  CHECK(off["server"]["metrics"].as<bool>() == false);
  CHECK(off["server"]["io_threads"].as<int>() == 1);  // the scenario's settings still apply
}
