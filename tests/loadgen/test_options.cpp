// switchyard-bench's command line: defaults, every flag, base URLs, and every kind of bad input.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/options.hpp"

using namespace switchyard::loadgen;
using switchyard::protocols::result;

namespace {

result<file_contents, std::string> fake_files(const std::string& path) {
  if (path == "body.json") return file_contents{R"({"hello":"world"})"};
  return "cannot open \"" + path + "\"";
}

std::optional<std::string> fake_env(const std::string& name) {
  if (name == "BENCH_KEY") return std::string("sk-from-env");
  if (name == "EMPTY_KEY") return std::string();
  return std::nullopt;
}

result<options, std::string> parse(std::vector<std::string_view> args) {
  return parse_options(args, &fake_files, &fake_env);
}

// The error for `args`, or "" when they parsed.
std::string error_of(std::vector<std::string_view> args) {
  auto r = parse(std::move(args));
  return r ? std::string() : r.error();
}

}  // namespace

TEST_CASE("options: chat defaults with the minimal flags") {
  auto r = parse({"--base-url", "http://127.0.0.1:8080/v1", "--rate", "100", "--model", "m"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  CHECK_FALSE(o.target.tls);
  CHECK(o.target.host == "127.0.0.1");
  CHECK(o.target.port == 8080);
  CHECK(o.target.path == "/v1");
  CHECK(o.rate == 100.0);
  CHECK_FALSE(o.closed);
  CHECK(o.arrival == arrival_kind::constant);
  CHECK(o.duration_s == 10);
  CHECK(o.warmup_s == 0);
  CHECK(o.connections == 512);
  CHECK(o.timeout_ms == 60000);
  REQUIRE(o.models.size() == 1);
  CHECK(o.models[0].name == "m");
  CHECK(o.models[0].weight == 1);
  REQUIRE(o.prompt_sizes.size() == 1);
  CHECK(o.prompt_sizes[0].bytes == 200);
  CHECK(o.stream_share == 0);
  CHECK(o.max_tokens == 16);
  CHECK_FALSE(o.include_usage);
  CHECK(o.unique_prompts);
  CHECK_FALSE(o.raw());
  CHECK(o.api_key.empty());
  CHECK(o.out.empty());
  CHECK_FALSE(o.quiet);
  CHECK(o.seed == 1);
  CHECK(o.threads == 1);
  CHECK_FALSE(o.insecure);
}

TEST_CASE("options: every chat flag, in both spellings") {
  auto r = parse({"--base-url=https://api.example.com/api/v1/",
                  "--api-key",
                  "sk-1",
                  "--header",
                  "x-portkey-config:  pc-123 ",
                  "--header=HTTP-Referer: https://a.b",
                  "--rate=2.5",
                  "--arrival",
                  "poisson",
                  "--duration",
                  "0.5",
                  "--warmup=2",
                  "--connections",
                  "64",
                  "--timeout-ms",
                  "1500",
                  "--model",
                  "openai/gpt-4o=3",
                  "--model=b",
                  "--prompt-bytes",
                  "100=3,4000",
                  "--stream-share",
                  "0.3",
                  "--max-tokens",
                  "0",
                  "--include-usage",
                  "--fixed-prompt",
                  "--out",
                  "r.json",
                  "--quiet",
                  "--seed",
                  "18446744073709551615",
                  "--threads",
                  "2",
                  "--insecure"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  CHECK(o.target.tls);
  CHECK(o.target.host == "api.example.com");
  CHECK(o.target.port == 443);
  CHECK(o.target.path == "/api/v1");
  CHECK(o.api_key == "sk-1");
  CHECK(o.headers ==
        std::vector<std::string>{"x-portkey-config: pc-123", "HTTP-Referer: https://a.b"});
  CHECK(o.rate == 2.5);
  CHECK(o.arrival == arrival_kind::poisson);
  CHECK(o.duration_s == 0.5);
  CHECK(o.warmup_s == 2);
  CHECK(o.connections == 64);
  CHECK(o.timeout_ms == 1500);
  REQUIRE(o.models.size() == 2);
  CHECK(o.models[0].name == "openai/gpt-4o");
  CHECK(o.models[0].weight == 3);
  CHECK(o.models[1].name == "b");
  REQUIRE(o.prompt_sizes.size() == 2);
  CHECK(o.prompt_sizes[0].bytes == 100);
  CHECK(o.prompt_sizes[0].weight == 3);
  CHECK(o.prompt_sizes[1].bytes == 4000);
  CHECK(o.prompt_sizes[1].weight == 1);
  CHECK(o.stream_share == 0.3);
  CHECK(o.max_tokens == 0);
  CHECK(o.include_usage);
  CHECK_FALSE(o.unique_prompts);
  CHECK(o.out == "r.json");
  CHECK(o.quiet);
  CHECK(o.seed == 18446744073709551615ULL);
  CHECK(o.threads == 2);
  CHECK(o.insecure);
}

TEST_CASE("options: closed loop, raw mode and the key from the environment") {
  auto r = parse({"--base-url", "http://[::1]:9000", "--closed", "64", "--path", "/static/x?y=1",
                  "--api-key-env", "BENCH_KEY"});
  REQUIRE(r.ok());
  const auto& o = r.value();
  CHECK(o.target.host == "::1");
  CHECK(o.target.port == 9000);
  CHECK(o.target.path.empty());
  CHECK(o.closed == 64u);
  CHECK_FALSE(o.rate);
  REQUIRE(o.raw());
  CHECK(*o.path == "/static/x?y=1");
  CHECK(o.method == "GET");
  CHECK(o.body.empty());
  CHECK(o.api_key == "sk-from-env");

  auto post = parse({"--base-url", "http://h", "--rate", "1", "--path", "/p", "--body-file",
                     "body.json", "--content-type", "text/plain"});
  REQUIRE(post.ok());
  CHECK(post->method == "POST");
  CHECK(post->body == R"({"hello":"world"})");
  CHECK(post->content_type == "text/plain");
  CHECK(post->target.port == 80);

  auto put = parse({"--base-url", "http://h", "--rate", "1", "--path", "/p", "--method", "put",
                    "--body-file", "body.json"});
  REQUIRE(put.ok());
  CHECK(put->method == "PUT");
}

TEST_CASE("options: --help needs nothing else") {
  auto r = parse({"--help"});
  REQUIRE(r.ok());
  CHECK(r->help);
  CHECK(parse({"-h"})->help);
  CHECK(usage_text().find("--base-url") != std::string::npos);
}

TEST_CASE("options: base URLs") {
  auto ok = [](std::string_view s) { return parse_base_url(s); };
  CHECK(ok("http://localhost")->port == 80);
  CHECK(ok("http://localhost")->host_header() == "localhost");
  CHECK(ok("http://localhost:8080")->host_header() == "localhost:8080");
  CHECK(ok("https://h:443/v1")->host_header() == "h");
  CHECK(ok("http://[::1]:81/x")->host_header() == "[::1]:81");
  CHECK(ok("http://[::1]:81/x")->to_string() == "http://[::1]:81/x");
  CHECK(ok("http://h/v1///")->path == "/v1");

  auto bad = [](std::string_view s) {
    auto r = parse_base_url(s);
    return r ? std::string() : r.error();
  };
  CHECK(bad("ftp://h").find("must start with http:// or https://") != std::string::npos);
  CHECK(bad("127.0.0.1:8080").find("must start with") != std::string::npos);
  CHECK(bad("http://").find("no host") != std::string::npos);
  CHECK(bad("http://:80").find("no host") != std::string::npos);
  CHECK(bad("http://h:0").find("port") != std::string::npos);
  CHECK(bad("http://h:70000").find("port") != std::string::npos);
  CHECK(bad("http://h:").find("empty port") != std::string::npos);
  CHECK(bad("http://h:8x").find("port") != std::string::npos);
  CHECK(bad("http://[::1").find("unclosed") != std::string::npos);
  CHECK(bad("http://[::1]x").find("after the IPv6") != std::string::npos);
  CHECK(bad("http://u:p@h").find("user info") != std::string::npos);
  CHECK(bad("http://h/v1?x=1").find("query") != std::string::npos);
  CHECK(bad("http://h/a b").find("space") != std::string::npos);
}

TEST_CASE("options: errors name the flag and what is expected") {
  const std::vector<std::string_view> base = {"--base-url", "http://h", "--rate",
                                              "10",         "--model",  "m"};
  auto with = [&](std::vector<std::string_view> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return error_of(args);
  };
  const std::map<std::string, std::vector<std::string_view>> cases = {
      {"unknown flag --bogus", {"--bogus", "1"}},
      {"unexpected argument \"stray\"", {"stray"}},
      {"--duration: missing value", {"--duration"}},
      {"--quiet: takes no value", {"--quiet=1"}},
      {"--rate: given twice", {"--rate", "5"}},
      {"--duration: \"0\" is not a number of seconds above 0", {"--duration", "0"}},
      {"--duration: \"abc\"", {"--duration", "abc"}},
      {"--warmup: \"-1\"", {"--warmup", "-1"}},
      {"--connections: \"0\" is not an integer from 1 to 100000", {"--connections", "0"}},
      {"--timeout-ms: \"0\"", {"--timeout-ms", "0"}},
      {"--threads: \"65\"", {"--threads", "65"}},
      {"--arrival: \"bursty\" is not constant or poisson", {"--arrival", "bursty"}},
      {"--model: \"m\" is given twice", {"--model", "m"}},
      {"--model: weight \"0\"", {"--model", "x=0"}},
      {"--model: weight \"w\"", {"--model", "x=w"}},
      {"--model: empty model name", {"--model", "=2"}},
      {"--prompt-bytes: size \"0\"", {"--prompt-bytes", "0"}},
      {"--prompt-bytes: size \"\"", {"--prompt-bytes", "100,"}},
      {"--prompt-bytes: size 100 is listed twice", {"--prompt-bytes", "100,100=2"}},
      {"--prompt-bytes: weight \"-1\"", {"--prompt-bytes", "100=-1"}},
      {"--stream-share: \"1.5\" is not a number from 0 to 1", {"--stream-share", "1.5"}},
      {"--max-tokens: \"-3\"", {"--max-tokens", "-3"}},
      {"--seed: \"x\"", {"--seed", "x"}},
      {"--header: \"nocolon\" is not \"Name: value\"", {"--header", "nocolon"}},
      {"--header: \"bad name\" is not a valid header name", {"--header", "bad name: v"}},
      {"--header: Host is set by switchyard-bench itself", {"--header", "Host: x"}},
      {"(use --api-key)", {"--header", "Authorization: Bearer x"}},
      {"--api-key: must not be empty", {"--api-key", ""}},
      {"--api-key-env: environment variable NOPE is not set", {"--api-key-env", "NOPE"}},
      {"--api-key-env: environment variable EMPTY_KEY", {"--api-key-env", "EMPTY_KEY"}},
      {"--include-usage only affects streaming requests", {"--include-usage"}},
      {"--method needs --path", {"--method", "GET"}},
      {"--body-file needs --path", {"--body-file", "body.json"}},
      {"--out: missing file name", {"--out="}},
      {"--rate (open loop) and --closed (closed loop) exclude each other", {"--closed", "4"}},
  };
  for (const auto& [want, extra] : cases) {
    const auto got = with(extra);
    INFO("want: " << want << "\ngot:  " << got);
    CHECK(got.find(want) != std::string::npos);
  }
}

TEST_CASE("options: mode rules") {
  CHECK(error_of({"--rate", "1", "--model", "m"}).find("--base-url is required") !=
        std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--model", "m"}).find("choose the load") !=
        std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1"}).find("at least one --model") !=
        std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "0", "--model", "m"}).find("--rate") !=
        std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1e8", "--model", "m"}).find("--rate") !=
        std::string::npos);
  CHECK(
      error_of({"--base-url", "http://h", "--closed", "2", "--arrival", "poisson", "--model", "m"})
          .find("--arrival applies to open loop") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--closed", "2", "--connections", "8", "--model", "m"})
            .find("--connections applies to open loop") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--closed", "2", "--threads", "3", "--model", "m"})
            .find("--threads 3 is more than the --closed workers (2)") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "9", "--connections", "2", "--threads", "4",
                  "--model", "m"})
            .find("--threads 4 is more than the --connections (2)") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/", "--model", "m"})
            .find("--model applies to chat mode") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/", "--stream-share", "0.5"})
            .find("--stream-share applies to chat mode") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "nope"})
            .find("--path: \"nope\" must start with '/'") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/a b"}).find("--path") !=
        std::string::npos);
  CHECK(error_of(
            {"--base-url", "http://h", "--rate", "1", "--path", "/", "--body-file", "missing.json"})
            .find("--body-file: cannot open \"missing.json\"") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/", "--method", "GET",
                  "--body-file", "body.json"})
            .find("a GET request carries no body") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/", "--content-type",
                  "text/plain"})
            .find("--content-type needs --body-file") != std::string::npos);
  CHECK(error_of({"--base-url", "http://h", "--rate", "1", "--path", "/", "--method", "G T"})
            .find("is not an HTTP method") != std::string::npos);
  CHECK(error_of({"--base-url", "ftp://h", "--rate", "1", "--model", "m"})
            .find("--base-url: \"ftp://h\" must start with") != std::string::npos);
}
