// End to end against an in-process server: open and closed loop, streams, warm-up, threads,
// timeouts, dropped connections, non-2xx answers, an unreachable target, an interrupted run.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <atomic>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/loadgen/runner.hpp"
#include "loadgen/test_server.hpp"

using namespace switchyard::loadgen;
using switchyard::loadgen::testing::test_server;

namespace {

options parse_or_fail(std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  auto r = parse_options(views);
  INFO((r ? std::string() : r.error()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

run_outcome run_quietly(const options& o, const std::atomic<bool>* interrupt = nullptr) {
  run_environment env;
  env.progress = nullptr;
  env.interrupt = interrupt;
  return run_benchmark(o, env);
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// A loaded test machine can stall the generator past its lag limit; then the run must say so.
void require_valid_or_behind(const run_outcome& r, const rapidjson::Document& d) {
  INFO(r.message);
  if (r.exit_code == exit_invalid) {
    REQUIRE(d["generator_fell_behind"].GetBool());
  } else {
    REQUIRE(r.exit_code == exit_ok);
    REQUIRE(d["valid"].GetBool());
  }
}

std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

}  // namespace

TEST_CASE("run: open loop chat with streams, usage and unique prompts") {
  test_server server;
  const auto o = parse_or_fail({"--base-url", server.base_url(), "--rate", "200", "--duration",
                                "0.5", "--model", "a=1", "--model", "b=1", "--stream-share", "0.5",
                                "--include-usage", "--prompt-bytes", "64,300"});
  const auto r = run_quietly(o);
  REQUIRE_FALSE(r.report.empty());
  const auto d = parse(r.report);
  require_valid_or_behind(r, d);
  const auto& c = d["counts"];
  CHECK(c["scheduled"].GetUint64() == 100);
  CHECK(c["sent"].GetUint64() == 100);
  CHECK(c["completed"].GetUint64() == 100);
  CHECK(c["ok"].GetUint64() == 100);
  CHECK(c["errors"].GetUint64() == 0);
  CHECK(d["status"]["codes"]["200"].GetUint64() == 100);
  CHECK(server.requests() == 100);
  CHECK(server.distinct_tags() == 100);  // no two prompts alike

  const auto streams = d["streams"]["count"].GetUint64();
  CHECK(streams > 20);
  CHECK(streams < 80);
  CHECK(d["streams"]["done"].GetUint64() == streams);
  CHECK(d["streams"]["content_chunks"].GetUint64() == 3 * streams);
  CHECK(d["ttft"]["count"].GetUint64() == streams);
  CHECK(d["total"]["count"].GetUint64() == streams);
  CHECK(d["itl"]["count"].GetUint64() == 2 * streams);
  CHECK(d["latency"]["count"].GetUint64() == 100);
  CHECK(d["latency_ok"]["count"].GetUint64() == 100);
  CHECK(d["latency_rejected"]["count"].GetUint64() == 0);
  CHECK(d["ttfb"]["count"].GetUint64() == 100);
  // Usage from every answer: 3 tokens per stream, 2 per whole answer.
  CHECK(d["tokens"]["usage_reports"].GetUint64() == 100);
  CHECK(d["tokens"]["completion"].GetUint64() == 3 * streams + 2 * (100 - streams));
  // The first token can never come after the end of its stream.
  CHECK(d["ttft"]["min_ms"].GetDouble() <= d["total"]["max_ms"].GetDouble());
  CHECK(d["generator"]["lag"]["count"].GetUint64() == 100);
  CHECK(d["rate"]["target_rps"].GetDouble() == 200);
  CHECK(d["rate"]["scheduled_rps"].GetDouble() == 200);
  const auto& ts = d["time_series"];
  REQUIRE(ts.Size() >= 1);
  std::uint64_t sent = 0;
  for (const auto& row : ts.GetArray()) sent += row["sent"].GetUint64();
  CHECK(sent == 100);
}

TEST_CASE("run: warm-up requests are sent but not counted") {
  test_server server;
  const auto o = parse_or_fail({"--base-url", server.base_url(), "--rate", "100", "--warmup", "0.2",
                                "--duration", "0.3", "--model", "m"});
  const auto r = run_quietly(o);
  const auto d = parse(r.report);
  require_valid_or_behind(r, d);
  CHECK(d["counts"]["scheduled"].GetUint64() == 30);
  CHECK(d["counts"]["completed"].GetUint64() == 30);
  CHECK(server.requests() == 50);
  CHECK(d["time_series"][0]["warmup"].GetBool());
}

TEST_CASE("run: threads split the schedule exactly") {
  test_server server;
  const auto o = parse_or_fail({"--base-url", server.base_url(), "--rate", "400", "--duration",
                                "0.5", "--threads", "2", "--connections", "8", "--path", "/ok"});
  const auto r = run_quietly(o);
  const auto d = parse(r.report);
  require_valid_or_behind(r, d);
  CHECK(d["counts"]["scheduled"].GetUint64() == 200);
  CHECK(d["counts"]["ok"].GetUint64() == 200);
  CHECK(d["generator"]["connections_opened"].GetUint64() <= 8);
  CHECK(d["bytes"]["received"].GetUint64() > 200 * 2);
}

TEST_CASE("run: closed loop keeps N requests in flight on N connections") {
  test_server server;
  const auto o = parse_or_fail(
      {"--base-url", server.base_url(), "--closed", "4", "--duration", "0.3", "--path", "/ok"});
  const auto r = run_quietly(o);
  const auto d = parse(r.report);
  INFO(r.message);
  REQUIRE(r.exit_code == exit_ok);
  const auto completed = d["counts"]["completed"].GetUint64();
  CHECK(completed > 4);
  CHECK(d["counts"]["ok"].GetUint64() == completed);
  CHECK(d["counts"]["failed"].GetUint64() == 0);
  CHECK(d["generator"]["connections_opened"].GetUint64() == 4);
  CHECK(server.connections() == 5);  // the preflight probe, then the four workers
  CHECK(d["generator"]["lag"]["count"].GetUint64() == 0);  // no schedule, no lag
  CHECK_FALSE(d["generator_fell_behind"].GetBool());
  CHECK(std::string(d["config"]["mode"].GetString()) == "closed");
}

TEST_CASE("run: non-2xx answers and dropped connections are counted by kind") {
  test_server server;
  auto o = parse_or_fail(
      {"--base-url", server.base_url(), "--rate", "100", "--duration", "0.2", "--path", "/fail"});
  auto r = run_quietly(o);
  auto d = parse(r.report);
  require_valid_or_behind(r, d);
  CHECK(d["counts"]["completed"].GetUint64() == 20);
  CHECK(d["counts"]["ok"].GetUint64() == 0);
  CHECK(d["counts"]["non_2xx"].GetUint64() == 20);
  CHECK(d["status"]["classes"]["5xx"].GetUint64() == 20);
  CHECK(d["status"]["codes"]["503"].GetUint64() == 20);
  CHECK(d["latency_ok"]["count"].GetUint64() == 0);
  CHECK(d["latency_rejected"]["count"].GetUint64() == 20);
  CHECK(r.exit_code != exit_unreachable);

  o = parse_or_fail(
      {"--base-url", server.base_url(), "--rate", "100", "--duration", "0.2", "--path", "/close"});
  r = run_quietly(o);
  d = parse(r.report);
  CHECK(r.exit_code == exit_invalid);  // nothing completed
  CHECK(d["counts"]["failed"].GetUint64() == 20);
  CHECK(d["errors"]["closed"]["count"].GetUint64() == 20);
  CHECK(std::string(d["errors"]["closed"]["example"].GetString()) ==
        "connection closed before any response");
}

TEST_CASE("run: requests that never finish time out from their scheduled start") {
  test_server server;
  const auto o = parse_or_fail({"--base-url", server.base_url(), "--rate", "50", "--duration",
                                "0.2", "--timeout-ms", "100", "--path", "/hang"});
  const auto r = run_quietly(o);
  const auto d = parse(r.report);
  CHECK(r.exit_code == exit_invalid);
  CHECK(d["counts"]["scheduled"].GetUint64() == 10);
  CHECK(d["errors"]["timeout"]["count"].GetUint64() == 10);
  CHECK(d["counts"]["unfinished"].GetUint64() == 0);
  CHECK(d["latency"]["count"].GetUint64() == 0);
  REQUIRE(d["invalid_reasons"].Size() == 1);
  CHECK(std::string(d["invalid_reasons"][0].GetString()) == "no request completed");
}

TEST_CASE("run: an unreachable target is an error with no report") {
  const auto port = closed_port();
  const auto o = parse_or_fail({"--base-url", "http://127.0.0.1:" + std::to_string(port), "--rate",
                                "10", "--duration", "1", "--path", "/"});
  const auto r = run_quietly(o);
  CHECK(r.exit_code == exit_unreachable);
  CHECK(r.report.empty());
  CHECK(r.message.find("cannot connect to http://127.0.0.1:" + std::to_string(port)) !=
        std::string::npos);
  CHECK(r.message.find("refused") != std::string::npos);
}

TEST_CASE("run: an interrupted run stops at once and is not a valid result") {
  test_server server;
  const auto o = parse_or_fail(
      {"--base-url", server.base_url(), "--rate", "100", "--duration", "3600", "--path", "/ok"});
  std::atomic<bool> interrupt{true};
  const auto r = run_quietly(o, &interrupt);
  const auto d = parse(r.report);
  CHECK(r.exit_code == exit_invalid);
  CHECK(d["interrupted"].GetBool());
  CHECK_FALSE(d["valid"].GetBool());
  CHECK(d["duration"]["measured_s"].GetDouble() < 60);
}
