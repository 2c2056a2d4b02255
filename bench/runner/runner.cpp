// The orchestration of one benchmark run: checks, per-system stacks (mocks + system under test),
// preflight requests, the loads with memory sampling, and the report.
#include "bench/runner/runner.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include "bench/runner/cluster_figures.hpp"
#include "bench/runner/configs.hpp"
#include "bench/runner/process.hpp"
#include "bench/runner/report.hpp"
#include "bench/runner/scenario.hpp"
#include "bench/runner/shared_state.hpp"

namespace switchyard::bench {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

std::string utc_now() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void say(const std::string& line) {
  std::fprintf(stderr, "bench/run: %s\n", line.c_str());
  std::fflush(stderr);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True when a mock has a phase that should trip a circuit breaker (down, 5xx or errors).
bool scenario_has_fault_phases(const scenario& sc) {
  for (const auto& m : sc.mocks) {
    for (const auto& p : m.phases) {
      if (p.down || (p.status && *p.status >= 500) || !p.errors.empty()) return true;
    }
  }
  return false;
}

// Appends each `switchyard_provider_circuit_state{provider="X"} V` line of a /metrics body.
void sample_circuits(const std::string& metrics, double at, load_run& lr) {
  static constexpr std::string_view head = "switchyard_provider_circuit_state{provider=\"";
  std::size_t pos = 0;
  while ((pos = metrics.find(head, pos)) != std::string::npos) {
    if (pos != 0 && metrics[pos - 1] != '\n') {
      pos += head.size();
      continue;
    }
    auto name_start = pos + head.size();
    auto name_end = metrics.find('"', name_start);
    auto line_end = metrics.find('\n', name_start);
    if (name_end == std::string::npos || line_end == std::string::npos) break;
    auto sp = metrics.rfind(' ', line_end);
    std::string provider = metrics.substr(name_start, name_end - name_start);
    int state = static_cast<int>(std::strtod(metrics.c_str() + sp + 1, nullptr));
    auto it = std::find_if(lr.circuits.begin(), lr.circuits.end(),
                           [&](const auto& c) { return c.provider == provider; });
    if (it == lr.circuits.end()) it = lr.circuits.insert(lr.circuits.end(), {provider, {}});
    it->samples.emplace_back(at, state);
    pos = line_end;
  }
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

// A system started for one stack: where to send the load, and whose memory to watch.
struct target {
  std::uint16_t port = 0;  // 0 for an external system
  std::string base_url;
  std::string model;
  std::string api_key;
  std::vector<std::string> headers;
  std::vector<pid_t> watch;          // processes (with their children) whose memory counts
  std::vector<std::uint16_t> nodes;  // Switchyard: every node's own port (for /metrics)
};

// The mocks and the system of one stack; stopping it stops everything in reverse order.
struct stack {
  std::vector<child> mocks;
  std::vector<std::uint16_t> mock_ports;
  std::vector<child> processes;  // system under test (gateways, nginx, node)
  // Redis and PostgreSQL of a cluster: a member, so it stops after the body stopped the nodes.
  std::unique_ptr<shared_state> shared;
  ~stack() {
    for (auto it = processes.rbegin(); it != processes.rend(); ++it) it->stop();
    for (auto& m : mocks) m.stop();
  }
};

class run {
 public:
  explicit run(const runner_options& o) : o_(o) {}

  int go();

 private:
  std::string bin(const std::string& rel) const { return o_.build_dir + "/" + rel; }
  std::string raw(const std::string& name) const { return out_dir_ + "/raw/" + name; }

  int check_binaries();
  int probe_gateway();
  std::string start_mocks(stack& st, const std::string& tag);
  std::string start_system(const system_spec& s, stack& st, target& t, std::string& what);
  std::string start_nginx(stack& st, const std::vector<std::uint16_t>& upstreams, bool balance,
                          const std::string& tag, std::uint16_t& port);
  std::string ensure_portkey(std::string& entry);
  std::string preflight(const target& t, bool stream, const system_spec& s);
  load_run run_load(const system_spec& s, const load_spec& l, stack& st, const target& t);
  void sample_load_average();

  const runner_options& o_;
  scenario sc_;
  std::string out_dir_;
  std::string mock_bin_, loadgen_bin_, gateway_bin_;
  run_record rec_;
  fd_limits fds_;
  std::atomic<bool> sampling_{false};
  std::mutex load_mu_;
  clock_type::time_point t0_;
};

int run::check_binaries() {
  mock_bin_ = bin("bench/mock_provider/mock_provider");
  loadgen_bin_ = bin("bench/loadgen/switchyard-bench");
  gateway_bin_ = bin("runtime/switchyard");
  std::vector<std::string> need = {mock_bin_, loadgen_bin_};
  if (sc_.uses_switchyard()) need.push_back(gateway_bin_);
  for (const auto& b : need) {
    if (::access(b.c_str(), X_OK) != 0) {
      say("missing " + b + ": build it first (bench/run builds it; or cmake --build " +
          o_.build_dir + ")");
      return runner_environment;
    }
  }
  bool nginx_needed = sc_.gateway.nodes > 1;
  for (const auto& s : sc_.systems) nginx_needed |= s.kind == system_kind::nginx;
  if (nginx_needed && !on_path("nginx")) {
    say("nginx is not installed: run 'make deps' (scripts/install-deps.sh installs nginx-light)");
    return runner_environment;
  }
  return runner_ok;
}

// Asks the gateway whether it accepts the scenario's configuration. A scenario that needs a
// later issue's feature is refused here with the issue's number, not run into a bogus report.
int run::probe_gateway() {
  if (!sc_.uses_switchyard()) {
    if (!sc_.requires_features.empty()) {
      say("scenario " + sc_.name + " lists requires but does not run switchyard; nothing to check");
    }
    return runner_ok;
  }
  auto dir = fs::temp_directory_path() / ("bench-probe-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < sc_.mocks.size(); ++i)
    ports.push_back(static_cast<std::uint16_t>(40000 + i));
  auto path = (dir / "switchyard.yaml").string();
  // Placeholder URLs: --check-config parses them and connects to nothing.
  const shared_urls probe_urls{"redis://127.0.0.1:6379",
                               "postgres://switchyard@127.0.0.1/switchyard"};
  write_file(path, switchyard_config(sc_, ports, dir.string(), 0, {},
                                     sc_.gateway.shared_state ? &probe_urls : nullptr));
  child c;
  auto err = c.start({gateway_bin_, "--check-config", path}, (dir / "check.out").string(),
                     (dir / "check.err").string());
  int status = err.empty() ? c.wait() : -1;
  std::string said = tail_of_file((dir / "check.err").string(), 3);
  std::error_code ec;
  if (status == 0) {
    fs::remove_all(dir, ec);
    return runner_ok;
  }
  if (!err.empty()) said = err;
  if (!sc_.requires_features.empty()) {
    std::string needs;
    for (const auto& q : sc_.requires_features) {
      needs += (needs.empty() ? "" : ", ") + std::string("issue #") + std::to_string(q.issue) +
               ": " + q.feature;
    }
    say("scenario " + sc_.name + " needs " + needs + ".");
    say("The gateway does not accept this scenario's configuration yet (switchyard "
        "--check-config: " +
        said + "). Nothing was run and no report was written.");
    fs::remove_all(dir, ec);
    return runner_needs_issue;
  }
  say("the gateway rejects the configuration generated for scenario " + sc_.name + ": " + said);
  say("check the scenario's gateway: section; the generated file is kept at " + path);
  return runner_bad_input;
}

std::string run::start_mocks(stack& st, const std::string& tag) {
  for (const auto& m : sc_.mocks) {
    std::vector<std::string> argv = {mock_bin_, "--listen", "127.0.0.1:0"};
    auto args = mock_arguments(m);
    argv.insert(argv.end(), args.begin(), args.end());
    child c;
    auto err =
        c.start(argv, raw(tag + "-mock-" + m.name + ".out"), raw(tag + "-mock-" + m.name + ".log"));
    if (!err.empty()) return "mock " + m.name + ": " + err;
    auto line = c.wait_for_line("listening on", seconds(10));
    auto port = line ? port_of_listening_line(*line) : std::nullopt;
    if (!port) return "mock " + m.name + " did not start: " + tail_of_file(c.stderr_path());
    st.mock_ports.push_back(*port);
    st.mocks.push_back(std::move(c));
  }
  return {};
}

std::string run::start_nginx(stack& st, const std::vector<std::uint16_t>& upstreams, bool balance,
                             const std::string& tag, std::uint16_t& port) {
  auto dir = raw(tag + "-nginx");
  fs::create_directories(dir);
  auto p = free_port();
  if (!p) return "no free port for nginx";
  port = *p;
  write_file(dir + "/nginx.conf", nginx_config(upstreams, port, dir, fds_.hard, balance));
  child c;
  auto err = c.start({"nginx", "-p", dir, "-c", dir + "/nginx.conf", "-g", "daemon off;"},
                     dir + "/stdout.log", dir + "/stderr.log");
  if (!err.empty()) return err;
  if (!wait_connectable(port, seconds(10))) {
    return "nginx did not start listening: " + tail_of_file(dir + "/stderr.log") + " " +
           tail_of_file(dir + "/error.log");
  }
  st.processes.push_back(std::move(c));
  return {};
}

// Installs Portkey's gateway (pinned in bench/portkey/package.json) into the build tree once.
std::string run::ensure_portkey(std::string& entry) {
  auto dir = o_.build_dir + "/bench-portkey";
  entry = dir + "/node_modules/@portkey-ai/gateway/build/start-server.js";
  if (!on_path("node") || !on_path("npm"))
    return "node and npm are not installed (run 'make deps')";
  auto pkg = o_.root + "/bench/portkey/package.json";
  bool fresh = ::access(entry.c_str(), R_OK) == 0 && fs::exists(dir + "/package.json") &&
               read_file(dir + "/package.json") == read_file(pkg);
  if (fresh) return {};
  fs::create_directories(dir);
  std::error_code ec;
  fs::copy_file(pkg, dir + "/package.json", fs::copy_options::overwrite_existing, ec);
  if (ec) return "cannot copy " + pkg + ": " + ec.message();
  say("installing Portkey's gateway with npm into " + dir + " (once)");
  child c;
  auto err =
      c.start({"npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error"},
              dir + "/npm.out", dir + "/npm.log");
  if (!err.empty()) return "npm: " + err;
  auto deadline = clock_type::now() + seconds(300);
  while (c.running() && clock_type::now() < deadline)
    std::this_thread::sleep_for(milliseconds(200));
  if (c.running()) {
    c.stop();
    return "npm install did not finish within 5 minutes";
  }
  if (*c.exit_status() != 0 || ::access(entry.c_str(), R_OK) != 0) {
    return "npm install @portkey-ai/gateway failed: " + tail_of_file(dir + "/npm.log", 3);
  }
  return {};
}

std::string run::start_system(const system_spec& s, stack& st, target& t, std::string& what) {
  const std::string tag = s.name;
  t.model = "mock-model";
  switch (s.kind) {
    case system_kind::direct:
      t.port = st.mock_ports[0];
      t.watch = {st.mocks[0].pid()};
      what = "the first mock (" + sc_.mocks[0].name + ") called directly";
      break;
    case system_kind::nginx: {
      auto err = start_nginx(st, st.mock_ports, false, tag, t.port);
      if (!err.empty()) return err;
      t.watch = {st.processes.back().pid()};
      what = "nginx reverse proxy (keep-alive upstream, no buffering, no logs)";
      if (st.mock_ports.size() > 1)
        what += "; later mocks are backups tried on errors, 429 and 5xx";
      break;
    }
    case system_kind::switchyard: {
      std::vector<std::uint16_t> ports;
      std::optional<shared_urls> urls;
      if (sc_.gateway.shared_state) {
        st.shared = std::make_unique<shared_state>();
        auto err = st.shared->start(raw(tag + "-state"));
        if (!err.empty()) return err;
        urls = shared_urls{st.shared->counters_url(), st.shared->storage_url()};
      }
      const unsigned nodes = s.nodes.value_or(sc_.gateway.nodes);
      for (unsigned n = 0; n < nodes; ++n) {
        auto cfg = raw(tag + "-node" + std::to_string(n) + ".yaml");
        write_file(cfg, switchyard_config(sc_, st.mock_ports, raw(tag), n, s.server,
                                          urls ? &*urls : nullptr));
        child c;
        auto out = raw(tag + "-node" + std::to_string(n) + ".out");
        std::vector<std::string> argv = {gateway_bin_, "--config", cfg};
        if (!sc_.gateway.cpus.empty())
          argv.insert(argv.begin(), {"taskset", "-c", sc_.gateway.cpus});
        auto err = c.start(argv, out, raw(tag + "-node" + std::to_string(n) + ".log"));
        if (!err.empty()) return err;
        auto line = c.wait_for_line("listening on", seconds(15));
        auto port = line ? port_of_listening_line(*line) : std::nullopt;
        if (!port) {
          return "switchyard did not start (exit " +
                 (c.exit_status() ? std::to_string(*c.exit_status()) : std::string("-")) +
                 "): " + tail_of_file(c.stderr_path()) + " " + tail_of_file(out);
        }
        ports.push_back(*port);
        t.watch.push_back(c.pid());
        st.processes.push_back(std::move(c));
      }
      t.model = bench_model;
      t.api_key = bench_key;
      t.nodes = ports;
      what = rec_.switchyard_version.empty() ? "switchyard" : rec_.switchyard_version;
      what += ", generated config (raw/" + tag + "-node0.yaml)";
      if (ports.size() == 1) {
        t.port = ports[0];
      } else {
        auto err = start_nginx(st, ports, true, tag + "-lb", t.port);
        if (!err.empty()) return err;
        what += ", " + std::to_string(ports.size()) + " nodes behind an nginx load balancer";
      }
      if (urls) what += ", shared state in a private Redis and PostgreSQL";
      if (!sc_.gateway.cpus.empty()) what += ", nodes pinned to CPU(s) " + sc_.gateway.cpus;
      break;
    }
    case system_kind::portkey: {
      std::string entry;
      auto err = ensure_portkey(entry);
      if (!err.empty()) return err;
      auto p = free_port();
      if (!p) return "no free port for Portkey";
      child c;
      auto log = raw(tag + ".log");
      err = c.start({"node", entry, "--port=" + std::to_string(*p), "--headless"},
                    raw(tag + ".out"), log);
      if (!err.empty()) return err;
      if (!wait_connectable(*p, seconds(30))) {
        return "Portkey's gateway did not start listening: " + tail_of_file(raw(tag + ".out")) +
               " " + tail_of_file(log);
      }
      t.port = *p;
      t.headers = portkey_headers(st.mock_ports);
      t.api_key = bench_key;
      t.watch = {c.pid()};
      st.processes.push_back(std::move(c));
      auto version =
          read_file(o_.build_dir + "/bench-portkey/node_modules/@portkey-ai/gateway/package.json");
      auto at = version.find("\"version\"");
      std::string v;
      if (at != std::string::npos) {
        auto q1 = version.find('"', version.find(':', at) + 1);
        auto q2 = version.find('"', q1 + 1);
        v = version.substr(q1 + 1, q2 - q1 - 1);
      }
      what = "Portkey gateway " + v + " (npm @portkey-ai/gateway) on node";
      what +=
          st.mock_ports.size() > 1 ? ", fallback chain over the mocks" : ", custom host = the mock";
      break;
    }
    case system_kind::external: {
      t.base_url = s.base_url;
      t.model = s.model;
      t.headers = s.headers;
      if (!s.api_key_env.empty()) {
        const char* k = std::getenv(s.api_key_env.c_str());
        if (!k || !*k) return "environment variable " + s.api_key_env + " (its API key) is not set";
        t.api_key = k;
      }
      what = "external deployment " + s.base_url + ", model " + s.model;
      return {};
    }
  }
  t.base_url = "http://127.0.0.1:" + std::to_string(t.port) + "/v1";
  return {};
}

// One request of each kind the loads will send: a system that cannot answer them is reported
// with its own answer instead of being measured.
std::string run::preflight(const target& t, bool stream, const system_spec& s) {
  if (t.port == 0) return {};  // external: the generator checks reachability itself
  std::vector<std::string> headers = t.headers;
  if (!t.api_key.empty()) headers.push_back("Authorization: Bearer " + t.api_key);
  std::string body =
      "{\"model\":\"" + t.model +
      "\",\"messages\":[{\"role\":\"user\",\"content\":\"preflight\"}],\"max_tokens\":4";
  if (stream) body += ",\"stream\":true";
  body += "}";
  http_result r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = http_call(t.port, "POST", "/v1/chat/completions", body, headers, seconds(20));
    if (r.status == 200) break;
  }
  std::string kind = stream ? "a streaming request" : "a non-streaming request";
  if (r.status == 0) return kind + " got no answer (" + r.error + ")";
  std::string snippet = r.body.substr(0, 160);
  std::replace(snippet.begin(), snippet.end(), '\n', ' ');
  std::string log;
  if (s.kind == system_kind::portkey) {
    auto line = first_line_with(raw(s.name + ".log"), "Error");
    if (!line.empty()) log = "; its log says: " + line;
  }
  if (r.status != 200)
    return kind + " answered HTTP " + std::to_string(r.status) + " " + snippet + log;
  if (stream && r.body.find("[DONE]") == std::string::npos)
    return kind + " did not end with [DONE]: " + snippet + log;
  if (!stream && r.body.find("\"choices\"") == std::string::npos)
    return kind + " has no choices: " + snippet + log;
  return {};
}

load_run run::run_load(const system_spec& s, const load_spec& l, stack& st, const target& t) {
  load_run lr;
  lr.load = l.name;
  for (std::size_t i = 0; i < st.mocks.size(); ++i) {
    http_call(st.mock_ports[i], "DELETE", "/_mock/stats", "");
  }
  std::vector<std::string> argv = {loadgen_bin_, "--base-url", t.base_url, "--model", t.model};
  if (!t.api_key.empty()) argv.insert(argv.end(), {"--api-key", t.api_key});
  for (const auto& h : t.headers) argv.insert(argv.end(), {"--header", h});
  char num[64];
  if (l.rate) {
    std::snprintf(num, sizeof num, "%g", *l.rate);
    argv.insert(argv.end(), {"--rate", num, "--arrival", l.arrival, "--connections",
                             std::to_string(l.connections)});
  } else {
    argv.insert(argv.end(), {"--closed", std::to_string(*l.closed)});
  }
  std::snprintf(num, sizeof num, "%g", l.duration_s);
  argv.insert(argv.end(), {"--duration", num});
  std::snprintf(num, sizeof num, "%g", l.warmup_s);
  argv.insert(argv.end(), {"--warmup", num});
  std::snprintf(num, sizeof num, "%g", l.stream_share);
  argv.insert(argv.end(), {"--stream-share", num, "--max-tokens", std::to_string(l.max_tokens),
                           "--threads", std::to_string(l.threads), "--timeout-ms",
                           std::to_string(l.timeout_ms), "--prompt-bytes", l.prompt_bytes});
  if (l.include_usage && l.stream_share > 0) argv.push_back("--include-usage");
  auto report_path = raw(s.name + "-" + l.name + ".json");
  argv.insert(argv.end(), {"--out", report_path});

  auto watched = [&] {
    std::vector<pid_t> all;
    for (pid_t p : t.watch) {
      for (pid_t q : process_tree(p)) all.push_back(q);
    }
    return all;
  };
  auto memory_now = [&] {
    memory_reading sum;
    for (pid_t p : watched()) {
      auto m = read_memory(p);
      sum.rss += m.rss;
      sum.hwm += m.hwm;
    }
    return sum;
  };
  auto cpu_now = [&] {
    double sum = 0;
    for (pid_t p : watched()) sum += std::max(0.0, cpu_seconds(p));
    return sum;
  };
  lr.rss_before = memory_now().rss;
  double cpu_before = cpu_now();
  // Every Redis round trip of every node during the load (warm-up included, as in `completed`).
  auto counters_now = [&] {
    double sum = 0;
    for (auto port : t.nodes)
      sum += counters_operations(http_call(port, "GET", "/metrics", "").body);
    return sum;
  };
  const bool count_counters = s.kind == system_kind::switchyard && sc_.gateway.shared_state;
  const double counters_before = count_counters ? counters_now() : 0;

  // The mocks' phases count from here, the same instant the generator's t=0 is (to within the
  // generator's start-up, a few milliseconds).
  for (auto port : st.mock_ports) http_call(port, "POST", "/_mock/clock", "");
  child gen;
  auto err =
      gen.start(argv, raw(s.name + "-" + l.name + ".stdout"), raw(s.name + "-" + l.name + ".log"));
  if (!err.empty()) {
    lr.failure = "the load generator did not start: " + err;
    return lr;
  }
  auto start = clock_type::now();
  // One Switchyard node: its circuit states, to show when a failing provider was ejected.
  const bool watch_circuits = s.kind == system_kind::switchyard && t.port != 0 &&
                              t.nodes.size() == 1 && scenario_has_fault_phases(sc_);
  auto last_memory_sample = start - seconds(1);
  while (gen.running()) {
    auto now = clock_type::now();
    double at = std::chrono::duration<double>(now - start).count();
    if (watch_circuits) sample_circuits(http_call(t.port, "GET", "/metrics", "").body, at, lr);
    if (now - last_memory_sample < milliseconds(200)) {
      std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    last_memory_sample = now;
    auto m = memory_now();
    lr.rss_peak = std::max(lr.rss_peak, m.rss);
    lr.rss_samples.emplace_back(at, static_cast<double>(m.rss));
    if (sc_.memory.enabled) {
      for (pid_t p : t.watch) lr.fds_peak = std::max(lr.fds_peak, count_fds(p));
    }
    std::this_thread::sleep_for(milliseconds(watch_circuits ? 100 : 200));
  }
  lr.exit_code = gen.wait();
  if (count_counters) lr.counters_operations = counters_now() - counters_before;
  lr.hwm_after = memory_now().hwm;
  lr.cpu_s = cpu_now() - cpu_before;
  for (std::size_t i = 0; i < st.mocks.size(); ++i) {
    auto stats = http_call(st.mock_ports[i], "GET", "/_mock/stats", "");
    auto at = stats.body.find("\"chat_completions\":");
    if (at != std::string::npos) {
      lr.mock_requests.emplace_back(sc_.mocks[i].name,
                                    std::strtoull(stats.body.c_str() + at + 19, nullptr, 10));
    }
  }

  // Switchyard's own gauges once the generator is done: anything still in flight now is stuck.
  if (s.kind == system_kind::switchyard && t.port != 0 && t.nodes.size() == 1) {
    auto metrics = http_call(t.port, "GET", "/metrics", "");
    if (sc_.gateway.tenant && sc_.gateway.tenant["budget"])
      lr.budget = read_budget_outcome(metrics.body, "bench");
    for (const char* gauge :
         {"switchyard_request_actors_in_flight", "switchyard_provider_in_flight"}) {
      std::istringstream lines(metrics.body);
      std::string line;
      double total = 0;
      while (std::getline(lines, line)) {
        if (line.rfind(gauge, 0) != 0) continue;
        auto sp = line.rfind(' ');
        if (sp != std::string::npos) total += std::strtod(line.c_str() + sp + 1, nullptr);
      }
      if (total > 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "%s = %.0f (nothing should be in flight once every client is done)", gauge,
                      total);
        lr.leftovers.push_back(buf);
      }
    }
  }

  std::string gen_said = tail_of_file(raw(s.name + "-" + l.name + ".log"), 2);
  if (lr.exit_code == 0 || lr.exit_code == 1) {
    auto parsed = parse_load_report(read_file(report_path));
    if (!parsed) {
      lr.failure = parsed.error();
    } else {
      lr.report = parsed.value();
    }
  } else if (lr.exit_code == 3) {
    lr.failure = "target unreachable: " + gen_said;
  } else if (lr.exit_code == 2) {
    lr.failure = "the load generator rejected the load's settings: " + gen_said;
  } else {
    lr.failure =
        "the load generator failed (exit " + std::to_string(lr.exit_code) + "): " + gen_said;
  }
  // A system that died under load is what the report must say first.
  for (auto& p : st.processes) {
    if (!p.running()) {
      lr.failure = s.name + " exited during the load (status " +
                   std::to_string(p.exit_status().value_or(-1)) +
                   "): " + tail_of_file(p.stderr_path(), 3);
    }
  }
  for (std::size_t i = 0; i < st.mocks.size(); ++i) {
    if (!st.mocks[i].running()) {
      lr.failure = "mock " + sc_.mocks[i].name +
                   " exited during the load: " + tail_of_file(st.mocks[i].stderr_path(), 3);
    }
  }
  return lr;
}

void run::sample_load_average() {
  while (sampling_.load()) {
    double v = load_average_1m();
    {
      std::lock_guard lock(load_mu_);
      rec_.load_average.emplace_back(std::chrono::duration<double>(clock_type::now() - t0_).count(),
                                     v);
    }
    for (int i = 0; i < 10 && sampling_.load(); ++i) std::this_thread::sleep_for(milliseconds(100));
  }
}

std::string one_line(const load_run& lr) {
  if (!lr.is_result()) {
    std::string why = lr.failure;
    if (why.empty() && lr.report) {
      for (const auto& r : lr.report->invalid_reasons) why += (why.empty() ? "" : "; ") + r;
    }
    return "NOT A RESULT: " + why;
  }
  const auto& r = *lr.report;
  char buf[256];
  std::snprintf(buf, sizeof buf, "ok %.0f/s, p50 %s, p99 %s, errors %.2f%%", r.ok_rps,
                format_ms(r.latency.p50).c_str(), format_ms(r.latency.p99).c_str(),
                r.error_rate * 100);
  return buf;
}

int run::go() {
  // The scenario.
  std::string path = o_.scenario;
  if (path.find('/') == std::string::npos && path.find(".y") == std::string::npos) {
    path = o_.root + "/bench/scenarios/" + path + ".yaml";
    if (!fs::exists(path)) {
      std::string names;
      for (const auto& e : fs::directory_iterator(o_.root + "/bench/scenarios")) {
        if (e.path().extension() == ".yaml")
          names += (names.empty() ? "" : ", ") + e.path().stem().string();
      }
      say("no scenario \"" + o_.scenario + "\" in bench/scenarios/; available: " + names);
      return runner_bad_input;
    }
  }
  auto parsed = load_scenario(path);
  if (!parsed) {
    say(parsed.error());
    return runner_bad_input;
  }
  sc_ = std::move(parsed.value());
  if (!o_.only_systems.empty()) {
    std::vector<system_spec> keep;
    for (const auto& name : o_.only_systems) {
      auto it = std::find_if(sc_.systems.begin(), sc_.systems.end(),
                             [&](const system_spec& s) { return s.name == name; });
      if (it == sc_.systems.end()) {
        std::string names;
        for (const auto& s : sc_.systems) names += (names.empty() ? "" : ", ") + s.name;
        say("--systems: scenario " + sc_.name + " has no system \"" + name + "\"; it has " + names);
        return runner_bad_input;
      }
      keep.push_back(*it);
    }
    sc_.systems = keep;
  }
  if (int rc = check_binaries(); rc != runner_ok) return rc;
  {
    child v;
    auto dir = fs::temp_directory_path().string();
    auto out = dir + "/bench-version-" + std::to_string(::getpid());
    if (sc_.uses_switchyard() && v.start({gateway_bin_, "--version"}, out, out + ".err").empty() &&
        v.wait() == 0) {
      auto text = read_file(out);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      rec_.switchyard_version = text;
    }
    std::error_code ec;
    fs::remove(out, ec);
    fs::remove(out + ".err", ec);
  }
  if (int rc = probe_gateway(); rc != runner_ok) return rc;

  // Descriptors: each proxied request holds a client and an upstream socket in the gateway.
  fds_ = raise_fd_limit();
  for (const auto& l : sc_.loads) {
    std::uint64_t in_flight = l.max_in_flight();
    std::uint64_t gateway_need = 2 * in_flight + 128;
    if (gateway_need > fds_.hard && (sc_.uses_switchyard() || sc_.systems.size() > 1)) {
      rec_.notes.push_back(
          "Descriptor budget of load `" + l.name +
          "`: a proxy holds one client and one upstream socket per "
          "request in flight, so " +
          std::to_string(in_flight) + " requests need about " + std::to_string(gateway_need) +
          " descriptors in the proxy process; this machine's hard RLIMIT_NOFILE is " +
          std::to_string(fds_.hard) +
          " and an unprivileged process cannot raise it, so a proxy can hold at most about " +
          std::to_string((fds_.hard - 128) / 2) +
          " such requests here. Requests beyond that fail at accept or "
          "connect, and show as errors below.");
      say(rec_.notes.back());
    }
  }

  if (o_.check_only) {
    std::printf("scenario %s: OK (%zu mock(s), %zu system(s), %zu load(s))\n", sc_.name.c_str(),
                sc_.mocks.size(), sc_.systems.size(), sc_.loads.size());
    for (const auto& l : sc_.loads)
      std::printf("  load %s: %s\n", l.name.c_str(), describe(l).c_str());
    return runner_ok;
  }

  // The results folder: the previous run's report and plots go, raw/ is rewritten.
  out_dir_ =
      (o_.results_dir.empty() ? o_.root + "/bench/results" : o_.results_dir) + "/" + sc_.name;
  std::error_code ec;
  fs::create_directories(out_dir_ + "/raw", ec);
  if (ec) {
    say("cannot create " + out_dir_ + ": " + ec.message());
    return runner_environment;
  }
  // raw/ is rewritten now; the previous report and plots stay until the new ones replace them,
  // so an interrupted run leaves the last complete report in place.
  for (const auto& e : fs::directory_iterator(out_dir_ + "/raw")) fs::remove_all(e.path(), ec);

  rec_.sc = sc_;
  rec_.started_at = utc_now();
  rec_.nproc = std::thread::hardware_concurrency();
  rec_.cpu = cpu_model();
  utsname u{};
  if (::uname(&u) == 0) rec_.kernel = std::string(u.sysname) + " " + u.release;
  rec_.fd_soft = fds_.soft;
  rec_.fd_hard = fds_.hard;
  rec_.command =
      "bench/run " + (o_.scenario.find('/') == std::string::npos ? sc_.name : o_.scenario);
  if (!o_.only_systems.empty()) {
    std::string list;
    for (const auto& s : o_.only_systems) list += (list.empty() ? "" : ",") + s;
    rec_.command += " --systems " + list;
  }
  t0_ = clock_type::now();
  sampling_ = true;
  std::thread sampler([this] { sample_load_average(); });

  // Every system's stack is started first and the loads then go round the systems, so that the
  // systems compared on one load are measured minutes apart at most, under the same conditions.
  struct live {
    std::unique_ptr<stack> st = std::make_unique<stack>();
    target t;
    std::string plain_err, stream_err;
  };
  std::vector<live> lives(sc_.systems.size());
  for (std::size_t i = 0; i < sc_.systems.size(); ++i) {
    const auto& s = sc_.systems[i];
    system_run sr;
    sr.name = s.name;
    sr.kind = s.kind;
    say("system " + s.name + ": starting");
    auto& lv = lives[i];
    std::string err = s.kind == system_kind::external ? "" : start_mocks(*lv.st, s.name);
    if (err.empty()) err = start_system(s, *lv.st, lv.t, sr.what);
    if (sr.what.empty()) sr.what = std::string(to_string(s.kind));
    if (err.empty()) {
      bool any_plain = false, any_stream = false;
      for (const auto& l : sc_.loads) {
        any_plain |= l.stream_share < 1;
        any_stream |= l.stream_share > 0;
      }
      lv.plain_err = any_plain ? preflight(lv.t, false, s) : "";
      lv.stream_err = any_stream ? preflight(lv.t, true, s) : "";
      if (!lv.plain_err.empty()) say("system " + s.name + ": " + lv.plain_err);
      if (!lv.stream_err.empty()) say("system " + s.name + ": " + lv.stream_err);
      if (!lv.plain_err.empty() && (!lv.stream_err.empty() || !any_stream))
        err = "preflight: " + lv.plain_err;
    }
    if (!err.empty()) {
      sr.skipped = err;
      say("system " + s.name + " not measured: " + err);
      lv.st.reset();
    }
    rec_.systems.push_back(std::move(sr));
  }

  bool all_results = true;
  // Loads go round the systems; a load `right_after` the one before it runs on each system at
  // once after that one, as a group.
  for (std::size_t first = 0; first < sc_.loads.size();) {
    std::size_t end = first + 1;
    while (end < sc_.loads.size() && !sc_.loads[end].right_after.empty()) ++end;
    for (std::size_t i = 0; i < sc_.systems.size(); ++i) {
      for (std::size_t li = first; li < end; ++li) {
        const auto& l = sc_.loads[li];
        const auto& s = sc_.systems[i];
        auto& sr = rec_.systems[i];
        auto& lv = lives[i];
        if (!lv.st) continue;
        load_run lr;
        lr.load = l.name;
        if (l.stream_share < 1 && !lv.plain_err.empty()) {
          lr.failure = "not run: " + lv.plain_err;
        } else if (l.stream_share > 0 && !lv.stream_err.empty()) {
          lr.failure = "not run: " + lv.stream_err;
        } else {
          say("system " + s.name + ", load " + l.name + ": " + describe(l));
          lr = run_load(s, l, *lv.st, lv.t);
        }
        say("system " + s.name + ", load " + l.name + ": " + one_line(lr));
        // A third-party gateway that cannot serve a kind of request is reported, not a failure of
        // the run; anything else that is not a result is.
        bool third_party_cannot =
            s.kind == system_kind::portkey && lr.failure.rfind("not run: ", 0) == 0;
        all_results &= lr.is_result() || third_party_cannot;
        sr.loads.push_back(std::move(lr));
      }
    }
    first = end;
  }
  for (std::size_t i = 0; i < lives.size(); ++i) {
    if (!lives[i].st) continue;
    for (auto& p : lives[i].st->processes) {
      for (const auto& line : warning_lines(p.stderr_path()))
        rec_.systems[i].log_lines.push_back(line);
    }
    lives[i].st.reset();
  }
  for (const auto& sr : rec_.systems)
    all_results &= sr.skipped.empty() || sr.kind == system_kind::portkey;

  sampling_ = false;
  sampler.join();
  rec_.finished_at = utc_now();
  for (const auto& e : fs::directory_iterator(out_dir_)) {
    auto ext = e.path().extension();
    if (ext == ".svg" || e.path().filename() == "report.md") fs::remove(e.path(), ec);
  }
  auto files = write_report(rec_, out_dir_);
  say("wrote " + out_dir_ + "/report.md and " + std::to_string(files.size() - 1) + " plot(s)");
  return all_results ? runner_ok : runner_not_results;
}

}  // namespace

protocols::result<runner_options, std::string> parse_runner_args(
    const std::vector<std::string_view>& args) {
  runner_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    // The option's value (inline after '=' or the next argument); nullopt when missing.
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=') {
        return std::string(a.substr(name.size() + 1));
      }
      if (i + 1 >= args.size()) return std::nullopt;
      return std::string(args[++i]);
    };
    auto is = [&](std::string_view name) {
      return a == name ||
             (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=');
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--check") {
      o.check_only = true;
    } else if (is("--root") || is("--build") || is("--results") || is("--systems")) {
      std::string name(a.substr(0, a.find('=')));
      auto v = value(name);
      if (!v) return name + ": missing value";
      if (v->empty()) return name + ": empty value";
      if (name == "--root") o.root = *v;
      if (name == "--build") o.build_dir = *v;
      if (name == "--results") o.results_dir = *v;
      if (name == "--systems") {
        std::stringstream ss(*v);
        std::string item;
        while (std::getline(ss, item, ',')) {
          if (item.empty()) return std::string("--systems: empty name in the list");
          o.only_systems.push_back(item);
        }
      }
    } else if (a.size() > 1 && a[0] == '-') {
      return "unknown option " + std::string(a) + " (see --help)";
    } else if (o.scenario.empty()) {
      o.scenario = std::string(a);
    } else {
      return "one scenario at a time (got \"" + o.scenario + "\" and \"" + std::string(a) + "\")";
    }
  }
  if (!o.help && o.scenario.empty())
    return std::string("which scenario? e.g. bench/run overhead (see --help)");
  return o;
}

std::string runner_usage() {
  return R"(usage: bench/run SCENARIO [--systems a,b] [--check] [--results DIR]

Runs a benchmark scenario from bench/scenarios/SCENARIO.yaml (or a path to a YAML file): starts
the mock upstreams, each system under test in turn (direct, nginx, switchyard, portkey, or your
own deployment), and the load generator; writes bench/results/SCENARIO/report.md and SVG plots.

  --systems a,b    measure only these systems of the scenario
  --check          validate the scenario and probe the gateway's configuration; run nothing
  --results DIR    write DIR/SCENARIO/ instead of bench/results/SCENARIO/
  --build DIR      where the binaries are (bench/run passes BUILD_DIR, default build/)
  --root DIR       the repository root (bench/run passes it)

Exit status: 0 every run is a valid result; 1 the report was written but some runs are not
results (unreachable, generator fell behind, system failed); 2 bad arguments or scenario;
3 missing tool or binary; 4 the scenario needs a gateway feature of a later issue.
)";
}

int run_scenario(const runner_options& o) {
  run r(o);
  return r.go();
}

}  // namespace switchyard::bench
