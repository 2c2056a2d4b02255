// OpenRouter-compatible routing against the real binary and two mock providers: who served the
// answer (header and body), the /api/v1 aliases, provider.order/only/ignore, :floor and :nitro,
// fallback `models`, data policies (403), bad controls (400), and that no control reaches an
// upstream.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

constexpr std::string_view eu_key = "sk-itest-eu-0123456789abcdef";
constexpr std::string_view strict_key = "sk-itest-strict-0123456789ab";

// `cheap` (us, keeps and trains on prompts, fast) and `safe` (eu, zero retention, slow,
// expensive); `down` answers 503 to everything. `chat` lists `safe` first.
struct routing_setup {
  temp_dir dir;
  mock_provider cheap{dir, "cheap", mock_options().tokens_per_second(5000).reply_tokens(12)};
  mock_provider safe{dir, "safe", mock_options().tokens_per_second(40).reply_tokens(12)};
  mock_provider down{dir, "down", mock_options().fault(R"({"kind":"status","status":503})")};
  std::unique_ptr<gateway> gw;

  routing_setup() { gw = std::make_unique<gateway>(dir, yaml()); }

  std::string provider(const std::string& name, const mock_provider& m,
                       const std::string& attributes) const {
    return "  - name: " + name + "\n    type: openai-compatible\n    base_url: " + m.base_url() +
           "\n    api_key: sk-upstream-itest\n    connect_timeout_ms: 1000\n" + attributes;
  }

  std::string yaml() const {
    return "server: { listen: \"127.0.0.1:0\", io_threads: 2, actor_threads: 2 }\n"
           "storage: sqlite://" +
           (dir.path() / "switchyard.db").string() + "\nproviders:\n" +
           provider("cheap", cheap,
                    "    region: us\n    retains_prompts: true\n    trains_on_data: true\n") +
           provider("safe", safe, "    region: eu\n    zdr: true\n") +
           provider("down", down, "    region: eu\n") +
           R"(models:
  - name: chat
    targets:
      - { provider: safe, model: mock-gpt, input_usd_per_mtok: 5, output_usd_per_mtok: 15 }
      - { provider: cheap, model: mock-gpt, input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.4 }
  - name: flaky
    max_attempts: 1
    targets: [{ provider: down, model: mock-gpt }]
  - name: us-only
    targets: [{ provider: cheap, model: mock-gpt }]
  - name: embed
    targets: [{ provider: safe, model: mock-embedding }, { provider: cheap, model: mock-embedding }]
tenants:
  - { name: itest, keys: [")" +
           std::string{test_key} + R"("] }
  - name: eu
    keys: [")" +
           std::string{eu_key} +
           R"("]
    policy: { regions: [eu] }
  - name: strict
    keys: [")" +
           std::string{strict_key} +
           R"("]
    policy: { deny_training: true, require_zdr: true, regions: [us] }
)";
  }

  http_response chat(const std::string& model, const std::string& extra = {},
                     std::string_view key = test_key,
                     std::string_view path = "/v1/chat/completions") {
    return post_json(gw->port(), path, chat_body(model, false, extra), key);
  }
};

// The body the mock last received, as JSON.
rapidjson::Document last_upstream_body(const mock_provider& m) {
  auto r = get(m.port(), "/_mock/last_request");
  REQUIRE(r.status == 200);
  auto doc = r.json();
  REQUIRE(!doc.HasParseError());
  rapidjson::Document body;
  body.CopyFrom((*json_at(doc, "body")), body.GetAllocator());
  return body;
}

void check_no_controls_upstream(const mock_provider& m) {
  auto body = last_upstream_body(m);
  REQUIRE(body.IsObject());
  CHECK_FALSE(body.HasMember("provider"));
  CHECK_FALSE(body.HasMember("models"));
  CHECK_FALSE(body.HasMember("route"));
  CHECK(json_string(body, "model") == "mock-gpt");
}

std::string served_by(const http_response& r) {
  INFO("status " << r.status << " body: " << r.body);
  REQUIRE(r.status == 200);
  const auto header = r.header("x-switchyard-provider");
  CHECK(json_string(r.json(), "provider") == header);
  return header;
}

}  // namespace

TEST_CASE("routing: the answer names its provider in the header and the body") {
  routing_setup s;
  auto r = s.chat("chat");
  require_chat_completion(r);
  CHECK(served_by(r) == "safe");

  SECTION("every stream chunk names it too") {
    sse_stream st(s.gw->port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(st.status() == 200);
    CHECK(st.header("x-switchyard-provider") == "safe");
    auto events = st.rest();
    std::size_t chunks = 0;
    for (const auto& e : events) {
      if (e == "[DONE]") continue;
      rapidjson::Document d;
      d.Parse(e.c_str());
      REQUIRE_FALSE(d.HasParseError());
      CHECK(json_string(d, "provider") == "safe");
      ++chunks;
    }
    CHECK(chunks >= 2);
    CHECK(summarize(events).done);
  }
  SECTION("embeddings too") {
    auto e =
        post_json(s.gw->port(), "/v1/embeddings", R"({"model":"embed","input":"hi"})", test_key);
    CHECK(served_by(e) == "safe");
  }
}

TEST_CASE("routing: /api/v1 paths serve like /v1 (OpenRouter base URL)") {
  routing_setup s;
  auto r = s.chat("chat", {}, test_key, "/api/v1/chat/completions");
  require_chat_completion(r);
  CHECK(served_by(r) == "safe");
  auto models = get(s.gw->port(), "/api/v1/models", test_key);
  CHECK(models.status == 200);
  CHECK(json_string(models.json(), "object") == "list");
  auto e =
      post_json(s.gw->port(), "/api/v1/embeddings", R"({"model":"embed","input":"hi"})", test_key);
  CHECK(e.status == 200);
}

TEST_CASE("routing: provider.order, only and ignore pick the provider; none reaches upstream") {
  routing_setup s;
  CHECK(served_by(s.chat("chat", R"("provider":{"order":["cheap","safe"]})")) == "cheap");
  check_no_controls_upstream(s.cheap);
  CHECK(served_by(s.chat("chat", R"("provider":{"only":["cheap"]})")) == "cheap");
  CHECK(served_by(s.chat("chat", R"("provider":{"ignore":["safe"]},"route":"fallback")")) ==
        "cheap");
  check_no_controls_upstream(s.cheap);
  CHECK(served_by(s.chat("chat", R"("provider":{"ignore":["cheap"],"zdr":true})")) == "safe");
  check_no_controls_upstream(s.safe);

  SECTION("preferences that leave no provider are a 404 naming them") {
    auto r = s.chat("chat", R"("provider":{"only":["down"]})");
    CHECK(r.status == 404);
    CHECK(json_string(r.json(), "error/param") == "provider");
    CHECK_THAT(json_string(r.json(), "error/message"), Catch::Contains("only `down`"));
  }
  SECTION("max_price excludes the expensive provider") {
    CHECK(served_by(s.chat("chat", R"("provider":{"max_price":{"prompt":1,"completion":1}})")) ==
          "cheap");
  }
}

TEST_CASE("routing: :floor picks the cheapest, :nitro the fastest") {
  routing_setup s;
  CHECK(served_by(s.chat("chat:floor")) == "cheap");
  CHECK(served_by(s.chat("chat", R"("provider":{"sort":"price"})")) == "cheap");
  // Throughput is learned from streams: one on each provider.
  for (const char* p : {"safe", "cheap"}) {
    sse_stream st(s.gw->port(), "/v1/chat/completions",
                  chat_body("chat", true, std::string{R"("provider":{"only":[")"} + p + R"("]})"),
                  test_key);
    REQUIRE(st.status() == 200);
    CHECK(summarize(st.rest()).done);
  }
  // The estimates are fed when the request actor finishes, just after the client saw [DONE];
  // /metrics shows what the router reads.
  auto throughput = [&](const std::string& provider) {
    const std::string series =
        "\nswitchyard_provider_throughput_ewma_tokens_per_second{provider=\"" + provider + "\"} ";
    const auto text = get(s.gw->port(), "/metrics").body;
    const auto at = text.find(series);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size()));
  };
  REQUIRE(eventually([&] { return throughput("cheap") > 0 && throughput("safe") > 0; }));
  CHECK(throughput("cheap") > throughput("safe"));
  CHECK(served_by(s.chat("chat:nitro")) == "cheap");
  auto unknown = s.chat("nope:floor");
  CHECK(unknown.status == 404);
}

TEST_CASE("routing: fallback models serve when the primary fails; unknown ones are a 400") {
  routing_setup s;
  auto r = s.chat("flaky", R"("models":["us-only"])");
  CHECK(served_by(r) == "cheap");
  CHECK(s.down.requests_total() >= 1);
  check_no_controls_upstream(s.cheap);

  auto bad = s.chat("flaky", R"("models":["us-only","ghost"])");
  CHECK(bad.status == 400);
  CHECK(json_string(bad.json(), "error/param") == "models");
  CHECK_THAT(json_string(bad.json(), "error/message"), Catch::Contains("`ghost`"));
}

TEST_CASE("routing: data policies route only to compliant providers, else 403") {
  routing_setup s;
  // Tenant `eu`: only eu providers, even when the request asks for the cheapest.
  CHECK(served_by(s.chat("chat:floor", {}, eu_key)) == "safe");
  // `strict` wants zdr in the us: nobody.
  auto denied = s.chat("chat", {}, strict_key);
  CHECK(denied.status == 403);
  CHECK_THAT(json_string(denied.json(), "error/message"),
             Catch::Contains("`chat`") &&
                 Catch::Contains("tenant `strict`'s data policy: deny_training, require_zdr"));
  CHECK(s.safe.requests_total() == 1);
  CHECK(s.cheap.requests_total() == 0);

  SECTION("the request's own data_collection: deny and zdr") {
    auto r = s.chat("us-only", R"("provider":{"data_collection":"deny"})");
    CHECK(r.status == 403);
    CHECK_THAT(json_string(r.json(), "error/message"),
               Catch::Contains("provider.data_collection: deny"));
    CHECK(served_by(s.chat("chat:floor", R"("provider":{"zdr":true})")) == "safe");
    CHECK(s.cheap.requests_total() == 0);
  }
}

TEST_CASE("routing: malformed controls are 400s naming the field") {
  routing_setup s;
  auto r = s.chat("chat", R"("provider":{"sort":"fastest"})");
  CHECK(r.status == 400);
  CHECK(json_string(r.json(), "error/param") == "provider.sort");
  r = s.chat("chat", R"("models":"us-only")");
  CHECK(r.status == 400);
  CHECK(json_string(r.json(), "error/param") == "models");
  r = s.chat("chat", R"("provider":{"zdr":"yes"})");
  CHECK(r.status == 400);
  CHECK(json_string(r.json(), "error/param") == "provider.zdr");
  CHECK(s.safe.requests_total() + s.cheap.requests_total() == 0);
}
