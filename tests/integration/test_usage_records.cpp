// Usage records through the real binary: every request, answered or failed, streamed or not,
// becomes one row in the SQLite store by the time the gateway has drained and exited; the
// database never holds a key.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

struct usage_row {
  std::string request_id, tenant, key_prefix, route, model, provider;
  int status = 0, stream = 0, attempts = 0;
  long long prompt = 0, completion = 0;
  double cost = 0;
};

std::vector<usage_row> usage_rows(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT request_id, tenant, key_prefix, route, model, provider, "
                             "status, stream, attempts, prompt_tokens, completion_tokens, cost_usd "
                             "FROM usage ORDER BY id",
                             -1, &s, nullptr) == SQLITE_OK);
  std::vector<usage_row> rows;
  auto text = [&](int i) {
    const auto* t = sqlite3_column_text(s, i);
    return t != nullptr ? std::string{reinterpret_cast<const char*>(t)} : std::string{};
  };
  while (sqlite3_step(s) == SQLITE_ROW) {
    rows.push_back({text(0), text(1), text(2), text(3), text(4), text(5), sqlite3_column_int(s, 6),
                    sqlite3_column_int(s, 7), sqlite3_column_int(s, 8),
                    sqlite3_column_int64(s, 9), sqlite3_column_int64(s, 10),
                    sqlite3_column_double(s, 11)});
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST_CASE("usage: every request is one row by the time the gateway has exited") {
  temp_dir dir;
  mock_provider up(dir, "up");
  mock_provider down(dir, "down", mock_options().fault(R"({"kind":"status","status":503})"));
  gateway gw(dir, config_builder()
                      .provider("up", up.base_url(),
                                {{"max_in_flight", "8"}})
                      .provider("down", down.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .model("broken", {{"down", "mock-gpt"}})
                      .render(dir));
  std::map<std::string, unsigned> expected;  // request id -> status
  for (int i = 0; i < 5; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(r);
    expected[r.header("x-request-id")] = 200;
  }
  {
    sse_stream st(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(st.status() == 200);
    expected[st.header("x-request-id")] = 200;
    CHECK(summarize(st.rest()).done);
  }
  auto failed = post_json(gw.port(), "/v1/chat/completions", chat_body("broken"), test_key);
  REQUIRE(failed.status == 502);
  expected[failed.header("x-request-id")] = 502;

  gw.proc().signal(SIGTERM);
  auto code = gw.proc().wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 0);

  const auto rows = usage_rows((dir.path() / "switchyard.db").string());
  REQUIRE(rows.size() == expected.size());
  std::size_t streamed = 0;
  for (const auto& row : rows) {
    INFO(row.request_id);
    REQUIRE(expected.count(row.request_id) == 1);
    CHECK(static_cast<unsigned>(row.status) == expected[row.request_id]);
    CHECK(row.tenant == "itest");
    CHECK(row.model == (row.status == 200 ? "chat" : "broken"));
    CHECK(row.route == "chat");
    CHECK(row.attempts >= 1);
    streamed += static_cast<std::size_t>(row.stream);
    if (row.status == 200) {
      CHECK(row.provider == "up");
      CHECK(row.prompt > 0);
      CHECK(row.completion > 0);
    } else {
      CHECK(row.provider.empty());
      CHECK(row.completion == 0);
    }
    CHECK(test_key.find(row.key_prefix.substr(0, 6)) == 0);  // a short prefix of the key...
    CHECK(row.key_prefix.size() < test_key.size());           // ...never the key itself
  }
  CHECK(streamed == 1);
}

TEST_CASE("usage: the database file never contains a key") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, config_builder().provider("up", up.base_url()).model("chat", {{"up", "m"}})
                      .render(dir));
  require_chat_completion(post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
  gw.proc().signal(SIGTERM);
  REQUIRE(gw.proc().wait_exit(20s));
  std::string bytes;
  for (const char* name : {"switchyard.db", "switchyard.db-wal"}) {
    std::ifstream in(dir.path() / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE_FALSE(bytes.empty());
  CHECK(bytes.find(test_key) == std::string::npos);
  CHECK(bytes.find("sk-upstream-itest") == std::string::npos);
}

TEST_CASE("usage: GET /v1/generation answers a request's record to the key that made it only") {
  temp_dir dir;
  mock_provider up(dir, "up");
  constexpr std::string_view other_key = "sk-itest-other-tenant-0000";
  gateway gw(dir, config_builder()
                      .provider("up", up.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .tenant("other", std::string{other_key})
                      .render(dir));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  const std::string id = r.header("x-request-id");
  const auto completion = json_at(r.json(), "usage/completion_tokens")->GetUint();

  // The record exists once the request actor has finished, moments after the client has its
  // answer; then it is found whether the writer has stored it yet or not.
  http_response g;
  REQUIRE(eventually([&] {
    g = get(gw.port(), "/v1/generation?id=" + id, test_key);
    return g.status == 200;
  }, 2s));
  INFO(g.body);
  auto doc = g.json();
  CHECK(json_string(doc, "data/id") == id);
  CHECK(json_string(doc, "data/model") == "chat");
  CHECK(json_string(doc, "data/provider_name") == "up");
  CHECK(json_at(doc, "data/tokens_completion")->GetUint() == completion);
  CHECK(json_at(doc, "data/status")->GetUint() == 200);

  // And after the writer's flush interval (200 ms), from the database.
  std::this_thread::sleep_for(400ms);
  g = get(gw.port(), "/v1/generation?id=" + id, test_key);
  REQUIRE(g.status == 200);
  CHECK(json_at(g.json(), "data/tokens_completion")->GetUint() == completion);

  const auto metrics = get(gw.port(), "/metrics").body;
  CHECK(metrics.find("\nswitchyard_usage_records_written_total 1\n") != std::string::npos);
  CHECK(metrics.find("\nswitchyard_usage_records_pending 0\n") != std::string::npos);
  CHECK(metrics.find("\nswitchyard_usage_records_dropped_total 0\n") != std::string::npos);

  require_openai_error(get(gw.port(), "/v1/generation?id=" + id, other_key), 404);
  require_openai_error(get(gw.port(), "/v1/generation?id=nope", test_key), 404);
  require_openai_error(get(gw.port(), "/v1/generation", test_key), 400, {}, "id");
  require_openai_error(get(gw.port(), "/v1/generation?id=" + id), 401);
}
