// Strict parsing of benchmark scenarios: every key is known, every value checked, and every
// error says where (file:line:column) and which key.
#include "bench/runner/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace switchyard::bench {

namespace {

using protocols::result;

// Thrown inside the parser only, caught in parse_scenario: it carries one finished message.
struct parse_failure {
  std::string message;
};

std::string fmt_num(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

class parser {
 public:
  explicit parser(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key,
                         const std::string& msg) const {
    std::string where = file_;
    if (at.IsDefined() && at.Mark().line >= 0) {
      where +=
          ":" + std::to_string(at.Mark().line + 1) + ":" + std::to_string(at.Mark().column + 1);
    }
    throw parse_failure{where + ": " + (key.empty() ? "" : key + ": ") + msg};
  }

  // Checks that `map` is a mapping whose keys are all in `allowed`; returns it.
  void check_keys(const YAML::Node& map, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) fail(map, path, "expected a mapping");
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      auto key = it->first.as<std::string>();
      if (!seen.insert(key).second) fail(it->first, join(path, key), "repeated key");
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string list;
      std::string_view near;
      for (auto a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
        if (near.empty() && close_to(key, a)) near = a;
      }
      std::string msg = "unknown key";
      if (!near.empty()) msg += " (did you mean \"" + std::string(near) + "\"?)";
      fail(it->first, join(path, key), msg + "; valid keys here: " + list);
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::string str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.as<std::string>();
  }

  double number(const YAML::Node& n, const std::string& key, double lo, double hi) const {
    if (!n.IsScalar()) fail(n, key, "expected a number");
    double d = 0;
    std::string text = n.as<std::string>();
    char* end = nullptr;
    d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) {
      fail(n, key, "expected a number, got \"" + text + "\"");
    }
    if (d < lo || d > hi) {
      fail(n, key, "must be from " + fmt_num(lo) + " to " + fmt_num(hi) + ", got " + text);
    }
    return d;
  }

  std::uint64_t integer(const YAML::Node& n, const std::string& key, std::uint64_t lo,
                        std::uint64_t hi) const {
    if (!n.IsScalar()) fail(n, key, "expected an integer");
    std::string text = n.as<std::string>();
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || text.size() > 15) fail(n, key, "expected a whole number, got \"" + text + "\"");
    auto v = std::stoull(text);
    if (v < lo || v > hi) {
      fail(n, key,
           "must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + text);
    }
    return v;
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected true or false");
    auto t = n.as<std::string>();
    if (t == "true") return true;
    if (t == "false") return false;
    fail(n, key, "expected true or false, got \"" + t + "\"");
  }

  // Names: what shows in file names, logs and tables.
  std::string name(const YAML::Node& n, const std::string& key) const {
    auto s = str(n, key);
    bool ok = !s.empty() && s.size() <= 48 && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    });
    if (!ok) fail(n, key, "\"" + s + "\" is not a name (1-48 letters, digits, - and _)");
    return s;
  }

  latency_spec latency(const YAML::Node& n, const std::string& path) const {
    latency_spec l;
    if (n.IsScalar()) {  // a bare number of milliseconds: fixed
      l.ms = number(n, path, 0, 3'600'000);
      return l;
    }
    check_keys(n, path, {"dist", "ms", "median_ms", "sigma", "tail_share", "tail_ms"});
    std::string dist = n["dist"] ? str(n["dist"], join(path, "dist")) : "fixed";
    if (dist != "fixed" && dist != "lognormal") {
      fail(n["dist"], join(path, "dist"), "expected fixed or lognormal, got \"" + dist + "\"");
    }
    l.lognormal = dist == "lognormal";
    if (l.lognormal) {
      if (!n["median_ms"])
        fail(n, join(path, "median_ms"), "missing: a lognormal needs its median");
      if (!n["sigma"])
        fail(n, join(path, "sigma"), "missing: a lognormal needs its shape (e.g. 0.5)");
      if (n["ms"]) fail(n["ms"], join(path, "ms"), "use median_ms with dist: lognormal");
      l.ms = number(n["median_ms"], join(path, "median_ms"), 0, 3'600'000);
      l.sigma = number(n["sigma"], join(path, "sigma"), 0, 5);
    } else {
      if (n["median_ms"] || n["sigma"]) {
        auto bad = n["median_ms"] ? "median_ms" : "sigma";
        fail(n[bad], join(path, bad), "only valid with dist: lognormal");
      }
      if (n["ms"]) l.ms = number(n["ms"], join(path, "ms"), 0, 3'600'000);
    }
    if (bool(n["tail_share"]) != bool(n["tail_ms"])) {
      fail(n, join(path, n["tail_share"] ? "tail_ms" : "tail_share"),
           "missing: a heavy tail needs both tail_share and tail_ms");
    }
    if (n["tail_share"]) {
      l.tail_share = number(n["tail_share"], join(path, "tail_share"), 0, 1);
      l.tail_ms =
          static_cast<std::uint32_t>(integer(n["tail_ms"], join(path, "tail_ms"), 0, 3'600'000));
    }
    return l;
  }

  std::vector<error_share> errors(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) fail(n, path, "expected a list of {status or kind, share}");
    std::vector<error_share> out;
    double total = 0;
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto p = path + "[" + std::to_string(i) + "]";
      const auto& e = n[i];
      check_keys(e, p, {"kind", "status", "share", "retry_after", "stream"});
      error_share s;
      if (e["kind"]) {
        s.kind = str(e["kind"], join(p, "kind"));
        if (s.kind != "status" && s.kind != "reset" && s.kind != "cut" && s.kind != "hang") {
          fail(e["kind"], join(p, "kind"),
               "expected status, reset, cut or hang, got \"" + s.kind + "\"");
        }
      }
      if (e["status"]) {
        if (s.kind != "status") fail(e["status"], join(p, "status"), "only valid for kind status");
        s.status = static_cast<unsigned>(integer(e["status"], join(p, "status"), 400, 599));
      } else if (s.kind == "status") {
        fail(e, join(p, "status"), "missing: which status to answer (400-599)");
      }
      if (e["retry_after"]) {
        if (s.kind != "status")
          fail(e["retry_after"], join(p, "retry_after"), "only valid for kind status");
        s.retry_after_s =
            static_cast<std::uint32_t>(integer(e["retry_after"], join(p, "retry_after"), 0, 86400));
      }
      if (e["stream"]) s.stream = boolean(e["stream"], join(p, "stream"));
      if (!e["share"]) fail(e, join(p, "share"), "missing: the share of requests (0-1)");
      s.share = number(e["share"], join(p, "share"), 0, 1);
      total += s.share;
      if (total > 1 + 1e-9) fail(e["share"], join(p, "share"), "the shares add up to more than 1");
      out.push_back(s);
    }
    return out;
  }

  phase_spec phase(const YAML::Node& n, const std::string& p) const {
    check_keys(
        n, p,
        {"from_s", "to_s", "down", "status", "errors", "latency", "tokens_per_second", "label"});
    phase_spec ph;
    if (!n["from_s"]) fail(n, join(p, "from_s"), "missing: seconds from the start of the load");
    if (!n["to_s"]) fail(n, join(p, "to_s"), "missing: seconds from the start of the load");
    ph.from_s = number(n["from_s"], join(p, "from_s"), 0, 86400);
    ph.to_s = number(n["to_s"], join(p, "to_s"), 0, 86400);
    if (ph.to_s <= ph.from_s) fail(n["to_s"], join(p, "to_s"), "must be after from_s");
    if (n["down"]) ph.down = boolean(n["down"], join(p, "down"));
    if (n["status"])
      ph.status = static_cast<unsigned>(integer(n["status"], join(p, "status"), 400, 599));
    if (n["errors"]) ph.errors = errors(n["errors"], join(p, "errors"));
    if (n["latency"]) ph.latency = latency(n["latency"], join(p, "latency"));
    if (n["tokens_per_second"]) {
      ph.tokens_per_second = number(n["tokens_per_second"], join(p, "tokens_per_second"), 0, 1e6);
    }
    if (n["label"]) ph.label = str(n["label"], join(p, "label"));
    bool effect = ph.status || !ph.errors.empty() || ph.latency || ph.tokens_per_second;
    if (ph.down && effect) {
      fail(n, p,
           "a down phase stops the mock; it cannot also set status, errors, latency or "
           "tokens_per_second");
    }
    if (!ph.down && !effect) {
      fail(n, p, "does nothing: give down: true, status, errors, latency or tokens_per_second");
    }
    if (ph.status && !ph.errors.empty())
      fail(n["errors"], join(p, "errors"), "give status or errors, not both");
    return ph;
  }

  mock_spec mock(const YAML::Node& n, const std::string& p) const {
    check_keys(n, p,
               {"name", "threads", "latency", "ttft_ms", "tokens_per_second", "reply_tokens",
                "max_concurrency", "errors", "phases"});
    mock_spec m;
    if (!n["name"]) fail(n, join(p, "name"), "missing");
    m.name = name(n["name"], join(p, "name"));
    if (n["threads"])
      m.threads = static_cast<unsigned>(integer(n["threads"], join(p, "threads"), 1, 64));
    if (n["latency"]) m.latency = latency(n["latency"], join(p, "latency"));
    if (n["ttft_ms"])
      m.ttft_ms =
          static_cast<std::uint32_t>(integer(n["ttft_ms"], join(p, "ttft_ms"), 0, 3'600'000));
    if (n["tokens_per_second"]) {
      m.tokens_per_second = number(n["tokens_per_second"], join(p, "tokens_per_second"), 0, 1e6);
    }
    if (n["reply_tokens"]) {
      m.reply_tokens = static_cast<std::uint32_t>(
          integer(n["reply_tokens"], join(p, "reply_tokens"), 0, 1'000'000));
    }
    if (n["max_concurrency"]) {
      m.max_concurrency = static_cast<std::uint32_t>(
          integer(n["max_concurrency"], join(p, "max_concurrency"), 0, 1'000'000));
    }
    if (n["errors"]) m.errors = errors(n["errors"], join(p, "errors"));
    if (n["phases"]) {
      if (!n["phases"].IsSequence())
        fail(n["phases"], join(p, "phases"), "expected a list of phases");
      for (std::size_t i = 0; i < n["phases"].size(); ++i) {
        m.phases.push_back(
            phase(n["phases"][i], join(p, "phases") + "[" + std::to_string(i) + "]"));
      }
    }
    return m;
  }

  load_spec load(const YAML::Node& n, const std::string& p) const {
    check_keys(n, p,
               {"name", "rate", "closed", "arrival", "duration_s", "warmup_s", "stream_share",
                "max_tokens", "include_usage", "connections", "threads", "timeout_ms",
                "prompt_bytes", "right_after"});
    load_spec l;
    if (!n["name"]) fail(n, join(p, "name"), "missing");
    l.name = name(n["name"], join(p, "name"));
    if (bool(n["rate"]) == bool(n["closed"])) {
      fail(n, p, "give exactly one of rate (open loop, requests per second) and closed (workers)");
    }
    if (n["rate"]) l.rate = number(n["rate"], join(p, "rate"), 0.001, 10'000'000);
    if (n["closed"])
      l.closed = static_cast<unsigned>(integer(n["closed"], join(p, "closed"), 1, 100'000));
    if (n["arrival"]) {
      l.arrival = str(n["arrival"], join(p, "arrival"));
      if (l.arrival != "constant" && l.arrival != "poisson") {
        fail(n["arrival"], join(p, "arrival"), "expected constant or poisson");
      }
      if (l.closed) fail(n["arrival"], join(p, "arrival"), "only for an open loop (rate)");
    }
    if (n["duration_s"]) l.duration_s = number(n["duration_s"], join(p, "duration_s"), 0.1, 3600);
    if (n["warmup_s"]) l.warmup_s = number(n["warmup_s"], join(p, "warmup_s"), 0, 600);
    if (n["stream_share"])
      l.stream_share = number(n["stream_share"], join(p, "stream_share"), 0, 1);
    if (n["max_tokens"])
      l.max_tokens =
          static_cast<unsigned>(integer(n["max_tokens"], join(p, "max_tokens"), 0, 1'000'000));
    if (n["include_usage"]) l.include_usage = boolean(n["include_usage"], join(p, "include_usage"));
    if (n["connections"]) {
      if (l.closed)
        fail(n["connections"], join(p, "connections"),
             "only for an open loop (closed uses one per worker)");
      l.connections =
          static_cast<unsigned>(integer(n["connections"], join(p, "connections"), 1, 1'000'000));
    }
    if (n["threads"])
      l.threads = static_cast<unsigned>(integer(n["threads"], join(p, "threads"), 1, 64));
    if (n["timeout_ms"])
      l.timeout_ms =
          static_cast<unsigned>(integer(n["timeout_ms"], join(p, "timeout_ms"), 1, 3'600'000));
    if (n["prompt_bytes"]) l.prompt_bytes = str(n["prompt_bytes"], join(p, "prompt_bytes"));
    if (n["right_after"]) l.right_after = name(n["right_after"], join(p, "right_after"));
    return l;
  }

  system_spec system(const YAML::Node& n, const std::string& p) const {
    system_spec s;
    if (n.IsScalar()) {
      auto k = str(n, p);
      s.name = k;
      if (k == "direct") {
        s.kind = system_kind::direct;
      } else if (k == "nginx") {
        s.kind = system_kind::nginx;
      } else if (k == "switchyard") {
        s.kind = system_kind::switchyard;
      } else if (k == "switchyard-one-node") {
        s.kind = system_kind::switchyard;
        s.nodes = 1;
      } else if (k == "switchyard-metrics-off") {
        s.kind = system_kind::switchyard;
        s.server["metrics"] = false;
      } else if (k == "portkey") {
        s.kind = system_kind::portkey;
      } else {
        fail(n, p,
             "unknown system \"" + k +
                 "\"; expected direct, nginx, switchyard, switchyard-metrics-off, portkey, "
                 "switchyard-one-node, or a mapping {name, base_url, "
                 "model, api_key_env, headers} for a deployment of your own");
      }
      return s;
    }
    check_keys(n, p, {"name", "base_url", "model", "api_key_env", "headers"});
    s.kind = system_kind::external;
    if (!n["name"]) fail(n, join(p, "name"), "missing");
    s.name = name(n["name"], join(p, "name"));
    if (!n["base_url"]) fail(n, join(p, "base_url"), "missing, e.g. http://10.0.0.5:8080/v1");
    s.base_url = str(n["base_url"], join(p, "base_url"));
    if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0) {
      fail(n["base_url"], join(p, "base_url"), "must start with http:// or https://");
    }
    if (!n["model"]) fail(n, join(p, "model"), "missing: the model name to ask the deployment for");
    s.model = str(n["model"], join(p, "model"));
    if (n["api_key_env"]) s.api_key_env = str(n["api_key_env"], join(p, "api_key_env"));
    if (n["headers"]) {
      const auto& h = n["headers"];
      if (!h.IsMap()) fail(h, join(p, "headers"), "expected a mapping of header name to value");
      for (auto it = h.begin(); it != h.end(); ++it) {
        s.headers.push_back(it->first.as<std::string>() + ": " +
                            str(it->second, join(p, "headers")));
      }
    }
    return s;
  }

  gateway_spec gateway(const YAML::Node& n, const std::string& p) const {
    check_keys(n, p,
               {"server", "provider", "model", "tenant", "top", "nodes", "shared_state", "cpus"});
    gateway_spec g;
    for (auto key : {"server", "provider", "model", "tenant", "top"}) {
      if (!n[key]) continue;
      if (!n[key].IsMap())
        fail(n[key], join(p, key), "expected a mapping (merged into the gateway's configuration)");
    }
    if (n["server"]) g.server = YAML::Clone(n["server"]);
    if (n["provider"]) g.provider = YAML::Clone(n["provider"]);
    if (n["model"]) g.model = YAML::Clone(n["model"]);
    if (n["tenant"]) g.tenant = YAML::Clone(n["tenant"]);
    if (n["top"]) g.top = YAML::Clone(n["top"]);
    if (n["nodes"]) g.nodes = static_cast<unsigned>(integer(n["nodes"], join(p, "nodes"), 1, 16));
    if (n["shared_state"]) g.shared_state = boolean(n["shared_state"], join(p, "shared_state"));
    if (n["cpus"]) {
      g.cpus = str(n["cpus"], join(p, "cpus"));
      const bool list_ok = !g.cpus.empty() &&
                           g.cpus.find_first_not_of("0123456789,-") == std::string::npos &&
                           std::isdigit(static_cast<unsigned char>(g.cpus.front())) &&
                           std::isdigit(static_cast<unsigned char>(g.cpus.back()));
      if (!list_ok)
        fail(n["cpus"], join(p, "cpus"), "expected a taskset CPU list such as \"1\" or \"0-1,3\"");
    }
    return g;
  }

  scenario whole(const YAML::Node& root, std::string_view file) const {
    if (!root.IsDefined() || root.IsNull()) fail(root, "", "the file is empty");
    check_keys(
        root, "",
        {"name", "description", "requires", "systems", "mocks", "gateway", "loads", "memory"});
    scenario s;
    s.path = std::string(file);
    auto base = std::string(file);
    auto slash = base.find_last_of('/');
    if (slash != std::string::npos) base = base.substr(slash + 1);
    auto dot = base.rfind('.');
    if (dot != std::string::npos) base = base.substr(0, dot);
    s.name = root["name"] ? name(root["name"], "name") : base;
    if (root["description"]) {
      s.description = str(root["description"], "description");
      while (!s.description.empty() &&
             (s.description.back() == '\n' || s.description.back() == ' ')) {
        s.description.pop_back();
      }
    }

    if (root["requires"]) {
      const auto& r = root["requires"];
      if (!r.IsSequence()) fail(r, "requires", "expected a list of {issue, feature}");
      for (std::size_t i = 0; i < r.size(); ++i) {
        auto p = "requires[" + std::to_string(i) + "]";
        check_keys(r[i], p, {"issue", "feature"});
        if (!r[i]["issue"] || !r[i]["feature"]) fail(r[i], p, "needs both issue and feature");
        requirement q;
        q.issue = static_cast<int>(integer(r[i]["issue"], join(p, "issue"), 1, 100000));
        q.feature = str(r[i]["feature"], join(p, "feature"));
        s.requires_features.push_back(q);
      }
    }

    if (!root["mocks"]) fail(root, "mocks", "missing: at least one mock upstream");
    const auto& mocks = root["mocks"];
    if (!mocks.IsSequence() || mocks.size() == 0) fail(mocks, "mocks", "expected a non-empty list");
    std::set<std::string> mock_names;
    for (std::size_t i = 0; i < mocks.size(); ++i) {
      auto p = "mocks[" + std::to_string(i) + "]";
      s.mocks.push_back(mock(mocks[i], p));
      if (!mock_names.insert(s.mocks.back().name).second) {
        fail(mocks[i]["name"], join(p, "name"),
             "duplicate mock name \"" + s.mocks.back().name + "\"");
      }
    }

    if (!root["systems"])
      fail(root, "systems",
           "missing: which systems to measure (direct, nginx, switchyard, portkey)");
    const auto& systems = root["systems"];
    if (!systems.IsSequence() || systems.size() == 0)
      fail(systems, "systems", "expected a non-empty list");
    std::set<std::string> system_names;
    for (std::size_t i = 0; i < systems.size(); ++i) {
      auto p = "systems[" + std::to_string(i) + "]";
      s.systems.push_back(system(systems[i], p));
      if (!system_names.insert(s.systems.back().name).second) {
        fail(systems[i], p, "system \"" + s.systems.back().name + "\" is listed twice");
      }
    }

    if (root["gateway"]) s.gateway = gateway(root["gateway"], "gateway");

    if (!root["loads"]) fail(root, "loads", "missing: at least one load");
    const auto& loads = root["loads"];
    if (!loads.IsSequence() || loads.size() == 0) fail(loads, "loads", "expected a non-empty list");
    std::set<std::string> load_names;
    for (std::size_t i = 0; i < loads.size(); ++i) {
      auto p = "loads[" + std::to_string(i) + "]";
      s.loads.push_back(load(loads[i], p));
      if (!load_names.insert(s.loads.back().name).second) {
        fail(loads[i]["name"], join(p, "name"),
             "duplicate load name \"" + s.loads.back().name + "\"");
      }
      if (const auto& after = s.loads.back().right_after;
          !after.empty() && (i == 0 || s.loads[i - 1].name != after)) {
        fail(loads[i]["right_after"], join(p, "right_after"),
             i == 0 ? std::string("the first load cannot follow another")
                    : "must name the load just before this one (\"" + s.loads[i - 1].name +
                          "\"), got \"" + after + "\"");
      }
    }

    if (root["memory"]) {
      const auto& m = root["memory"];
      check_keys(m, "memory", {"enabled", "max_bytes_per_stream"});
      s.memory.enabled = m["enabled"] ? boolean(m["enabled"], "memory.enabled") : true;
      if (m["max_bytes_per_stream"]) {
        s.memory.max_bytes_per_stream =
            number(m["max_bytes_per_stream"], "memory.max_bytes_per_stream", 1, 1e12);
      }
    }

    // A phase must fit inside every load, or the mock would still be in it (down, failing) when
    // the next load or system starts.
    for (std::size_t i = 0; i < s.mocks.size(); ++i) {
      for (std::size_t j = 0; j < s.mocks[i].phases.size(); ++j) {
        const auto& ph = s.mocks[i].phases[j];
        for (const auto& l : s.loads) {
          if (ph.to_s > l.warmup_s + l.duration_s) {
            auto p = "mocks[" + std::to_string(i) + "].phases[" + std::to_string(j) + "]";
            fail(mocks[i]["phases"][j]["to_s"], join(p, "to_s"),
                 "ends at " + fmt_num(ph.to_s) + " s, after load \"" + l.name + "\" ends (" +
                     fmt_num(l.warmup_s + l.duration_s) + " s with its warm-up)");
          }
        }
      }
    }
    bool needs_gateway = std::any_of(s.systems.begin(), s.systems.end(), [](const system_spec& x) {
      return x.kind == system_kind::switchyard;
    });
    if (root["gateway"] && !needs_gateway) {
      fail(root["gateway"], "gateway", "set, but switchyard is not among the systems");
    }
    return s;
  }

 private:
  // A near miss: same length with one or two letters changed, or one letter added or dropped.
  static bool close_to(std::string_view a, std::string_view b) {
    std::size_t n = a.size(), m = b.size();
    std::vector<std::size_t> prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= m; ++j) {
        cur[j] =
            std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[m] <= 2;
  }

  std::string file_;
};

std::string latency_args(const latency_spec& l) {
  char buf[96];
  if (l.lognormal) {
    std::snprintf(buf, sizeof buf, "lognormal:%g:%g", l.ms, l.sigma);
  } else {
    std::snprintf(buf, sizeof buf, "fixed:%g", l.ms);
  }
  return buf;
}

std::string latency_json(const latency_spec& l) {
  std::string s = "{\"dist\":\"";
  s += l.lognormal ? "lognormal" : "fixed";
  s += "\",\"ms\":" + fmt_num(l.ms);
  if (l.lognormal) s += ",\"sigma\":" + fmt_num(l.sigma);
  if (l.tail_share > 0)
    s += ",\"tail_share\":" + fmt_num(l.tail_share) + ",\"tail_ms\":" + std::to_string(l.tail_ms);
  return s + "}";
}

}  // namespace

bool scenario::uses_switchyard() const {
  return std::any_of(systems.begin(), systems.end(),
                     [](const system_spec& s) { return s.kind == system_kind::switchyard; });
}

double scenario::longest_load_s() const {
  double m = 0;
  for (const auto& l : loads) m = std::max(m, l.warmup_s + l.duration_s);
  return m;
}

result<scenario, std::string> parse_scenario(std::string_view text, std::string_view file) {
  parser p{std::string(file)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return std::string(file) + ":" + std::to_string(e.mark.line + 1) + ":" +
           std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg;
  }
  try {
    return p.whole(root, file);
  } catch (const parse_failure& f) {
    return f.message;
  } catch (const YAML::Exception& e) {
    return std::string(file) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
  }
}

result<scenario, std::string> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot read the scenario file (does it exist?)";
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), path);
}

std::string_view to_string(system_kind k) {
  switch (k) {
    case system_kind::direct:
      return "direct";
    case system_kind::nginx:
      return "nginx";
    case system_kind::switchyard:
      return "switchyard";
    case system_kind::portkey:
      return "portkey";
    case system_kind::external:
      return "external";
  }
  return "?";
}

std::vector<std::string> error_mix_rules(const std::vector<error_share>& mix) {
  std::vector<std::string> rules;
  double before = 0;
  for (const auto& e : mix) {
    double left = 1 - before;
    double p = left <= 0 ? 0 : std::min(1.0, e.share / left);
    before += e.share;
    if (e.share <= 0) continue;
    std::string r = "{\"kind\":\"" + e.kind + "\"";
    if (e.kind == "status") r += ",\"status\":" + std::to_string(e.status);
    if (e.retry_after_s) r += ",\"retry_after\":" + std::to_string(*e.retry_after_s);
    if (e.stream) r += std::string(",\"stream\":") + (*e.stream ? "true" : "false");
    char buf[48];
    std::snprintf(buf, sizeof buf, ",\"probability\":%.10g}", p);
    rules.push_back(r + buf);
  }
  return rules;
}

std::string phase_json(const phase_spec& p) {
  std::string s = "{\"from_s\":" + fmt_num(p.from_s) + ",\"to_s\":" + fmt_num(p.to_s);
  if (p.down) s += ",\"down\":true";
  if (p.status) s += ",\"status\":" + std::to_string(*p.status);
  if (!p.errors.empty()) {
    s += ",\"faults\":[";
    auto rules = error_mix_rules(p.errors);
    for (std::size_t i = 0; i < rules.size(); ++i) s += (i ? "," : "") + rules[i];
    s += "]";
  }
  if (p.latency) s += ",\"latency\":" + latency_json(*p.latency);
  if (p.tokens_per_second) s += ",\"tokens_per_second\":" + fmt_num(*p.tokens_per_second);
  return s + "}";
}

std::vector<std::string> mock_arguments(const mock_spec& m) {
  std::vector<std::string> a = {"--threads", std::to_string(m.threads), "--latency",
                                latency_args(m.latency)};
  if (m.latency.tail_share > 0) {
    a.push_back("--tail");
    a.push_back(fmt_num(m.latency.tail_share) + ":" + std::to_string(m.latency.tail_ms));
  }
  a.insert(a.end(), {"--ttft-ms", std::to_string(m.ttft_ms), "--tokens-per-second",
                     fmt_num(m.tokens_per_second), "--reply-tokens", std::to_string(m.reply_tokens),
                     "--max-concurrency", std::to_string(m.max_concurrency), "--record-requests",
                     "0", "--idle-timeout-ms", "600000"});
  for (const auto& r : error_mix_rules(m.errors)) {
    a.push_back("--fault");
    a.push_back(r);
  }
  for (const auto& p : m.phases) {
    a.push_back("--phase");
    a.push_back(phase_json(p));
  }
  return a;
}

std::string describe(const load_spec& l) {
  std::string s;
  if (l.rate) {
    s = "open loop, " + fmt_num(*l.rate) + " req/s (" + l.arrival + ")";
  } else {
    s = "closed loop, " + std::to_string(*l.closed) + " workers";
  }
  s += " for " + fmt_num(l.duration_s) + " s";
  if (l.warmup_s > 0) s += " after " + fmt_num(l.warmup_s) + " s warm-up";
  if (l.stream_share > 0)
    s += ", " + fmt_num(l.stream_share * 100) + "% streams";
  else
    s += ", no streams";
  s += ", max_tokens " + std::to_string(l.max_tokens);
  return s;
}

std::string describe(const mock_spec& m) {
  std::string s;
  if (m.latency.lognormal) {
    s = "lognormal latency (median " + fmt_num(m.latency.ms) + " ms, sigma " +
        fmt_num(m.latency.sigma) + ")";
  } else {
    s = "fixed latency " + fmt_num(m.latency.ms) + " ms";
  }
  if (m.latency.tail_share > 0) {
    s += ", " + fmt_num(m.latency.tail_share * 100) + "% of requests +" +
         std::to_string(m.latency.tail_ms) + " ms";
  }
  if (m.ttft_ms) s += ", ttft +" + std::to_string(m.ttft_ms) + " ms";
  s += ", " + std::to_string(m.reply_tokens) + "-token replies";
  if (m.tokens_per_second > 0)
    s += " at " + fmt_num(m.tokens_per_second) + " tokens/s";
  else
    s += " (unpaced)";
  if (m.max_concurrency)
    s += ", serves " + std::to_string(m.max_concurrency) + " at once (the rest queue)";
  for (const auto& e : m.errors) {
    s += ", " + fmt_num(e.share * 100) + "% " +
         (e.kind == "status" ? std::to_string(e.status) : e.kind);
  }
  s += ", " + std::to_string(m.threads) + " thread" + (m.threads == 1 ? "" : "s");
  return s;
}

}  // namespace switchyard::bench
