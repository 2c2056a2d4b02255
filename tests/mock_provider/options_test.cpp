// Command-line parsing of the mock provider: defaults, every option, and every kind of bad input.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "bench/mock_provider/options.hpp"

using namespace switchyard::mock;

namespace {

auto parse(std::vector<std::string_view> args) {
  return parse_options(args);
}

// The error for `args`, or "" when they parsed.
std::string error_of(std::vector<std::string_view> args) {
  auto r = parse_options(args);
  return r ? std::string() : r.error();
}

}  // namespace

TEST_CASE("options: defaults with only --listen") {
  auto r = parse({"--listen", "127.0.0.1:0"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  CHECK(o.listen_host == "127.0.0.1");
  CHECK(o.listen_port == 0);
  CHECK(o.threads == 1);
  CHECK(o.latency_ms == 0);
  CHECK(o.ttft_ms == 0);
  CHECK(o.tokens_per_second == 0);
  CHECK(o.reply_tokens == 16);
  CHECK(o.embedding_dimensions == 64);
  CHECK(o.models == std::vector<std::string>{"mock-model"});
  CHECK(o.faults.empty());
  CHECK_FALSE(o.api_key);
  CHECK(o.seed == 1);
  CHECK(o.max_body_bytes == 8u << 20);
  CHECK(o.max_header_bytes == 16u << 10);
  CHECK(o.idle_timeout_ms == 60000);
  CHECK_FALSE(o.verbose);
  CHECK_FALSE(o.help);
}

TEST_CASE("options: every option, in both spellings") {
  auto r = parse({"--listen=[::1]:8080",
                  "--threads",
                  "4",
                  "--latency-ms=5",
                  "--ttft-ms",
                  "20",
                  "--tokens-per-second",
                  "12.5",
                  "--reply-tokens",
                  "3",
                  "--embedding-dimensions",
                  "8",
                  "--models",
                  "a,b-1,c.2",
                  "--fault",
                  R"({"kind":"status","status":503})",
                  "--fault",
                  R"({"kind":"hang","count":1})",
                  "--api-key",
                  "sk-test",
                  "--seed",
                  "18446744073709551615",
                  "--max-body-bytes",
                  "1024",
                  "--max-header-bytes",
                  "2048",
                  "--idle-timeout-ms",
                  "250",
                  "--verbose"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  CHECK(o.listen_host == "::1");
  CHECK(o.listen_port == 8080);
  CHECK(o.threads == 4);
  CHECK(o.latency_ms == 5);
  CHECK(o.ttft_ms == 20);
  CHECK(o.tokens_per_second == 12.5);
  CHECK(o.reply_tokens == 3);
  CHECK(o.embedding_dimensions == 8);
  CHECK(o.models == std::vector<std::string>{"a", "b-1", "c.2"});
  REQUIRE(o.faults.size() == 2);
  CHECK(o.faults[0].kind == fault_kind::status);
  CHECK(o.faults[0].status == 503);
  CHECK(o.faults[1].kind == fault_kind::hang);
  CHECK(o.faults[1].count == 1u);
  CHECK(o.api_key == std::string("sk-test"));
  CHECK(o.seed == 18446744073709551615ULL);
  CHECK(o.max_body_bytes == 1024);
  CHECK(o.max_header_bytes == 2048);
  CHECK(o.idle_timeout_ms == 250);
  CHECK(o.verbose);
}

TEST_CASE("options: localhost means 127.0.0.1") {
  auto r = parse({"--listen", "localhost:9"});
  REQUIRE(r.ok());
  CHECK(r.value().listen_host == "127.0.0.1");
  CHECK(r.value().listen_port == 9);
}

TEST_CASE("options: --help needs no --listen") {
  auto r = parse({"--help"});
  REQUIRE(r.ok());
  CHECK(r.value().help);
  auto h = parse({"-h"});
  REQUIRE(h.ok());
  CHECK(h.value().help);
  CHECK(usage_text().find("--fault JSON") != std::string::npos);
}

TEST_CASE("options: --listen is required") {
  CHECK(error_of({}).find("--listen HOST:PORT is required") != std::string::npos);
  CHECK(error_of({"--threads", "2"}).find("--listen") != std::string::npos);
}

TEST_CASE("options: bad listen addresses") {
  CHECK(error_of({"--listen", "127.0.0.1"}).find("has no port") != std::string::npos);
  CHECK(error_of({"--listen", "127.0.0.1:"}).find("port \"\"") != std::string::npos);
  CHECK(error_of({"--listen", "127.0.0.1:65536"}).find("0 to 65535") != std::string::npos);
  CHECK(error_of({"--listen", "127.0.0.1:-1"}).find("0 to 65535") != std::string::npos);
  CHECK(error_of({"--listen", "example.com:80"}).find("not an IP address") != std::string::npos);
  CHECK(error_of({"--listen", "::1:80"}).find("[ADDR]:PORT") != std::string::npos);
  CHECK(error_of({"--listen", "[::1]80"}).find("[IPv6]:PORT") != std::string::npos);
  CHECK(error_of({"--listen", "[::1"}).find("[IPv6]:PORT") != std::string::npos);
  CHECK(error_of({"--listen", "[zz]:1"}).find("not an IP address") != std::string::npos);
}

TEST_CASE("options: numbers out of range or malformed") {
  auto listen = std::string_view("--listen=127.0.0.1:0");
  CHECK(error_of({listen, "--threads", "0"}) == "--threads: \"0\" is not an integer from 1 to 256");
  CHECK(error_of({listen, "--threads", "257"}).find("1 to 256") != std::string::npos);
  CHECK(error_of({listen, "--threads", "2x"}).find("\"2x\"") != std::string::npos);
  CHECK(error_of({listen, "--latency-ms", "-1"}).find("--latency-ms") != std::string::npos);
  CHECK(error_of({listen, "--ttft-ms", "3600001"}).find("0 to 3600000") != std::string::npos);
  CHECK(error_of({listen, "--reply-tokens", "1000001"}).find("--reply-tokens") !=
        std::string::npos);
  CHECK(error_of({listen, "--embedding-dimensions", "0"}).find("1 to 8192") != std::string::npos);
  CHECK(error_of({listen, "--seed", "x"}).find("unsigned 64-bit") != std::string::npos);
  CHECK(error_of({listen, "--max-body-bytes", "0"}).find("--max-body-bytes") != std::string::npos);
  CHECK(error_of({listen, "--max-header-bytes", "100"}).find("1024 to") != std::string::npos);
  CHECK(error_of({listen, "--idle-timeout-ms", "0"}).find("--idle-timeout-ms") !=
        std::string::npos);
  for (auto bad : {"-1", "abc", "1e9", "nan", "inf", ""}) {
    CHECK(error_of({listen, "--tokens-per-second", bad}).find("--tokens-per-second") !=
          std::string::npos);
  }
}

TEST_CASE("options: unknown options, stray arguments and missing values") {
  auto listen = std::string_view("--listen=127.0.0.1:0");
  CHECK(error_of({listen, "--bogus", "1"}) == "unknown option --bogus (see --help)");
  CHECK(error_of({listen, "stray"}).find("unexpected argument \"stray\"") != std::string::npos);
  CHECK(error_of({listen, "-x"}).find("unexpected argument") != std::string::npos);
  CHECK(error_of({listen, "--threads"}) == "--threads: missing value");
  CHECK(error_of({"--verbose=yes", listen}) == "--verbose: takes no value");
  CHECK(error_of({listen, "--api-key", ""}) == "--api-key: must not be empty");
}

TEST_CASE("options: bad model lists") {
  auto listen = std::string_view("--listen=127.0.0.1:0");
  CHECK(error_of({listen, "--models", ""}).find("empty model name") != std::string::npos);
  CHECK(error_of({listen, "--models", "a,,b"}).find("empty model name") != std::string::npos);
  CHECK(error_of({listen, "--models", "a,"}).find("empty model name") != std::string::npos);
  CHECK(error_of({listen, "--models", "a b"}).find("contains a space") != std::string::npos);
}

TEST_CASE("options: a bad --fault names the rule key") {
  auto listen = std::string_view("--listen=127.0.0.1:0");
  CHECK(error_of({listen, "--fault", "{"}).rfind("--fault: rule: not valid JSON", 0) == 0);
  CHECK(error_of({listen, "--fault", R"({"kind":"status","status":200})"}) ==
        "--fault: rule.status: expected an integer from 400 to 599");
  CHECK(error_of({listen, "--fault", R"({"kind":"delay"})"}).find("rule.ms: missing") !=
        std::string::npos);
}

TEST_CASE("options: endpoints are formatted with brackets for IPv6") {
  CHECK(format_endpoint("127.0.0.1", 80) == "127.0.0.1:80");
  CHECK(format_endpoint("::1", 8080) == "[::1]:8080");
}

TEST_CASE("options: latency distribution, heavy tail, phases and max concurrency") {
  auto r = parse({"--listen", "127.0.0.1:0", "--latency", "lognormal:50:0.5", "--tail", "0.02:800",
                  "--phase", R"({"from_s":1,"to_s":2,"status":503})", "--phase",
                  R"([{"from_s":3,"to_s":4,"down":true}])", "--max-concurrency", "8"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  REQUIRE(o.latency);
  CHECK(o.latency->kind == latency_model::dist::lognormal);
  CHECK(o.latency->tail_share == 0.02);
  CHECK(o.latency->tail_ms == 800);
  REQUIRE(o.phases.size() == 2);
  CHECK(o.phases[1].down);
  CHECK(o.max_concurrency == 8);

  // --tail on top of a fixed --latency-ms keeps the fixed base.
  auto t = parse({"--listen", "127.0.0.1:0", "--latency-ms", "30", "--tail", "0.5:100"});
  REQUIRE(t.ok());
  CHECK(effective_latency(t.value()).ms == 30);
  CHECK(effective_latency(t.value()).tail_ms == 100);
  // Without either, the latency is the fixed --latency-ms.
  CHECK(effective_latency(parse({"--listen", "127.0.0.1:0"}).value()).constant());
}

TEST_CASE("options: bad scenario options say what is wrong") {
  CHECK(error_of({"--listen", "127.0.0.1:0", "--latency-ms", "5", "--latency", "fixed:5"}) ==
        "--latency-ms and --latency both set the latency; give one (--latency fixed:MS)");
  CHECK(error_of({"--listen", "127.0.0.1:0", "--latency", "lognormal:5"}) ==
        "--latency: \"lognormal:5\": expected lognormal:MEDIAN_MS:SIGMA, e.g. lognormal:50:0.5 "
        "(sigma 0 to 5)");
  CHECK(error_of({"--listen", "127.0.0.1:0", "--tail", "0.1"}) ==
        "--tail: \"0.1\" is not SHARE:MS (a share from 0 to 1 and milliseconds from 0 to 3600000)");
  CHECK(error_of({"--listen", "127.0.0.1:0", "--phase", R"({"from_s":2,"to_s":1,"status":500})"}) ==
        "--phase: phase.to_s: must be after from_s");
  CHECK(error_of({"--listen", "127.0.0.1:0", "--max-concurrency", "-1"}) ==
        "--max-concurrency: \"-1\" is not an integer from 0 to 1000000");
}
