// Budgets, rate limits and usage.cost through the real binary and the standalone mock: hard caps
// under 200 concurrent requests, spend that survives a restart, rpm windows, and a cost in every
// response equal to the one recorded.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// 1000 USD per million tokens in and out: a token costs 0.001.
std::string budget_config(const temp_dir& dir, const std::string& base_url,
                          const std::string& tenant_limits, const std::string& key_entry = {}) {
  std::string y =
      "server:\n  listen: 127.0.0.1:0\n  io_threads: 2\n  actor_threads: 2\n"
      "  drain_timeout_ms: 10000\n";
  y += "storage: sqlite://" + (dir.path() / "switchyard.db").string() + "\n";
  y += "providers:\n  - name: up\n    type: openai-compatible\n    base_url: " + base_url +
       "\n    api_key: sk-upstream-itest\n    max_in_flight: 256\n    max_queue: 256\n";
  y += "models:\n  - name: chat\n    targets:\n      - { provider: up, model: mock-gpt, "
       "input_usd_per_mtok: 1000, output_usd_per_mtok: 1000 }\n";
  y += "tenants:\n  - name: itest\n" + tenant_limits + "    keys:\n      - \"" +
       std::string{test_key} + "\"\n" + key_entry;
  return y;
}

struct usage_row {
  std::string request_id;
  int status = 0;
  double cost = 0;
};

std::vector<usage_row> rows_of(const temp_dir& dir) {
  sqlite3* db = nullptr;
  const auto path = (dir.path() / "switchyard.db").string();
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT request_id, status, cost_usd FROM usage ORDER BY id", -1,
                             &s, nullptr) == SQLITE_OK);
  std::vector<usage_row> rows;
  while (sqlite3_step(s) == SQLITE_ROW)
    rows.push_back({reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                    sqlite3_column_int(s, 1), sqlite3_column_double(s, 2)});
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rows;
}

void stop_gateway(gateway& gw) {
  gw.proc().signal(SIGTERM);
  auto code = gw.proc().wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}

const std::string small_request = chat_body("chat", false, R"("max_tokens":16)");

// A request's cost is settled when its actor ends, just after the client has the answer: waits
// until no reservation of the tenant is outstanding.
void wait_settled(gateway& gw) {
  REQUIRE(eventually([&] {
    auto k = get(gw.port(), "/v1/key", test_key);
    const auto k_doc = k.json();  // the value below points into it
    auto* reserved = json_at(k_doc, "data/tenant/budget/reserved");
    return reserved != nullptr && reserved->GetDouble() == 0;
  }));
}

}  // namespace

TEST_CASE("budgets: 200 concurrent requests never spend more than the budget") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().latency_ms(50).reply_tokens(16));
  // Each answer costs (3 prompt + 16 output) x 0.001 = 0.019: the budget covers 50 of them.
  const double budget = 0.95;
  gateway gw(dir, budget_config(dir, up.base_url(), "    budget: { usd: 0.95, period: daily }\n"));

  struct answer {
    unsigned status;
    std::string id;
    double cost;
    std::string code;
  };
  std::mutex mutex;
  std::vector<answer> answers;
  std::vector<std::thread> clients;
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&] {
      auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key, 60s);
      auto doc = r.json();
      answer a{r.status, r.header("x-request-id"), -1, {}};
      if (r.status == 200 && json_at(doc, "usage/cost"))
        a.cost = json_at(doc, "usage/cost")->GetDouble();
      if (r.status != 200) a.code = json_string(doc, "error/code");
      std::lock_guard<std::mutex> g{mutex};
      answers.push_back(a);
    });
  }
  for (auto& c : clients) c.join();
  // Then one more, sequentially, until the budget is used up: no request may overshoot it.
  for (int i = 0; i < 100; ++i) {
    wait_settled(gw);
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    auto doc = r.json();
    answer a{r.status, r.header("x-request-id"), -1, {}};
    if (r.status == 200)
      a.cost = json_at(doc, "usage/cost")->GetDouble();
    else
      a.code = json_string(doc, "error/code");
    answers.push_back(a);
    if (r.status == 402) break;
  }
  std::size_t refusals = 0;
  for (const auto& a : answers) refusals += a.status == 402 ? 1 : 0;
  const auto metrics = get(gw.port(), "/metrics").body;
  CHECK(metrics.find("switchyard_tenant_rejected_total{tenant=\"itest\",reason=\"budget\"} " +
                     std::to_string(refusals) + "\n") != std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_reservations{tenant=\"itest\"} 0\n") !=
        std::string::npos);
  stop_gateway(gw);

  std::map<std::string, usage_row> rows;
  double spent = 0;
  for (const auto& row : rows_of(dir)) {
    CHECK(rows.count(row.request_id) == 0);  // one record per request
    rows[row.request_id] = row;
    spent += row.cost;
  }
  std::size_t ok = 0;
  std::size_t refused = 0;
  for (const auto& a : answers) {
    INFO(a.id << " " << a.status);
    REQUIRE(rows.count(a.id) == 1);
    CHECK(static_cast<unsigned>(rows[a.id].status) == a.status);
    if (a.status == 200) {
      ++ok;
      CHECK(a.cost == rows[a.id].cost);  // usage.cost is what was recorded, to the bit
      CHECK(a.cost > 0);
    } else {
      CHECK(a.status == 402);
      CHECK(a.code == "insufficient_quota");
      CHECK(rows[a.id].cost == 0);
      ++refused;
    }
  }
  INFO("spent " << spent << " of " << budget << "; " << ok << " answered, " << refused
                << " refused");
  CHECK(spent <= budget * 1.01);
  CHECK(spent >= budget - 0.04);  // the budget was used up, not refused early
  CHECK(ok >= 20);
  CHECK(refused >= 100);
}

TEST_CASE("budgets: spend survives a restart and the database holds no key") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(16));
  const auto yaml =
      budget_config(dir, up.base_url(), "    budget: { usd: 0.1, period: monthly }\n");
  std::size_t answered = 0;
  {
    gateway gw(dir, yaml);
    for (int i = 0; i < 10; ++i) {
      wait_settled(gw);
      auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
      if (r.status == 402) break;
      require_chat_completion(r);
      ++answered;
    }
    stop_gateway(gw);
  }
  // Each reserves 0.037 (21 prompt tokens estimated from 84 bytes, 16 output) and spends 0.019:
  // after four, 0.024 is left, less than a 16-token answer may cost.
  CHECK(answered == 4);
  {
    gateway gw(dir, yaml);
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    require_openai_error(r, 402, "insufficient_quota");
    CHECK(json_string(r.json(), "error/message").find("tenant `itest`") != std::string::npos);
    CHECK(r.body.find(std::string{test_key}) == std::string::npos);
    // The same refusal in Anthropic's shape on /v1/messages.
    auto m = http_request(
        gw.port(), "POST", "/v1/messages",
        R"({"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]})",
        {{"x-api-key", std::string{test_key}},
         {"anthropic-version", "2023-06-01"},
         {"content-type", "application/json"}});
    INFO(m.body);
    CHECK(m.status == 402);
    CHECK(json_string(m.json(), "type") == "error");
    CHECK(json_string(m.json(), "error/type") == "billing_error");
    CHECK(json_string(m.json(), "error/message").find("budget of tenant `itest`") !=
          std::string::npos);
    stop_gateway(gw);
  }
  double spent = 0;
  for (const auto& row : rows_of(dir)) spent += row.cost;
  CHECK(spent <= 0.1);
  std::string bytes;
  for (const char* name : {"switchyard.db", "switchyard.db-wal"}) {
    std::ifstream in(dir.path() / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE_FALSE(bytes.empty());
  CHECK(bytes.find(std::string{test_key}) == std::string::npos);
}

TEST_CASE("budgets: max_tokens is lowered upstream to what the budget has left") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(200));
  // Prompt estimate 22 tokens (0.022): 0.1 leaves room for 78 output tokens, not 200.
  gateway gw(dir, budget_config(dir, up.base_url(), "    budget: { usd: 0.1 }\n"));
  auto r = post_json(gw.port(), "/v1/chat/completions",
                     chat_body("chat", false, R"("max_tokens":200)"), test_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(json_string(r.json(), "choices/0/finish_reason") == "length");
  const auto completion = json_at(r.json(), "usage/completion_tokens")->GetUint();
  CHECK(completion == 78);
  CHECK(json_at(r.json(), "usage/cost")->GetDouble() <= 0.1);
}

TEST_CASE("rate limits: rpm admits exactly the limit in a window, then 429 with Retry-After") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, budget_config(dir, up.base_url(), "    rpm: 60\n"));
  std::size_t ok = 0;
  std::size_t limited = 0;
  for (int i = 0; i < 75; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    CHECK(r.header("x-ratelimit-limit-requests") == "60");
    CHECK(r.has_header("x-ratelimit-reset-requests"));
    if (r.status == 200) {
      ++ok;
      CHECK(r.header("x-ratelimit-remaining-requests") == std::to_string(60 - ok));
    } else {
      require_openai_error(r, 429, "rate_limit_exceeded");
      CHECK(r.header("x-ratelimit-remaining-requests") == "0");
      const int retry = std::stoi(r.header("retry-after"));
      CHECK(retry >= 1);
      CHECK(retry <= 60);
      ++limited;
    }
  }
  // Everything ran within one window (the machine would need a minute for 75 requests to span two).
  CHECK(ok == 60);
  CHECK(limited == 15);
}

TEST_CASE("usage cost: the last usage chunk of a stream carries the recorded cost") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(8));
  gateway gw(dir, budget_config(dir, up.base_url(), ""));
  std::string id;
  double cost = -1;
  {
    sse_stream st(gw.port(), "/v1/chat/completions",
                  chat_body("chat", true, R"("stream_options":{"include_usage":true})"), test_key);
    REQUIRE(st.status() == 200);
    id = st.header("x-request-id");
    for (const auto& data : st.rest()) {
      if (data == "[DONE]") continue;
      rapidjson::Document doc;
      doc.Parse(data.c_str());
      if (auto* c = json_at(doc, "usage/cost")) cost = c->GetDouble();
    }
  }
  // 3 prompt + 8 output tokens.
  CHECK(cost == Approx(0.011));
  auto whole = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(whole);
  const double whole_cost = json_at(whole.json(), "usage/cost")->GetDouble();
  stop_gateway(gw);
  std::map<std::string, double> recorded;
  for (const auto& row : rows_of(dir)) recorded[row.request_id] = row.cost;
  REQUIRE(recorded.count(id) == 1);
  CHECK(recorded[id] == cost);
  CHECK(recorded[whole.header("x-request-id")] == whole_cost);
}

TEST_CASE("key info: GET /v1/key reports limits, spend and what remains for key and tenant") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(16));
  constexpr std::string_view mapped = "sk-itest-mapped-0123456789";
  gateway gw(dir, budget_config(dir, up.base_url(),
                                "    budget: { usd: 2, period: daily }\n    rpm: 100\n"
                                "    labels: { team: search }\n",
                                "      - { key: \"" + std::string{mapped} +
                                    "\", name: ci, budget: { usd: 0.5, period: weekly, "
                                    "soft_threshold: 0.01 }, rpm: 10, labels: { env: ci } }\n"));
  auto r = post_json(gw.port(), "/v1/chat/completions", small_request, mapped);
  require_chat_completion(r);
  CHECK(r.header("x-ratelimit-limit-requests") == "10");  // the key's, tighter than the tenant's
  CHECK(r.header("x-ratelimit-remaining-requests") == "9");
  const double cost = json_at(r.json(), "usage/cost")->GetDouble();
  CHECK(cost == Approx(0.019));

  http_response k;
  // The spend is settled when the request actor ends, moments after the client has its answer.
  REQUIRE(eventually([&] {
    k = get(gw.port(), "/v1/key", mapped);
    const auto k_doc = k.json();  // the value below points into it
    auto* spend = json_at(k_doc, "data/key/budget/spend");
    return k.status == 200 && spend != nullptr && spend->GetDouble() > 0;
  }));
  INFO(k.body);
  CHECK(k.body.find(std::string{mapped}) == std::string::npos);
  auto doc = k.json();
  CHECK(json_string(doc, "data/key/name") == "ci");
  CHECK(json_string(doc, "data/key/labels/env") == "ci");
  CHECK(json_string(doc, "data/tenant/name") == "itest");
  CHECK(json_string(doc, "data/tenant/labels/team") == "search");
  CHECK(json_at(doc, "data/key/budget/spend")->GetDouble() == cost);
  CHECK(json_at(doc, "data/key/budget/remaining")->GetDouble() == Approx(0.5 - cost));
  CHECK(json_string(doc, "data/key/budget/period") == "weekly");
  CHECK(json_at(doc, "data/key/budget/near_cap")->GetBool());
  CHECK(json_string(doc, "data/key/budget/reset_at").size() == 20);  // YYYY-MM-DDTHH:MM:SSZ
  CHECK(json_at(doc, "data/tenant/budget/spend")->GetDouble() == cost);
  CHECK_FALSE(json_at(doc, "data/tenant/budget/near_cap")->GetBool());
  CHECK(json_at(doc, "data/key/rate_limits/requests/remaining")->GetUint() == 9);
  CHECK(json_at(doc, "data/tenant/rate_limits/requests/remaining")->GetUint() == 99);
  CHECK(json_at(doc, "data/key/rate_limits/tokens")->IsNull());
  // OpenRouter's flat fields describe the budget that binds first: the key's.
  CHECK(json_at(doc, "data/limit")->GetDouble() == 0.5);
  CHECK(json_at(doc, "data/usage")->GetDouble() == cost);

  // The plain key of the same tenant has no budget of its own.
  auto plain = get(gw.port(), "/v1/key", test_key).json();
  CHECK(json_at(plain, "data/key/budget")->IsNull());
  CHECK(json_at(plain, "data/key/name")->IsNull());
  CHECK(json_at(plain, "data/limit")->GetDouble() == 2);
  require_openai_error(get(gw.port(), "/v1/key"), 401);

  const auto metrics = get(gw.port(), "/metrics").body;
  INFO(metrics);
  CHECK(metrics.find("\nswitchyard_tenant_budget_usd{tenant=\"itest\"} 2\n") != std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_spend_usd{tenant=\"itest\"} 0.019") != std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_budget_near_cap{tenant=\"itest\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_reservations{tenant=\"itest\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("switchyard_tenant_rejected_total{tenant=\"itest\",reason=\"rpm\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find(std::string{mapped}.substr(0, 12)) == std::string::npos);
}

TEST_CASE("keys: a key's allowed_models narrows its tenant's, and an expired key is refused") {
  temp_dir dir;
  mock_provider up(dir, "up");
  constexpr std::string_view narrow = "sk-itest-narrow-0123456789";
  constexpr std::string_view expired = "sk-itest-expired-012345678";
  auto yaml = budget_config(dir, up.base_url(), "",
                            "      - { key: \"" + std::string{narrow} +
                                "\", allowed_models: [ chat ] }\n      - { key: \"" +
                                std::string{expired} + "\", expires_at: 2020-01-01T00:00:00Z }\n");
  const std::string other_model =
      "  - name: other\n    targets:\n      - { provider: up, model: m }\n";
  yaml.insert(yaml.find("tenants:\n"), other_model);
  gateway gw(dir, yaml);

  require_chat_completion(post_json(gw.port(), "/v1/chat/completions", small_request, narrow));
  require_openai_error(post_json(gw.port(), "/v1/chat/completions", chat_body("other"), narrow),
                       404, "model_not_found");
  require_chat_completion(
      post_json(gw.port(), "/v1/chat/completions", chat_body("other"), test_key));
  auto listed = get(gw.port(), "/v1/models", narrow);
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find("\"chat\"") != std::string::npos);
  CHECK(listed.body.find("\"other\"") == std::string::npos);
  CHECK(get(gw.port(), "/v1/models/other", narrow).status == 404);
  CHECK(get(gw.port(), "/v1/models/other", test_key).status == 200);
  // count_tokens holds the key to the same list, with the same answer as Messages.
  auto count = [&](std::string_view key, std::string_view model) {
    return http_request(gw.port(), "POST", "/v1/messages/count_tokens",
                        R"({"model":")" + std::string{model} +
                            R"(","messages":[{"role":"user","content":"hello"}]})",
                        json_headers(key));
  };
  const auto refused = count(narrow, "other");
  CHECK(refused.status == 404);
  const auto messages = http_request(
      gw.port(), "POST", "/v1/messages",
      R"({"model":"other","max_tokens":8,"messages":[{"role":"user","content":"hello"}]})",
      json_headers(narrow));
  CHECK(messages.status == 404);
  CHECK(json_string(refused.json(), "error/type") == "not_found_error");
  CHECK(json_string(refused.json(), "error/message") ==
        json_string(messages.json(), "error/message"));
  CHECK(count(narrow, "chat").status == 200);
  CHECK(count(test_key, "other").status == 200);

  auto r = post_json(gw.port(), "/v1/chat/completions", small_request, expired);
  require_openai_error(r, 401);
  CHECK(json_string(r.json(), "error/message").find("expired at 2020-01-01T00:00:00Z") !=
        std::string::npos);
}

TEST_CASE("rate limits: tpm refuses a request whose prompt would pass the window's tokens") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(16));
  gateway gw(dir, budget_config(dir, up.base_url(), "    tpm: 50\n"));
  // Each request is estimated at 21 prompt tokens (84 bytes) and really uses 3 + 16: two fit in
  // 50 whether or not the first has settled yet, a third does not.
  for (int i = 0; i < 2; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    require_chat_completion(r);
    CHECK(r.header("x-ratelimit-limit-tokens") == "50");
    CHECK_FALSE(r.has_header("x-ratelimit-limit-requests"));
  }
  auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
  require_openai_error(r, 429, "rate_limit_exceeded");
  CHECK(json_string(r.json(), "error/message").find("50 tokens per minute") != std::string::npos);
  CHECK(r.has_header("retry-after"));
  const auto metrics = get(gw.port(), "/metrics").body;
  CHECK(metrics.find("switchyard_tenant_rejected_total{tenant=\"itest\",reason=\"tpm\"} 1\n") !=
        std::string::npos);
}

namespace {

constexpr std::string_view limits_admin_key = "adm-itest-limits-0123456789";

// `budget_config` with the admin API on.
std::string admin_budget_config(const temp_dir& dir, const std::string& base_url) {
  auto y = budget_config(dir, base_url, "");
  y.insert(y.find("server:\n") + 8, "  admin_key: " + std::string{limits_admin_key} + "\n");
  return y;
}

http_response admin_post(std::uint16_t port, const std::string& target, std::string_view body) {
  return http_request(port, "POST", target, body, json_headers(limits_admin_key));
}

// Creates a key through the admin API; returns the key.
std::string admin_key_for(std::uint16_t port, const std::string& tenant, std::string_view body) {
  auto r = admin_post(port, "/admin/tenants/" + tenant + "/keys", body);
  REQUIRE(r.status == 201);
  return json_string(r.json(), "key");
}

}  // namespace

TEST_CASE("budgets: a key created through the admin API is held to its budget") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, admin_budget_config(dir, up.base_url()));
  REQUIRE(admin_post(gw.port(), "/admin/tenants", R"({"name":"acme"})").status == 201);
  // Each answer costs 0.019 and a request reserves more than that: 0.1 covers a few.
  const auto capped = admin_key_for(gw.port(), "acme",
                                    R"({"name":"capped","budget":{"usd":0.1,"period":"daily"}})");
  const auto free = admin_key_for(gw.port(), "acme", R"({"name":"free"})");
  std::size_t ok = 0;
  std::optional<http_response> refused;
  for (int i = 0; i < 12 && !refused; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, capped);
    if (r.status == 200) {
      ++ok;
      // Settled before the next one, so that each request sees the spend of the ones before.
      REQUIRE(eventually([&] {
        auto k = get(gw.port(), "/v1/key", capped);
        const auto k_doc = k.json();  // the value below points into it
        auto* reserved = json_at(k_doc, "data/key/budget/reserved");
        return reserved != nullptr && reserved->GetDouble() == 0;
      }));
    } else {
      refused = std::move(r);
    }
  }
  REQUIRE(refused);
  require_openai_error(*refused, 402, "insufficient_quota");
  CHECK(json_string(refused->json(), "error/message").find("budget of key `capped`") !=
        std::string::npos);
  CHECK(ok >= 1);
  CHECK(ok <= 5);  // 5 x 0.019 would already be 0.095 spent
  auto k = get(gw.port(), "/v1/key", capped);
  const auto k_doc = k.json();  // the value below points into it
  auto* spend = json_at(k_doc, "data/key/budget/spend");
  REQUIRE(spend != nullptr);
  CHECK(spend->GetDouble() <= 0.1);
  // The budget is the key's: its tenant's other key is still served.
  CHECK(post_json(gw.port(), "/v1/chat/completions", small_request, free).status == 200);
}

TEST_CASE("rate limits: a tenant created through the admin API is held to its rpm") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, admin_budget_config(dir, up.base_url()));
  REQUIRE(admin_post(gw.port(), "/admin/tenants", R"({"name":"paced","rpm":2})").status == 201);
  const auto a = admin_key_for(gw.port(), "paced", R"({"name":"a"})");
  const auto b = admin_key_for(gw.port(), "paced", R"({"name":"b"})");
  auto first = post_json(gw.port(), "/v1/chat/completions", small_request, a);
  CHECK(first.status == 200);
  CHECK(first.header("x-ratelimit-limit-requests") == "2");
  // The window is the tenant's, shared by its keys.
  CHECK(post_json(gw.port(), "/v1/chat/completions", small_request, b).status == 200);
  auto third = post_json(gw.port(), "/v1/chat/completions", small_request, a);
  require_openai_error(third, 429, "rate_limit_exceeded");
  CHECK(third.has_header("retry-after"));
  // Raising the tenant's rpm through PATCH applies to the window already running: two more.
  REQUIRE(http_request(gw.port(), "PATCH", "/admin/tenants/paced", R"({"rpm":4})",
                       json_headers(limits_admin_key))
              .status == 200);
  CHECK(post_json(gw.port(), "/v1/chat/completions", small_request, a).status == 200);
  CHECK(post_json(gw.port(), "/v1/chat/completions", small_request, b).status == 200);
  require_openai_error(post_json(gw.port(), "/v1/chat/completions", small_request, a), 429,
                       "rate_limit_exceeded");
}

TEST_CASE("rate limits: an rpm added by SIGHUP applies to the window already running") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, budget_config(dir, up.base_url(), ""));
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", small_request, test_key).status == 200);
  dir.write("switchyard.yaml", budget_config(dir, up.base_url(), "    rpm: 2\n"));
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually(
      [&] { return gw.proc().stderr_text().find("configuration reloaded") != std::string::npos; }));
  // The request before the reload counts: one more fits (two if a minute boundary passed).
  std::size_t ok = 0;
  std::optional<http_response> limited;
  for (int i = 0; i < 4 && !limited; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    if (r.status == 200)
      ++ok;
    else
      limited = std::move(r);
  }
  REQUIRE(limited);
  require_openai_error(*limited, 429, "rate_limit_exceeded");
  CHECK(limited->header("x-ratelimit-limit-requests") == "2");
  CHECK(ok >= 1);
  CHECK(ok <= 2);
}

TEST_CASE("budget metrics: a tenant created through the admin API is exported with its budget") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().reply_tokens(16));
  gateway gw(dir, admin_budget_config(dir, up.base_url()));
  REQUIRE(admin_post(gw.port(), "/admin/tenants",
                     R"({"name":"metered","rpm":1,"budget":{"usd":3,"period":"daily"}})")
              .status == 201);
  const auto key = admin_key_for(gw.port(), "metered", R"({"name":"m"})");
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", small_request, key).status == 200);
  require_openai_error(post_json(gw.port(), "/v1/chat/completions", small_request, key), 429,
                       "rate_limit_exceeded");
  std::string metrics;
  REQUIRE(eventually([&] {
    metrics = get(gw.port(), "/metrics").body;
    return metrics.find("\nswitchyard_tenant_reservations{tenant=\"metered\"} 0\n") !=
           std::string::npos;
  }));
  INFO(metrics);
  CHECK(metrics.find("\nswitchyard_tenant_budget_usd{tenant=\"metered\"} 3\n") !=
        std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_spend_usd{tenant=\"metered\"} 0.0") !=
        std::string::npos);  // 0.0xx: one small answer
  CHECK(metrics.find("\nswitchyard_tenant_spend_usd{tenant=\"metered\"} 0\n") == std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_budget_near_cap{tenant=\"metered\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("switchyard_tenant_rejected_total{tenant=\"metered\",reason=\"rpm\"} 1\n") !=
        std::string::npos);
  CHECK(
      metrics.find("switchyard_tenant_rejected_total{tenant=\"metered\",reason=\"budget\"} 0\n") !=
      std::string::npos);
  // Its finished requests are counted too, although it did not exist when the gateway started.
  CHECK(metrics.find(
            "\nswitchyard_tenant_requests_total{status_class=\"2xx\",tenant=\"metered\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find(
            "\nswitchyard_tenant_requests_total{status_class=\"4xx\",tenant=\"metered\"} 1\n") !=
        std::string::npos);
  // The configuration file's tenant is still there (it has no budget: its counters only).
  CHECK(metrics.find("switchyard_tenant_rejected_total{tenant=\"itest\",reason=\"rpm\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("\nswitchyard_tenant_budget_usd{tenant=\"itest\"}") == std::string::npos);
  CHECK(metrics.find(key.substr(0, 12)) == std::string::npos);
}
