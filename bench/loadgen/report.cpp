// Writes the JSON report with RapidJSON and formats the human-readable progress lines.
#include "bench/loadgen/report.hpp"

#include <cinttypes>
#include <cstdio>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace switchyard::loadgen {

namespace {

using writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

double to_ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

void key(writer& w, const char* k) {
  w.Key(k);
}

void string(writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void optional_ms(writer& w, const char* k, const std::optional<std::uint64_t>& v) {
  key(w, k);
  if (v) {
    w.Double(to_ms(*v));
  } else {
    w.Null();
  }
}

// {"count", "min_ms", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms"}; the
// figures are null when nothing was recorded.
void summary(writer& w, const char* name, const histogram& h) {
  key(w, name);
  w.StartObject();
  key(w, "count");
  w.Uint64(h.count());
  struct point {
    const char* key;
    double p;
  };
  static constexpr point points[] = {
      {"p50_ms", 50}, {"p90_ms", 90}, {"p99_ms", 99}, {"p99_9_ms", 99.9}};
  auto value = [&](const char* k, std::uint64_t ns) {
    key(w, k);
    if (h.empty()) {
      w.Null();
    } else {
      w.Double(to_ms(ns));
    }
  };
  value("min_ms", h.min());
  key(w, "mean_ms");
  if (h.empty()) {
    w.Null();
  } else {
    w.Double(h.mean() / 1e6);
  }
  for (const auto& p : points) value(p.key, h.percentile(p.p));
  value("max_ms", h.max());
  w.EndObject();
}

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

void write_config(writer& w, const options& o) {
  key(w, "config");
  w.StartObject();
  key(w, "base_url");
  string(w, o.target.to_string());
  key(w, "mode");
  w.String(o.closed ? "closed" : "open");
  key(w, "rate");
  if (o.rate) {
    w.Double(*o.rate);
  } else {
    w.Null();
  }
  key(w, "arrival");
  if (o.closed) {
    w.Null();
  } else {
    w.String(o.arrival == arrival_kind::poisson ? "poisson" : "constant");
  }
  key(w, "closed_workers");
  if (o.closed) {
    w.Uint(*o.closed);
  } else {
    w.Null();
  }
  key(w, "connections");
  w.Uint(o.closed ? *o.closed : o.connections);
  key(w, "duration_s");
  w.Double(o.duration_s);
  key(w, "warmup_s");
  w.Double(o.warmup_s);
  key(w, "timeout_ms");
  w.Uint(o.timeout_ms);
  key(w, "threads");
  w.Uint(o.threads);
  key(w, "seed");
  w.Uint64(o.seed);
  key(w, "api_key_set");
  w.Bool(!o.api_key.empty());
  key(w, "extra_headers");  // names only: values may be secrets
  w.StartArray();
  for (const auto& h : o.headers) string(w, h.substr(0, h.find(':')));
  w.EndArray();
  key(w, "request");
  w.String(o.raw() ? "raw" : "chat");
  if (o.raw()) {
    key(w, "path");
    string(w, *o.path);
    key(w, "method");
    string(w, o.method);
    key(w, "body_file");
    if (o.body_file.empty()) {
      w.Null();
    } else {
      string(w, o.body_file);
    }
    key(w, "body_bytes");
    w.Uint64(o.body.size());
  } else {
    key(w, "models");
    w.StartArray();
    for (const auto& m : o.models) {
      w.StartObject();
      key(w, "name");
      string(w, m.name);
      key(w, "weight");
      w.Double(m.weight);
      w.EndObject();
    }
    w.EndArray();
    key(w, "prompt_bytes");
    w.StartArray();
    for (const auto& p : o.prompt_sizes) {
      w.StartObject();
      key(w, "bytes");
      w.Uint64(p.bytes);
      key(w, "weight");
      w.Double(p.weight);
      w.EndObject();
    }
    w.EndArray();
    key(w, "stream_share");
    w.Double(o.stream_share);
    key(w, "max_tokens");
    if (o.max_tokens > 0) {
      w.Uint(o.max_tokens);
    } else {
      w.Null();
    }
    key(w, "include_usage");
    w.Bool(o.include_usage);
    key(w, "unique_prompts");
    w.Bool(o.unique_prompts);
  }
  w.EndObject();
}

}  // namespace

std::vector<std::string> invalid_reasons(const run_stats& s, const run_info& info) {
  std::vector<std::string> reasons;
  if (s.fell_behind()) {
    reasons.push_back("the generator fell behind its schedule (dispatch lag p50 " +
                      format_ms(s.lag.percentile(50)) + ", max " + format_ms(s.lag.max()) +
                      "; limits 1ms and 100ms): the latencies include the generator's own delay");
  }
  if (info.interrupted) reasons.push_back("the run was interrupted");
  if (s.unfinished > 0) {
    reasons.push_back(std::to_string(s.unfinished) + " request(s) were abandoned unfinished");
  }
  if (s.completed == 0) reasons.push_back("no request completed");
  return reasons;
}

std::vector<std::string> run_warnings(const run_stats& s) {
  std::vector<std::string> out;
  if (s.sent > 0 && s.queued * 100 > s.sent) {
    char b[320];
    std::snprintf(b, sizeof b,
                  "%" PRIu64
                  " requests (%.1f%%) waited in the generator's queue for a free "
                  "connection (deepest %" PRIu64
                  "); their latency includes that wait: raise "
                  "--connections to measure the server alone",
                  s.queued, 100.0 * static_cast<double>(s.queued) / static_cast<double>(s.sent),
                  s.max_queue_depth);
    out.emplace_back(b);
  }
  if (s.completed > 0 && s.ok == 0) {
    out.emplace_back("no request got a 2xx response (check --base-url, --api-key and --model)");
  }
  return out;
}

std::string build_report(const options& o, const run_stats& s,
                         const std::vector<series_row>& series, const run_info& info) {
  rapidjson::StringBuffer buf;
  writer w(buf);
  w.SetIndent(' ', 2);
  const auto reasons = invalid_reasons(s, info);
  const std::uint64_t errors = s.failed + s.non_2xx();

  w.StartObject();
  key(w, "tool");
  w.String("switchyard-bench");
  key(w, "report_version");
  w.Uint(1);
  key(w, "valid");
  w.Bool(reasons.empty());
  key(w, "invalid_reasons");
  w.StartArray();
  for (const auto& r : reasons) string(w, r);
  w.EndArray();
  key(w, "warnings");
  w.StartArray();
  for (const auto& r : run_warnings(s)) string(w, r);
  w.EndArray();
  key(w, "generator_fell_behind");
  w.Bool(s.fell_behind());
  key(w, "interrupted");
  w.Bool(info.interrupted);
  key(w, "started_at");
  string(w, info.started_at);
  key(w, "target_address");
  string(w, info.target_address);
  write_config(w, o);

  key(w, "duration");
  w.StartObject();
  key(w, "measured_s");
  w.Double(info.measured_s);
  key(w, "warmup_s");
  w.Double(o.warmup_s);
  key(w, "elapsed_s");
  w.Double(info.elapsed_s);
  w.EndObject();

  key(w, "rate");
  w.StartObject();
  key(w, "target_rps");
  if (o.rate) {
    w.Double(*o.rate);
  } else {
    w.Null();
  }
  key(w, "scheduled_rps");
  w.Double(per_second(s.scheduled, info.measured_s));
  key(w, "sent_rps");
  w.Double(per_second(s.sent, info.measured_s));
  key(w, "completed_rps");
  w.Double(per_second(s.completed, info.measured_s));
  key(w, "ok_rps");
  w.Double(per_second(s.ok, info.measured_s));
  w.EndObject();

  key(w, "counts");
  w.StartObject();
  key(w, "scheduled");
  w.Uint64(s.scheduled);
  key(w, "sent");
  w.Uint64(s.sent);
  key(w, "completed");
  w.Uint64(s.completed);
  key(w, "ok");
  w.Uint64(s.ok);
  key(w, "failed");
  w.Uint64(s.failed);
  key(w, "non_2xx");
  w.Uint64(s.non_2xx());
  key(w, "errors");
  w.Uint64(errors);
  key(w, "error_rate");
  w.Double(s.scheduled > 0 ? static_cast<double>(errors) / static_cast<double>(s.scheduled) : 0);
  key(w, "unfinished");
  w.Uint64(s.unfinished);
  w.EndObject();

  key(w, "status");
  w.StartObject();
  key(w, "classes");
  w.StartObject();
  for (unsigned c = 1; c <= 5; ++c) {
    const std::string name = std::to_string(c) + "xx";
    string(w, name);
    w.Uint64(s.status_class(c));
  }
  key(w, "other");
  w.Uint64(s.status[0]);
  w.EndObject();
  key(w, "codes");
  w.StartObject();
  for (std::size_t code = 100; code < s.status.size(); ++code) {
    if (s.status[code] == 0) continue;
    string(w, std::to_string(code));
    w.Uint64(s.status[code]);
  }
  w.EndObject();
  w.EndObject();

  key(w, "errors");
  w.StartObject();
  for (std::size_t k = 1; k < error_kind_count; ++k) {
    if (s.errors[k] == 0) continue;
    key(w, error_kind_name(static_cast<error_kind>(k)));
    w.StartObject();
    key(w, "count");
    w.Uint64(s.errors[k]);
    key(w, "example");
    string(w, s.error_examples[k]);
    w.EndObject();
  }
  w.EndObject();

  summary(w, "latency", s.latency);
  summary(w, "latency_ok", s.latency_ok);
  summary(w, "latency_rejected", s.latency_rejected);
  summary(w, "ttfb", s.ttfb);
  summary(w, "ttft", s.ttft);
  summary(w, "itl", s.itl);
  summary(w, "total", s.total);

  key(w, "streams");
  w.StartObject();
  key(w, "count");
  w.Uint64(s.streams);
  for (std::size_t e = 0; e < stream_end_count; ++e) {
    key(w, stream_end_name(static_cast<stream_end>(e)));
    w.Uint64(s.stream_ends[e]);
  }
  key(w, "not_event_stream");
  w.Uint64(s.not_event_stream);
  key(w, "malformed");
  w.Uint64(s.malformed_streams);
  key(w, "content_chunks");
  w.Uint64(s.content_chunks);
  w.EndObject();

  key(w, "tokens");
  w.StartObject();
  key(w, "usage_reports");
  w.Uint64(s.usage_reports);
  key(w, "prompt");
  w.Uint64(s.prompt_tokens);
  key(w, "completion");
  w.Uint64(s.completion_tokens);
  key(w, "completion_per_s");
  w.Double(per_second(s.completion_tokens, info.measured_s));
  w.EndObject();

  key(w, "bytes");
  w.StartObject();
  key(w, "sent");
  w.Uint64(s.bytes_sent);
  key(w, "received");
  w.Uint64(s.bytes_received);
  w.EndObject();

  key(w, "generator");
  w.StartObject();
  key(w, "fell_behind");
  w.Bool(s.fell_behind());
  summary(w, "lag", s.lag);
  key(w, "lag_limits");
  w.StartObject();
  key(w, "p50_ms");
  w.Double(to_ms(lag_median_limit_ns));
  key(w, "max_ms");
  w.Double(to_ms(lag_max_limit_ns));
  w.EndObject();
  key(w, "queued");
  w.Uint64(s.queued);
  key(w, "waited_for_connect");
  w.Uint64(s.waited_for_connect);
  key(w, "max_queue_depth");
  w.Uint64(s.max_queue_depth);
  summary(w, "queue_wait", s.queue_wait);
  key(w, "connections_opened");
  w.Uint64(s.connections_opened);
  key(w, "connect_failures");
  w.Uint64(s.connect_failures);
  key(w, "peer_closes");
  w.Uint64(s.peer_closes);
  w.EndObject();

  key(w, "time_series");
  w.StartArray();
  for (const auto& r : series) {
    w.StartObject();
    key(w, "t");
    w.Int64(r.second);
    key(w, "warmup");
    w.Bool(r.warmup);
    key(w, "sent");
    w.Uint64(r.sent);
    key(w, "completed");
    w.Uint64(r.completed);
    key(w, "errors");
    w.Uint64(r.errors);
    key(w, "in_flight");
    w.Uint64(r.in_flight);
    key(w, "queue");
    w.Uint64(r.queue);
    optional_ms(w, "p50_ms", r.p50);
    optional_ms(w, "p99_ms", r.p99);
    optional_ms(w, "ttft_p50_ms", r.ttft_p50);
    optional_ms(w, "ttft_p99_ms", r.ttft_p99);
    optional_ms(w, "lag_p50_ms", r.lag_p50);
    optional_ms(w, "lag_max_ms", r.lag_max);
    key(w, "behind");
    w.Bool(r.behind);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string out(buf.GetString(), buf.GetSize());
  out += '\n';
  return out;
}

std::string format_ms(std::uint64_t ns) {
  char b[48];
  std::snprintf(b, sizeof b, "%.3fms", static_cast<double>(ns) / 1e6);
  return b;
}

std::string format_progress(const series_row& row, std::uint64_t total_sent,
                            std::uint64_t total_errors, bool open_loop) {
  auto opt = [](const std::optional<std::uint64_t>& v) {
    return v ? format_ms(*v) : std::string("-");
  };
  char b[512];
  int n = std::snprintf(b, sizeof b,
                        "[%5" PRId64 "s]%s sent %" PRIu64 " (%" PRIu64 "/s) done %" PRIu64
                        "/s p50 %s p99 %s errors %" PRIu64 " (%" PRIu64 "/s) inflight %" PRIu64,
                        row.second + 1, row.warmup ? " warmup" : "", total_sent, row.sent,
                        row.completed, opt(row.p50).c_str(), opt(row.p99).c_str(), total_errors,
                        row.errors, row.in_flight);
  std::string line(b, static_cast<std::size_t>(n < 0 ? 0 : n));
  if (row.ttft_p50) line += " ttft p50 " + opt(row.ttft_p50);
  if (open_loop) {
    line += " queue " + std::to_string(row.queue) + " lag p50 " + opt(row.lag_p50) + " max " +
            opt(row.lag_max);
    if (row.behind) line += "  GENERATOR FELL BEHIND";
  }
  return line;
}

std::string format_summary(const run_stats& s, const run_info& info) {
  char b[512];
  const std::uint64_t errors = s.failed + s.non_2xx();
  const double rate = per_second(s.completed, info.measured_s);
  std::snprintf(
      b, sizeof b,
      "%" PRIu64 " requests, %" PRIu64
      " completed (%.1f/s), p50 %s p99 %s p99.9 %s "
      "max %s, errors %" PRIu64 " (%.2f%%)",
      s.scheduled, s.completed, rate, format_ms(s.latency.percentile(50)).c_str(),
      format_ms(s.latency.percentile(99)).c_str(), format_ms(s.latency.percentile(99.9)).c_str(),
      format_ms(s.latency.max()).c_str(), errors,
      s.scheduled > 0 ? 100.0 * static_cast<double>(errors) / static_cast<double>(s.scheduled)
                      : 0.0);
  std::string line = b;
  if (!s.ttft.empty()) {
    line += ", ttft p50 " + format_ms(s.ttft.percentile(50)) + " p99 " +
            format_ms(s.ttft.percentile(99));
  }
  return line;
}

}  // namespace switchyard::loadgen
