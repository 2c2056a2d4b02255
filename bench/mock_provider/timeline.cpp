// Latency models and timed phases of the mock provider: strict JSON parsing with errors that name
// the key, seeded draws, and the restartable scenario clock.
#include "bench/mock_provider/timeline.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::mock {

namespace {

using protocols::result;

constexpr double max_ms = 3'600'000;
constexpr double max_phase_s = 86'400;
constexpr double max_sigma = 5;

std::string key_path(std::string_view where, std::string_view key) {
  std::string s(where);
  s += '.';
  s += key;
  return s;
}

bool read_number(const rapidjson::Value& v, double lo, double hi, double& out) {
  if (!v.IsNumber()) return false;
  double d = v.GetDouble();
  if (!std::isfinite(d) || d < lo || d > hi) return false;
  out = d;
  return true;
}

std::string range_text(double lo, double hi) {
  auto fmt = [](double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return std::string(buf);
  };
  return "expected a number from " + fmt(lo) + " to " + fmt(hi);
}

void write_number(rapidjson::Writer<rapidjson::StringBuffer>& w, double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    w.Int64(static_cast<std::int64_t>(d));
  } else {
    w.Double(d);
  }
}

}  // namespace

// ---- latency model --------------------------------------------------------------------------

bool latency_model::constant() const noexcept {
  bool spread = kind == dist::lognormal && sigma > 0;
  bool tail = tail_share > 0 && tail_ms > 0;
  return !spread && !tail;
}

std::uint32_t latency_model::sample(std::mt19937_64& rng) const {
  double wait = ms;
  if (kind == dist::lognormal && sigma > 0 && ms > 0) {
    std::normal_distribution<double> normal(0.0, sigma);
    wait = ms * std::exp(normal(rng));
  }
  if (tail_share > 0 && tail_ms > 0) {
    // 53 random bits: a uniform double in [0, 1), the same on every platform.
    double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    if (u < tail_share) wait += tail_ms;
  }
  wait = std::clamp(wait, 0.0, max_ms);
  return static_cast<std::uint32_t>(std::lround(wait));
}

std::string latency_model::to_json() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("dist");
  w.String(kind == dist::fixed ? "fixed" : "lognormal");
  w.Key("ms");
  write_number(w, ms);
  if (kind == dist::lognormal) {
    w.Key("sigma");
    write_number(w, sigma);
  }
  if (tail_share > 0) {
    w.Key("tail_share");
    write_number(w, tail_share);
    w.Key("tail_ms");
    w.Uint(tail_ms);
  }
  w.EndObject();
  return buf.GetString();
}

result<latency_model, std::string> parse_latency_model(const rapidjson::Value& v,
                                                       std::string_view where) {
  if (!v.IsObject()) return std::string(where) + ": expected a JSON object";
  latency_model m;
  bool has_ms = false;
  bool has_sigma = false;
  bool has_tail_share = false;
  bool has_tail_ms = false;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string_view key{it->name.GetString(), it->name.GetStringLength()};
    const auto& val = it->value;
    if (key == "dist") {
      std::string_view d = val.IsString() ? std::string_view{val.GetString(), val.GetStringLength()}
                                          : std::string_view{};
      if (d == "fixed") {
        m.kind = latency_model::dist::fixed;
      } else if (d == "lognormal") {
        m.kind = latency_model::dist::lognormal;
      } else {
        return key_path(where, key) + ": expected \"fixed\" or \"lognormal\"";
      }
    } else if (key == "ms") {
      if (!read_number(val, 0, max_ms, m.ms))
        return key_path(where, key) + ": " + range_text(0, max_ms);
      has_ms = true;
    } else if (key == "sigma") {
      if (!read_number(val, 0, max_sigma, m.sigma)) {
        return key_path(where, key) + ": " + range_text(0, max_sigma);
      }
      has_sigma = true;
    } else if (key == "tail_share") {
      if (!read_number(val, 0, 1, m.tail_share))
        return key_path(where, key) + ": " + range_text(0, 1);
      has_tail_share = true;
    } else if (key == "tail_ms") {
      double d = 0;
      if (!val.IsUint() || !read_number(val, 0, max_ms, d)) {
        return key_path(where, key) + ": expected an integer from 0 to 3600000";
      }
      m.tail_ms = static_cast<std::uint32_t>(d);
      has_tail_ms = true;
    } else {
      return key_path(where, key) +
             ": unknown key; valid keys: dist, ms, sigma, tail_share, tail_ms";
    }
  }
  if (!has_ms) return key_path(where, "ms") + ": missing (the fixed or median wait)";
  if (has_sigma && m.kind != latency_model::dist::lognormal) {
    return key_path(where, "sigma") + ": only valid with \"dist\": \"lognormal\"";
  }
  if (m.kind == latency_model::dist::lognormal && !has_sigma) {
    return key_path(where, "sigma") + ": missing; a lognormal needs its shape (e.g. 0.5)";
  }
  if (has_tail_share != has_tail_ms) {
    return key_path(where, has_tail_share ? "tail_ms" : "tail_share") +
           ": missing; a heavy tail needs both tail_share and tail_ms";
  }
  return m;
}

result<latency_model, std::string> parse_latency_spec(std::string_view spec) {
  auto number = [](std::string_view s, double lo, double hi, double& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && std::isfinite(out) &&
           out >= lo && out <= hi;
  };
  latency_model m;
  auto colon = spec.find(':');
  auto kind = spec.substr(0, colon);
  auto rest = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (kind == "fixed") {
    if (!number(rest, 0, max_ms, m.ms)) {
      return "\"" + std::string(spec) + "\": expected fixed:MS with MS from 0 to 3600000";
    }
    return m;
  }
  if (kind == "lognormal") {
    auto c2 = rest.find(':');
    if (c2 == std::string_view::npos || !number(rest.substr(0, c2), 0, max_ms, m.ms) ||
        !number(rest.substr(c2 + 1), 0, max_sigma, m.sigma)) {
      return "\"" + std::string(spec) +
             "\": expected lognormal:MEDIAN_MS:SIGMA, e.g. lognormal:50:0.5 (sigma 0 to 5)";
    }
    m.kind = latency_model::dist::lognormal;
    return m;
  }
  return "\"" + std::string(spec) + "\": expected fixed:MS or lognormal:MEDIAN_MS:SIGMA";
}

// ---- phases ---------------------------------------------------------------------------------

result<phase, std::string> parse_phase(const rapidjson::Value& v, std::string_view where) {
  if (!v.IsObject()) return std::string(where) + ": expected a JSON object";
  phase p;
  bool has_from = false;
  bool has_to = false;
  bool has_status = false;
  bool has_faults = false;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string_view key{it->name.GetString(), it->name.GetStringLength()};
    const auto& val = it->value;
    if (key == "from_s" || key == "to_s") {
      double d = 0;
      if (!read_number(val, 0, max_phase_s, d)) {
        return key_path(where, key) + ": " + range_text(0, max_phase_s);
      }
      (key == "from_s" ? p.from_s : p.to_s) = d;
      (key == "from_s" ? has_from : has_to) = true;
    } else if (key == "down") {
      if (!val.IsBool()) return key_path(where, key) + ": expected true or false";
      p.down = val.GetBool();
    } else if (key == "latency") {
      auto m = parse_latency_model(val, key_path(where, key));
      if (!m) return std::string(m.error());
      p.latency = m.value();
    } else if (key == "tokens_per_second") {
      double d = 0;
      if (!read_number(val, 0, 1e6, d)) return key_path(where, key) + ": " + range_text(0, 1e6);
      p.tokens_per_second = d;
    } else if (key == "status") {
      if (!val.IsUint() || val.GetUint() < 400 || val.GetUint() > 599) {
        return key_path(where, key) + ": expected an integer from 400 to 599";
      }
      fault_rule r;
      r.kind = fault_kind::status;
      r.status = val.GetUint();
      p.faults.insert(p.faults.begin(), r);
      has_status = true;
    } else if (key == "faults") {
      if (!val.IsArray()) return key_path(where, key) + ": expected an array of fault rules";
      for (rapidjson::SizeType i = 0; i < val.Size(); ++i) {
        auto r = parse_fault_rule(val[i], key_path(where, key) + "[" + std::to_string(i) + "]");
        if (!r) return std::string(r.error());
        p.faults.push_back(r.value());
      }
      has_faults = true;
    } else {
      return key_path(where, key) +
             ": unknown key; valid keys: from_s, to_s, down, latency, tokens_per_second, status, "
             "faults";
    }
  }
  if (!has_from) return key_path(where, "from_s") + ": missing (seconds from the clock's start)";
  if (!has_to) return key_path(where, "to_s") + ": missing (seconds from the clock's start)";
  if (!(p.to_s > p.from_s)) return key_path(where, "to_s") + ": must be after from_s";
  bool effect = p.latency || p.tokens_per_second || has_status || has_faults;
  if (p.down && effect) {
    return std::string(where) +
           ": a down phase closes the listener; it cannot also set latency, tokens_per_second, "
           "status or faults";
  }
  if (!p.down && !effect) {
    return std::string(where) +
           ": does nothing; give down: true, latency, tokens_per_second, status or faults";
  }
  return p;
}

result<std::vector<phase>, std::string> parse_phases(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return std::string("phase: not valid JSON (") +
           rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
           std::to_string(doc.GetErrorOffset()) + ")";
  }
  std::vector<phase> out;
  if (doc.IsArray()) {
    for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
      auto p = parse_phase(doc[i], "phases[" + std::to_string(i) + "]");
      if (!p) return std::string(p.error());
      out.push_back(std::move(p.value()));
    }
    return out;
  }
  auto p = parse_phase(doc, "phase");
  if (!p) return std::string(p.error());
  out.push_back(std::move(p.value()));
  return out;
}

std::string to_json(const phase& p) {
  std::string s = "{\"from_s\":";
  auto num = [](double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return std::string(buf);
  };
  s += num(p.from_s) + ",\"to_s\":" + num(p.to_s);
  if (p.down) s += ",\"down\":true";
  if (p.latency) s += ",\"latency\":" + p.latency->to_json();
  if (p.tokens_per_second) s += ",\"tokens_per_second\":" + num(*p.tokens_per_second);
  if (!p.faults.empty()) {
    s += ",\"faults\":[";
    for (std::size_t i = 0; i < p.faults.size(); ++i) {
      if (i) s += ',';
      s += mock::to_json(p.faults[i]);
    }
    s += ']';
  }
  s += '}';
  return s;
}

// ---- timeline -------------------------------------------------------------------------------

timeline::timeline(std::uint64_t seed, latency_model base_latency, double base_tokens_per_second,
                   std::vector<phase> phases)
    : base_latency_(base_latency),
      base_tokens_per_second_(base_tokens_per_second),
      phases_(std::move(phases)),
      origin_(clock::now().time_since_epoch().count()),
      rng_(seed ^ 0x9e3779b97f4a7c15ULL) {
  phase_faults_.reserve(phases_.size());
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    phase_faults_.push_back(std::make_unique<fault_plan>(seed + i + 1, phases_[i].faults));
  }
}

void timeline::restart(clock::time_point origin) noexcept {
  origin_.store(origin.time_since_epoch().count(), std::memory_order_release);
}

timeline::clock::time_point timeline::origin() const noexcept {
  return clock::time_point(clock::duration(origin_.load(std::memory_order_acquire)));
}

double timeline::elapsed_s(clock::time_point now) const noexcept {
  return std::chrono::duration<double>(now - origin()).count();
}

std::uint32_t timeline::draw(const latency_model& m) {
  if (m.constant()) return static_cast<std::uint32_t>(std::lround(std::clamp(m.ms, 0.0, max_ms)));
  std::lock_guard lock(rng_mu_);
  return m.sample(rng_);
}

request_plan timeline::plan(clock::time_point now) {
  const latency_model* latency = &base_latency_;
  double tps = base_tokens_per_second_;
  if (!phases_.empty()) {
    double t = elapsed_s(now);
    bool latency_set = false;
    bool tps_set = false;
    for (const auto& p : phases_) {
      if (!p.active_at(t)) continue;
      if (!latency_set && p.latency) {
        latency = &*p.latency;
        latency_set = true;
      }
      if (!tps_set && p.tokens_per_second) {
        tps = *p.tokens_per_second;
        tps_set = true;
      }
    }
  }
  return {draw(*latency), tps};
}

std::optional<fault_rule> timeline::pick_fault(bool is_stream, clock::time_point now) {
  if (phases_.empty()) return std::nullopt;
  double t = elapsed_s(now);
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i].faults.empty() || !phases_[i].active_at(t)) continue;
    if (auto f = phase_faults_[i]->pick(is_stream)) return f;
  }
  return std::nullopt;
}

bool timeline::down_at(clock::time_point now) const noexcept {
  double t = elapsed_s(now);
  for (const auto& p : phases_) {
    if (p.down && p.active_at(t)) return true;
  }
  return false;
}

bool timeline::has_down_phases() const noexcept {
  return std::any_of(phases_.begin(), phases_.end(), [](const phase& p) { return p.down; });
}

std::optional<timeline::clock::time_point> timeline::next_down_edge(
    clock::time_point now) const noexcept {
  double t = elapsed_s(now);
  std::optional<double> next;
  for (const auto& p : phases_) {
    if (!p.down) continue;
    for (double edge : {p.from_s, p.to_s}) {
      if (edge > t && (!next || edge < *next)) next = edge;
    }
  }
  if (!next) return std::nullopt;
  return origin() +
         std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(*next));
}

std::string timeline::to_json(clock::time_point now) const {
  double t = elapsed_s(now);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  std::string s = "{\"elapsed_s\":";
  s += buf;
  s += ",\"down\":";
  s += down_at(now) ? "true" : "false";
  s += ",\"active\":[";
  bool first = true;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (!phases_[i].active_at(t)) continue;
    if (!first) s += ',';
    first = false;
    s += std::to_string(i);
  }
  s += "],\"phases\":[";
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (i) s += ',';
    s += mock::to_json(phases_[i]);
  }
  s += "]}";
  return s;
}

}  // namespace switchyard::mock
