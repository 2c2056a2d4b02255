// The JSON report's shape (every documented key, with the right types and units), validity
// rules, and the progress and summary lines.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <string>

#include "bench/loadgen/report.hpp"

using namespace switchyard::loadgen;

namespace {

options open_options() {
  options o;
  o.target = parse_base_url("http://127.0.0.1:9/v1").value();
  o.rate = 100;
  o.duration_s = 2;
  o.warmup_s = 1;
  o.models = {{"m", 1}};
  o.stream_share = 0.5;
  o.headers = {"x-secret-header: value-must-not-leak"};
  o.api_key = "sk-must-not-leak";
  return o;
}

run_stats sample_stats() {
  run_stats s;
  s.scheduled = 200;
  s.sent = 200;
  s.completed = 198;
  s.ok = 196;
  s.status[200] = 197;  // one stream was cut after its headers
  s.status[429] = 2;
  s.add_error(error_kind::timeout, "no complete response within the request timeout");
  s.add_error(error_kind::reset, "read: Connection reset by peer");
  s.streams = 99;
  s.stream_ends[static_cast<std::size_t>(stream_end::done)] = 98;
  s.stream_ends[static_cast<std::size_t>(stream_end::cut)] = 1;
  s.completion_tokens = 1600;
  s.prompt_tokens = 5000;
  s.usage_reports = 196;
  for (int i = 1; i <= 198; ++i) s.latency.record(i * 10'000);
  for (int i = 1; i <= 99; ++i) s.ttft.record(i * 5'000);
  for (int i = 1; i <= 1000; ++i) s.itl.record(1'000'000);
  for (int i = 0; i < 200; ++i) s.lag.record(20'000);
  return s;
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

void check_summary(const rapidjson::Value& v, bool empty) {
  REQUIRE(v.IsObject());
  REQUIRE(v.HasMember("count"));
  for (const char* k : {"min_ms", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "max_ms"}) {
    INFO(k);
    REQUIRE(v.HasMember(k));
    CHECK((empty ? v[k].IsNull() : v[k].IsNumber()));
  }
}

}  // namespace

TEST_CASE("report: every documented section with the right types") {
  const options o = open_options();
  const run_stats s = sample_stats();
  series_row row;
  row.second = 0;
  row.warmup = true;
  row.sent = 100;
  row.completed = 99;
  row.p50 = 1'500'000;
  row.p99 = 2'000'000;
  run_info info;
  info.started_at = "2026-01-01T00:00:00Z";
  info.target_address = "127.0.0.1:9";
  info.measured_s = 2;
  info.elapsed_s = 3.1;
  const std::string json = build_report(o, s, {row}, info);
  CHECK(json.find("must-not-leak") == std::string::npos);
  const auto d = parse(json);

  CHECK(std::string(d["tool"].GetString()) == "switchyard-bench");
  CHECK(d["valid"].GetBool());
  CHECK(d["invalid_reasons"].Empty());
  CHECK(d["warnings"].Empty());
  CHECK_FALSE(d["generator_fell_behind"].GetBool());
  CHECK_FALSE(d["interrupted"].GetBool());
  CHECK(std::string(d["target_address"].GetString()) == "127.0.0.1:9");

  const auto& cfg = d["config"];
  CHECK(std::string(cfg["base_url"].GetString()) == "http://127.0.0.1:9/v1");
  CHECK(std::string(cfg["mode"].GetString()) == "open");
  CHECK(cfg["rate"].GetDouble() == 100);
  CHECK(std::string(cfg["arrival"].GetString()) == "constant");
  CHECK(cfg["closed_workers"].IsNull());
  CHECK(cfg["api_key_set"].GetBool());
  CHECK(std::string(cfg["extra_headers"][0].GetString()) == "x-secret-header");
  CHECK(std::string(cfg["request"].GetString()) == "chat");
  CHECK(std::string(cfg["models"][0]["name"].GetString()) == "m");
  CHECK(cfg["prompt_bytes"][0]["bytes"].GetUint() == 200);
  CHECK(cfg["stream_share"].GetDouble() == 0.5);
  CHECK(cfg["max_tokens"].GetUint() == 16);

  CHECK(d["duration"]["measured_s"].GetDouble() == 2);
  CHECK(d["duration"]["warmup_s"].GetDouble() == 1);
  CHECK(d["rate"]["target_rps"].GetDouble() == 100);
  CHECK(d["rate"]["scheduled_rps"].GetDouble() == 100);
  CHECK(d["rate"]["completed_rps"].GetDouble() == 99);
  CHECK(d["rate"]["ok_rps"].GetDouble() == 98);

  const auto& counts = d["counts"];
  CHECK(counts["scheduled"].GetUint64() == 200);
  CHECK(counts["completed"].GetUint64() == 198);
  CHECK(counts["ok"].GetUint64() == 196);
  CHECK(counts["failed"].GetUint64() == 2);
  CHECK(counts["non_2xx"].GetUint64() == 2);
  CHECK(counts["errors"].GetUint64() == 4);
  CHECK(counts["error_rate"].GetDouble() == Approx(0.02));

  CHECK(d["status"]["classes"]["2xx"].GetUint64() == 197);
  CHECK(d["status"]["classes"]["4xx"].GetUint64() == 2);
  CHECK(d["status"]["classes"]["5xx"].GetUint64() == 0);
  CHECK(d["status"]["codes"]["429"].GetUint64() == 2);
  CHECK_FALSE(d["status"]["codes"].HasMember("500"));

  CHECK(d["errors"]["timeout"]["count"].GetUint64() == 1);
  CHECK(std::string(d["errors"]["reset"]["example"].GetString()) ==
        "read: Connection reset by peer");
  CHECK_FALSE(d["errors"].HasMember("connect_refused"));

  check_summary(d["latency"], false);
  check_summary(d["ttfb"], true);
  check_summary(d["ttft"], false);
  check_summary(d["itl"], false);
  check_summary(d["total"], true);
  CHECK(d["latency"]["count"].GetUint64() == 198);
  CHECK(d["latency"]["max_ms"].GetDouble() == Approx(1.98));
  CHECK(d["latency"]["p50_ms"].GetDouble() == Approx(0.99).epsilon(0.01));
  CHECK(d["itl"]["p50_ms"].GetDouble() == Approx(1.0).epsilon(0.01));

  CHECK(d["streams"]["count"].GetUint64() == 99);
  CHECK(d["streams"]["done"].GetUint64() == 98);
  CHECK(d["streams"]["cut"].GetUint64() == 1);
  for (const char* k :
       {"error_event", "no_done", "timed_out", "not_event_stream", "malformed", "content_chunks"}) {
    CHECK(d["streams"].HasMember(k));
  }
  CHECK(d["tokens"]["completion"].GetUint64() == 1600);
  CHECK(d["tokens"]["completion_per_s"].GetDouble() == 800);

  const auto& g = d["generator"];
  CHECK_FALSE(g["fell_behind"].GetBool());
  check_summary(g["lag"], false);
  CHECK(g["lag"]["p50_ms"].GetDouble() == Approx(0.02).epsilon(0.01));
  CHECK(g["lag_limits"]["p50_ms"].GetDouble() == 1);
  CHECK(g["lag_limits"]["max_ms"].GetDouble() == 100);
  for (const char* k : {"queued", "waited_for_connect", "max_queue_depth", "connections_opened",
                        "connect_failures", "peer_closes"}) {
    CHECK(g[k].IsUint64());
  }
  check_summary(g["queue_wait"], true);

  const auto& ts = d["time_series"];
  REQUIRE(ts.Size() == 1);
  CHECK(ts[0]["t"].GetInt64() == 0);
  CHECK(ts[0]["warmup"].GetBool());
  CHECK(ts[0]["sent"].GetUint64() == 100);
  CHECK(ts[0]["p50_ms"].GetDouble() == 1.5);
  CHECK(ts[0]["ttft_p50_ms"].IsNull());
  CHECK(ts[0]["lag_max_ms"].IsNull());
  CHECK_FALSE(ts[0]["behind"].GetBool());
}

TEST_CASE("report: a generator that fell behind is not a valid result") {
  const options o = open_options();
  run_stats s = sample_stats();
  for (int i = 0; i < 1000; ++i) s.lag.record(5'000'000);
  run_info info;
  info.measured_s = 2;
  const auto d = parse(build_report(o, s, {}, info));
  CHECK_FALSE(d["valid"].GetBool());
  CHECK(d["generator_fell_behind"].GetBool());
  CHECK(d["generator"]["fell_behind"].GetBool());
  REQUIRE(d["invalid_reasons"].Size() == 1);
  CHECK(std::string(d["invalid_reasons"][0].GetString()).find("fell behind") != std::string::npos);
}

TEST_CASE("report: interrupted, abandoned and empty runs are not valid results") {
  const options o = open_options();
  run_info info;
  info.interrupted = true;
  run_stats s = sample_stats();
  s.unfinished = 3;
  auto reasons = invalid_reasons(s, info);
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0] == "the run was interrupted");
  CHECK(reasons[1] == "3 request(s) were abandoned unfinished");
  CHECK(invalid_reasons(run_stats{}, run_info{}) ==
        std::vector<std::string>{"no request completed"});
}

TEST_CASE("report: closed-loop and raw configs") {
  options o;
  o.target = parse_base_url("http://h:8080").value();
  o.closed = 64;
  o.path = "/";
  o.method = "GET";
  run_info info;
  info.measured_s = 1;
  const auto d = parse(build_report(o, sample_stats(), {}, info));
  CHECK(std::string(d["config"]["mode"].GetString()) == "closed");
  CHECK(d["config"]["rate"].IsNull());
  CHECK(d["config"]["arrival"].IsNull());
  CHECK(d["config"]["closed_workers"].GetUint() == 64);
  CHECK(d["config"]["connections"].GetUint() == 64);
  CHECK(std::string(d["config"]["request"].GetString()) == "raw");
  CHECK(std::string(d["config"]["method"].GetString()) == "GET");
  CHECK(d["config"]["body_file"].IsNull());
  CHECK(d["rate"]["target_rps"].IsNull());
}

TEST_CASE("report: progress and summary lines") {
  series_row row;
  row.second = 4;
  row.sent = 1000;
  row.completed = 990;
  row.errors = 3;
  row.in_flight = 12;
  row.p50 = 1'234'000;
  row.p99 = 9'000'000;
  row.lag_p50 = 30'000;
  row.lag_max = 400'000;
  auto line = format_progress(row, 5000, 7, true);
  CHECK(line.find("[    5s]") == 0);
  CHECK(line.find("sent 5000 (1000/s)") != std::string::npos);
  CHECK(line.find("done 990/s") != std::string::npos);
  CHECK(line.find("p50 1.234ms p99 9.000ms") != std::string::npos);
  CHECK(line.find("errors 7 (3/s)") != std::string::npos);
  CHECK(line.find("lag p50 0.030ms max 0.400ms") != std::string::npos);
  CHECK(line.find("FELL BEHIND") == std::string::npos);
  row.behind = true;
  CHECK(format_progress(row, 5000, 7, true).find("GENERATOR FELL BEHIND") != std::string::npos);
  // Closed loop has no schedule, so no lag.
  CHECK(format_progress(row, 5000, 7, false).find("lag") == std::string::npos);
  row.warmup = true;
  row.p50.reset();
  CHECK(format_progress(row, 1, 0, false).find("warmup") != std::string::npos);
  CHECK(format_progress(row, 1, 0, false).find("p50 -") != std::string::npos);

  run_info info;
  info.measured_s = 2;
  const auto summary = format_summary(sample_stats(), info);
  CHECK(summary.find("200 requests, 198 completed (99.0/s)") != std::string::npos);
  CHECK(summary.find("errors 4 (2.00%)") != std::string::npos);
  CHECK(summary.find("ttft p50") != std::string::npos);
  CHECK(format_ms(1'500) == "0.002ms");
}

TEST_CASE("report: warnings about generator queueing and all-failed answers") {
  run_stats s = sample_stats();
  s.queued = 50;
  s.max_queue_depth = 12;
  auto w = run_warnings(s);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("50 requests (25.0%) waited in the generator's queue") != std::string::npos);
  CHECK(w[0].find("deepest 12") != std::string::npos);
  CHECK(w[0].find("raise --connections") != std::string::npos);
  s.queued = 1;  // under 1%: not worth a warning
  CHECK(run_warnings(s).empty());

  run_stats failing;
  failing.completed = 10;
  failing.status[401] = 10;
  w = run_warnings(failing);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("no request got a 2xx response") != std::string::npos);

  options o = open_options();
  run_info info;
  info.measured_s = 1;
  s.queued = 50;
  const auto d = parse(build_report(o, s, {}, info));
  REQUIRE(d["warnings"].Size() == 1);
  CHECK(d["valid"].GetBool());  // a warning does not invalidate the run
}
