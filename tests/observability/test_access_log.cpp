// The JSON access log and the log level against the real binary: one line per request with the
// request id the client got, and never a key — neither the client's nor the upstream's.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace switchyard::itest;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view upstream_key = "sk-upstream-secret-9f8e7d6c5b4a3210";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<rapidjson::Document> log_lines(const fs::path& p) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(slurp(p));
  for (std::string line; std::getline(in, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    INFO(line);
    REQUIRE_FALSE(d.HasParseError());
    out.push_back(std::move(d));
  }
  return out;
}

const rapidjson::Document* line_with_id(const std::vector<rapidjson::Document>& lines,
                                        const std::string& id) {
  for (const auto& d : lines)
    if (json_string(d, "id") == id) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("the access log has one line per request with its id, and no key anywhere") {
  temp_dir dir;
  mock_provider good(dir, "good", mock_options().api_key(std::string{upstream_key}));
  mock_provider failing(
      dir, "failing",
      mock_options().api_key(std::string{upstream_key}).fault(R"({"kind":"status","status":503})"));
  const auto log_path = dir.path() / "access.log";
  gateway gw(dir,
             config_builder()
                 .server("access_log", log_path.string())
                 .provider("good", good.base_url(), {{"api_key", std::string{upstream_key}}})
                 .provider("failing", failing.base_url(), {{"api_key", std::string{upstream_key}}})
                 .model("chat", {{"good", "mock-gpt"}})
                 .model("broken", {{"failing", "mock-gpt"}})
                 .render(dir));

  // A valid client id is echoed; an invalid one (space, too long) is replaced by a fresh one.
  auto ok = http_request(gw.port(), "POST", "/v1/chat/completions", chat_body("chat"),
                         {{"authorization", "Bearer " + std::string{test_key}},
                          {"content-type", "application/json"},
                          {"x-request-id", "client-id.42_A"}});
  REQUIRE(ok.status == 200);
  CHECK(ok.header("x-request-id") == "client-id.42_A");
  auto replaced = http_request(gw.port(), "POST", "/v1/chat/completions", chat_body("chat"),
                               {{"authorization", "Bearer " + std::string{test_key}},
                                {"content-type", "application/json"},
                                {"x-request-id", "has a space"}});
  REQUIRE(replaced.status == 200);
  const std::string generated = replaced.header("x-request-id");
  CHECK(generated.size() == 32);
  CHECK(generated.find_first_not_of("0123456789abcdef") == std::string::npos);
  auto too_long = http_request(gw.port(), "POST", "/v1/chat/completions", chat_body("chat"),
                               {{"authorization", "Bearer " + std::string{test_key}},
                                {"content-type", "application/json"},
                                {"x-request-id", std::string(129, 'a')}});
  CHECK(too_long.header("x-request-id").size() == 32);
  auto failed = post_json(gw.port(), "/v1/chat/completions", chat_body("broken"), test_key);
  REQUIRE(failed.status >= 500);
  auto unknown = post_json(gw.port(), "/v1/chat/completions", chat_body("no-such"), test_key);
  REQUIRE(unknown.status == 404);
  // The key sent as x-api-key too (Anthropic style) must not leak either.
  auto anthropic = http_request(
      gw.port(), "POST", "/v1/messages",
      R"({"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})",
      {{"x-api-key", std::string{test_key}},
       {"anthropic-version", "2023-06-01"},
       {"content-type", "application/json"}});
  REQUIRE(anthropic.status == 200);
  // Refused by the ingress, before the control plane: still one line each.
  constexpr std::string_view wrong_key = "sk-wrong-key-5e6f7a8b9c0d";
  auto refused = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), wrong_key);
  REQUIRE(refused.status == 401);
  auto malformed = post_json(gw.port(), "/v1/embeddings", R"({"model":"chat"})", test_key);
  REQUIRE(malformed.status == 400);
  // Not API requests: not in the access log.
  REQUIRE(get(gw.port(), "/health/live").status == 200);
  REQUIRE(get(gw.port(), "/v1/models", test_key).status == 200);

  std::vector<rapidjson::Document> lines;
  REQUIRE(eventually([&] {
    lines = log_lines(log_path);
    return lines.size() == 8;
  }));

  const auto* first = line_with_id(lines, "client-id.42_A");
  REQUIRE(first != nullptr);
  CHECK(json_string(*first, "tenant") == "itest");
  CHECK(json_string(*first, "route") == "chat");
  CHECK(json_string(*first, "model") == "chat");
  CHECK(json_string(*first, "provider") == "good");
  CHECK(json_string(*first, "upstream_model") == "mock-gpt");
  CHECK((*first)["status"].GetUint() == 200);
  CHECK((*first)["attempts"].GetUint() == 1);
  CHECK_FALSE((*first)["hedged"].GetBool());
  CHECK((*first)["tokens_in"].GetUint64() > 0);
  CHECK((*first)["tokens_out"].GetUint64() > 0);
  CHECK((*first)["duration_ms"].GetDouble() >= (*first)["upstream_ms"].GetDouble());
  CHECK((*first)["ttfb_ms"].GetDouble() > 0);
  CHECK_FALSE((*first)["client_gone"].GetBool());
  CHECK(json_string(*first, "error").empty());
  const std::string prefix = json_string(*first, "key_prefix");
  CHECK_FALSE(prefix.empty());
  CHECK(std::string_view{test_key}.substr(0, 4) == std::string_view{prefix}.substr(0, 4));
  CHECK(json_string(*first, "time").size() == 24);  // 2026-11-24T06:06:33.155Z

  CHECK(line_with_id(lines, generated) != nullptr);
  const auto* broken = line_with_id(lines, failed.header("x-request-id"));
  REQUIRE(broken != nullptr);
  CHECK((*broken)["status"].GetUint() == failed.status);
  CHECK(json_string(*broken, "error").find("failing") != std::string::npos);
  CHECK(json_string(*broken, "provider").empty());
  const auto* missing = line_with_id(lines, unknown.header("x-request-id"));
  REQUIRE(missing != nullptr);
  CHECK((*missing)["status"].GetUint() == 404);
  const auto* messages = line_with_id(lines, anthropic.header("x-request-id"));
  REQUIRE(messages != nullptr);
  CHECK(json_string(*messages, "route") == "messages");

  const auto* unauthenticated = line_with_id(lines, refused.header("x-request-id"));
  REQUIRE(unauthenticated != nullptr);
  CHECK((*unauthenticated)["status"].GetUint() == 401);
  CHECK(json_string(*unauthenticated, "tenant").empty());
  CHECK(json_string(*unauthenticated, "key_prefix").empty());
  CHECK(json_string(*unauthenticated, "route") == "chat");
  CHECK((*unauthenticated)["attempts"].GetUint() == 0);
  const auto* undecodable = line_with_id(lines, malformed.header("x-request-id"));
  REQUIRE(undecodable != nullptr);
  CHECK((*undecodable)["status"].GetUint() == 400);
  CHECK(json_string(*undecodable, "tenant") == "itest");
  CHECK(json_string(*undecodable, "route") == "embeddings");
  CHECK_FALSE(json_string(*undecodable, "error").empty());

  // No key in the access log or the gateway's stderr: not whole, not its secret tail.
  gw.proc().stop();
  const std::string everything = slurp(log_path) + gw.proc().stderr_text();
  for (std::string_view secret : {std::string_view{test_key}, test_key.substr(9), upstream_key,
                                  upstream_key.substr(10), wrong_key, wrong_key.substr(9)}) {
    INFO(secret);
    CHECK(everything.find(secret) == std::string::npos);
  }
}

TEST_CASE("log_level hides the less severe lines; the access log can go to stdout") {
  temp_dir dir;
  gateway quiet(dir, config_builder()
                         .server("log_level", "error")
                         .server("access_log", "stdout")
                         .mock_provider("demo")
                         .model("chat", {{"demo", "demo-1"}})
                         .render(dir));
  auto r = post_json(quiet.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  REQUIRE(r.status == 200);
  const std::string id = r.header("x-request-id");
  // The first stdout line is the listening line; the access log follows on stdout.
  REQUIRE(eventually([&] {
    return quiet.proc().stdout_text().find("\"id\":\"" + id + "\"") != std::string::npos;
  }));
  quiet.proc().signal(SIGTERM);
  REQUIRE(quiet.proc().wait_exit(20s) == 0);
  // Start-up and drain lines are info: none at level error.
  CHECK(quiet.proc().stderr_text().find("info:") == std::string::npos);

  temp_dir dir2;
  gateway chatty(
      dir2,
      config_builder().mock_provider("demo").model("chat", {{"demo", "demo-1"}}).render(dir2));
  chatty.proc().signal(SIGTERM);
  REQUIRE(chatty.proc().wait_exit(20s) == 0);
  CHECK(chatty.proc().stderr_text().find("switchyard: info:") != std::string::npos);
  CHECK(chatty.proc().stdout_text().find("\"id\":") == std::string::npos);  // off by default
}

TEST_CASE("server.metrics false turns /metrics off") {
  temp_dir dir;
  gateway gw(dir, config_builder()
                      .server("metrics", "false")
                      .mock_provider("demo")
                      .model("chat", {{"demo", "demo-1"}})
                      .render(dir));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key).status == 200);
  auto r = get(gw.port(), "/metrics");
  CHECK(r.status == 404);
  CHECK(r.body.find("switchyard_") == std::string::npos);
}
