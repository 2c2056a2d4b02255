// Reading switchyard-bench reports (see bench/loadgen/README.md for every key).
#include "bench/runner/load_report.hpp"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace switchyard::bench {

namespace {

using protocols::result;
using value = rapidjson::Value;

double num(const value& v, const char* key, double fallback = 0) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsNumber()) return fallback;
  return it->value.GetDouble();
}

std::optional<double> opt_num(const value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  return it->value.GetDouble();
}

latency_summary summary(const value& v) {
  latency_summary s;
  if (!v.IsObject()) return s;
  s.count = static_cast<std::uint64_t>(num(v, "count"));
  s.min = num(v, "min_ms");
  s.mean = num(v, "mean_ms");
  s.p50 = num(v, "p50_ms");
  s.p90 = num(v, "p90_ms");
  s.p99 = num(v, "p99_ms");
  s.p99_9 = num(v, "p99_9_ms");
  s.max = num(v, "max_ms");
  return s;
}

std::vector<std::string> strings(const value& doc, const char* key) {
  std::vector<std::string> out;
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& s : it->value.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

}  // namespace

double load_report::peak_in_flight() const {
  double m = 0;
  for (const auto& r : series) m = std::max(m, r.in_flight);
  return m;
}

result<load_report, std::string> parse_load_report(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return std::string("the generator's report is not valid JSON (") +
           rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
           std::to_string(doc.GetErrorOffset()) + ")";
  }
  if (!doc.IsObject()) return std::string("the generator's report is not a JSON object");
  for (const char* key : {"valid", "counts", "latency", "rate", "duration"}) {
    if (!doc.HasMember(key)) return std::string("the generator's report has no \"") + key + "\"";
  }
  load_report r;
  r.valid = doc["valid"].IsBool() && doc["valid"].GetBool();
  r.invalid_reasons = strings(doc, "invalid_reasons");
  r.warnings = strings(doc, "warnings");
  r.fell_behind = doc.HasMember("generator_fell_behind") && doc["generator_fell_behind"].IsBool() &&
                  doc["generator_fell_behind"].GetBool();
  r.measured_s = num(doc["duration"], "measured_s");
  const auto& rate = doc["rate"];
  r.target_rps = opt_num(rate, "target_rps");
  r.completed_rps = num(rate, "completed_rps");
  r.ok_rps = num(rate, "ok_rps");
  const auto& c = doc["counts"];
  r.scheduled = static_cast<std::uint64_t>(num(c, "scheduled"));
  r.sent = static_cast<std::uint64_t>(num(c, "sent"));
  r.completed = static_cast<std::uint64_t>(num(c, "completed"));
  r.ok = static_cast<std::uint64_t>(num(c, "ok"));
  r.failed = static_cast<std::uint64_t>(num(c, "failed"));
  r.non_2xx = static_cast<std::uint64_t>(num(c, "non_2xx"));
  r.errors = static_cast<std::uint64_t>(num(c, "errors"));
  r.error_rate = num(c, "error_rate");
  if (doc.HasMember("status") && doc["status"].HasMember("codes") &&
      doc["status"]["codes"].IsObject()) {
    for (const auto& m : doc["status"]["codes"].GetObject()) {
      r.status_codes.emplace_back(m.name.GetString(),
                                  static_cast<std::uint64_t>(m.value.GetDouble()));
    }
  }
  if (doc.HasMember("errors") && doc["errors"].IsObject()) {
    for (const auto& m : doc["errors"].GetObject()) {
      load_report::error_kind k;
      k.kind = m.name.GetString();
      k.count = static_cast<std::uint64_t>(num(m.value, "count"));
      auto ex = m.value.FindMember("example");
      if (ex != m.value.MemberEnd() && ex->value.IsString()) k.example = ex->value.GetString();
      r.error_kinds.push_back(k);
    }
  }
  r.latency = summary(doc["latency"]);
  if (doc.HasMember("ttft")) r.ttft = summary(doc["ttft"]);
  if (doc.HasMember("latency_ok")) r.latency_ok = summary(doc["latency_ok"]);
  if (doc.HasMember("latency_rejected")) r.latency_rejected = summary(doc["latency_rejected"]);
  if (doc.HasMember("itl")) r.itl = summary(doc["itl"]);
  if (doc.HasMember("streams") && doc["streams"].IsObject()) {
    const auto& s = doc["streams"];
    r.streams = static_cast<std::uint64_t>(num(s, "count"));
    r.streams_done = static_cast<std::uint64_t>(num(s, "done"));
    r.streams_cut = static_cast<std::uint64_t>(num(s, "cut"));
    r.streams_error_event = static_cast<std::uint64_t>(num(s, "error_event"));
  }
  if (doc.HasMember("time_series") && doc["time_series"].IsArray()) {
    for (const auto& row : doc["time_series"].GetArray()) {
      series_row s;
      s.t = num(row, "t");
      s.warmup = row.HasMember("warmup") && row["warmup"].IsBool() && row["warmup"].GetBool();
      s.sent = num(row, "sent");
      s.completed = num(row, "completed");
      s.errors = num(row, "errors");
      s.in_flight = num(row, "in_flight");
      s.p50_ms = opt_num(row, "p50_ms");
      s.p99_ms = opt_num(row, "p99_ms");
      s.ttft_p50_ms = opt_num(row, "ttft_p50_ms");
      r.series.push_back(s);
    }
  }
  return r;
}

}  // namespace switchyard::bench
