// The admin API through the real binary: who may call it, keys that work and stop working at
// once, what survives a restart (and that no key is ever stored in clear), bad bodies that change
// nothing, and usage reports whose totals are the sum of the usage records.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

constexpr std::string_view admin_key = "adm-itest-secret-0123456789";

std::string admin_config(const temp_dir& dir, bool with_admin = true) {
  config_builder b;
  b.mock_provider("demo").model("chat", {{"demo", "demo-1"}});
  if (with_admin) b.server("admin_key", std::string{admin_key});
  // Prices, so that usage reports have costs to add up.
  auto yaml = b.render(dir);
  const std::string target = "        model: demo-1\n";
  yaml.replace(yaml.find(target), target.size(),
               target + "        input_usd_per_mtok: 1.5\n        output_usd_per_mtok: 6\n");
  return yaml;
}

http_response admin(std::uint16_t port, std::string_view method, std::string_view target,
                    std::string_view body = {}, std::string_view key = admin_key,
                    header_list extra = {}) {
  header_list headers = json_headers(key);
  for (auto& h : extra) headers.push_back(std::move(h));
  return http_request(port, method, target, body, headers);
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// Creates a key for `tenant`; returns {id, key}.
std::pair<std::string, std::string> create_key(std::uint16_t port, const std::string& tenant) {
  auto r = admin(port, "POST", "/admin/tenants/" + tenant + "/keys", R"({"name":"itest"})");
  REQUIRE(r.status == 201);
  auto doc = r.json();
  return {json_string(doc, "id"), json_string(doc, "key")};
}

unsigned chat_status(std::uint16_t port, std::string_view key) {
  return post_json(port, "/v1/chat/completions", chat_body("chat"), key).status;
}

}  // namespace

TEST_CASE("admin: only the admin key reaches /admin (401 without, 403 for tenant keys)") {
  temp_dir dir;
  gateway gw(dir, admin_config(dir));
  for (const char* target : {"/admin/tenants", "/admin/providers", "/admin/usage"}) {
    INFO(target);
    CHECK(admin(gw.port(), "GET", target, {}, "").status == 401);
    CHECK(admin(gw.port(), "GET", target, {}, "sk-not-a-key").status == 401);
    auto tenant = admin(gw.port(), "GET", target, {}, test_key);
    CHECK(tenant.status == 403);
    CHECK(json_string(tenant.json(), "error/type") == "permission_error");
    CHECK(admin(gw.port(), "GET", target).status == 200);
  }
  auto providers = admin(gw.port(), "GET", "/admin/providers").json();
  CHECK(json_string(providers, "data/0/name") == "demo");
  CHECK(json_string(providers, "data/0/type") == "mock");
  CHECK(json_at(providers, "data/0/limit")->GetUint() == 64);
  CHECK(json_at(providers, "data/0/admitted_total") != nullptr);
  CHECK(json_string(providers, "data/0/circuit/state") == "closed");
  CHECK(json_at(providers, "data/0/circuit/ejections_total")->GetUint64() == 0);
  CHECK(json_at(providers, "data/0/circuit/available_in_ms")->IsNull());
  // x-api-key works like Bearer; the admin key is not a tenant key for /v1.
  CHECK(
      http_request(gw.port(), "GET", "/admin/tenants", {}, {{"x-api-key", std::string{admin_key}}})
          .status == 200);
  CHECK(chat_status(gw.port(), admin_key) == 401);
  // A tenant key cannot create anything either.
  CHECK(admin(gw.port(), "POST", "/admin/tenants", R"({"name":"evil"})", test_key).status == 403);
  CHECK(admin(gw.port(), "GET", "/admin/tenants/evil").status == 404);
}

TEST_CASE("admin: without server.admin_key every /admin route is 404") {
  temp_dir dir;
  gateway gw(dir, admin_config(dir, false));
  CHECK(admin(gw.port(), "GET", "/admin/tenants").status == 404);
  CHECK(admin(gw.port(), "GET", "/admin/tenants", {}, test_key).status == 404);
  CHECK(admin(gw.port(), "GET", "/admin/providers", {}, "").status == 404);
}

TEST_CASE("admin: a created key works at once; revoked, it is refused at the next request") {
  temp_dir dir;
  gateway gw(dir, admin_config(dir));
  auto t = admin(gw.port(), "POST", "/admin/tenants",
                 R"({"name":"acme","allowed_models":["chat"],"rpm":100,)"
                 R"("budget":{"usd":25,"period":"monthly"},"labels":{"team":"ml"}})");
  REQUIRE(t.status == 201);
  CHECK(json_string(t.json(), "source") == "admin");
  auto [id, key] = create_key(gw.port(), "acme");
  CHECK(key.rfind("sk-sy-", 0) == 0);
  CHECK(chat_status(gw.port(), key) == 200);

  // Listing shows prefixes and ids, never a key or a digest.
  auto list = admin(gw.port(), "GET", "/admin/keys?tenant=acme");
  REQUIRE(list.status == 200);
  CHECK(list.body.find(key) == std::string::npos);
  CHECK(list.body.find("hash") == std::string::npos);
  CHECK(json_string(list.json(), "data/0/id") == id);
  CHECK(json_string(list.json(), "data/0/status") == "active");

  REQUIRE(admin(gw.port(), "POST", "/admin/keys/" + id + "/revoke").status == 200);
  CHECK(chat_status(gw.port(), key) == 401);
  CHECK(admin(gw.port(), "POST", "/admin/keys/" + id + "/revoke").status == 409);
  CHECK(admin(gw.port(), "POST", "/admin/keys/key_0000000000000000/revoke").status == 404);

  // Rotation without grace: the new key works, the old one stops.
  auto [id2, key2] = create_key(gw.port(), "acme");
  auto rotated = admin(gw.port(), "POST", "/admin/keys/" + id2 + "/rotate");
  REQUIRE(rotated.status == 201);
  auto key3 = json_string(rotated.json(), "key");
  CHECK(chat_status(gw.port(), key3) == 200);
  CHECK(chat_status(gw.port(), key2) == 401);

  // Rotation with a grace period: both work until it ends.
  auto graced =
      admin(gw.port(), "POST", "/admin/keys/" + json_string(rotated.json(), "id") + "/rotate",
            R"({"grace_seconds":3600})");
  REQUIRE(graced.status == 201);
  CHECK(chat_status(gw.port(), key3) == 200);
  CHECK(chat_status(gw.port(), json_string(graced.json(), "key")) == 200);
  CHECK(json_string(graced.json(), "replaced/status") == "active");
  CHECK_FALSE(json_string(graced.json(), "replaced/expires_at").empty());

  // Keys may also be created for a config-file tenant, whose own settings stay read-only.
  auto [file_id, file_key] = create_key(gw.port(), "itest");
  CHECK(chat_status(gw.port(), file_key) == 200);
  CHECK(admin(gw.port(), "PATCH", "/admin/tenants/itest", R"({"rpm":5})").status == 409);
  CHECK(admin(gw.port(), "DELETE", "/admin/tenants/itest").status == 409);

  // Deleting a tenant revokes its keys.
  REQUIRE(admin(gw.port(), "DELETE", "/admin/tenants/acme").status == 200);
  CHECK(chat_status(gw.port(), key3) == 401);
  CHECK(admin(gw.port(), "GET", "/admin/tenants/acme").status == 404);

  // Every change is in the audit log, attributed to the admin key, without secrets.
  auto audit = admin(gw.port(), "GET", "/admin/audit?limit=1000");
  REQUIRE(audit.status == 200);
  auto doc = audit.json();
  REQUIRE(doc["data"].IsArray());
  CHECK(doc["data"].Size() == 8);
  CHECK(json_string(doc, "data/0/action") == "tenant.delete");
  CHECK(json_string(doc, "data/0/actor").rfind("admin:", 0) == 0);
  for (const auto& k : {key, key2, key3, file_key}) CHECK(audit.body.find(k) == std::string::npos);
}

TEST_CASE("admin: stored keys survive a restart; the database holds no key in clear") {
  temp_dir dir;
  const auto yaml = admin_config(dir);
  std::string key;
  {
    gateway gw(dir, yaml);
    REQUIRE(admin(gw.port(), "POST", "/admin/tenants", R"({"name":"keep"})").status == 201);
    key = create_key(gw.port(), "keep").second;
    CHECK(chat_status(gw.port(), key) == 200);
    gw.proc().stop();
  }
  for (const char* file : {"switchyard.db", "switchyard.db-wal"}) {
    INFO(file);
    const auto bytes = file_bytes(dir.path() / file);
    CHECK(bytes.find(key) == std::string::npos);
    CHECK(bytes.find(std::string{admin_key}) == std::string::npos);
  }
  gateway again(dir, yaml);
  CHECK(chat_status(again.port(), key) == 200);
  CHECK(json_string(admin(again.port(), "GET", "/admin/tenants/keep").json(), "source") == "admin");
}

TEST_CASE("admin: bad bodies and unknown objects get a precise 4xx and change nothing") {
  temp_dir dir;
  gateway gw(dir, admin_config(dir));
  REQUIRE(admin(gw.port(), "POST", "/admin/tenants", R"({"name":"base","rpm":7})").status == 201);
  const auto before = admin(gw.port(), "GET", "/admin/tenants").body;
  struct bad {
    const char* method;
    const char* target;
    const char* body;
    unsigned status;
    const char* param;  // "" = none named
  };
  const bad cases[] = {
      {"POST", "/admin/tenants", R"({"name":"x",)", 400, ""},
      {"POST", "/admin/tenants", R"([1,2])", 400, ""},
      {"POST", "/admin/tenants", R"({"rpm":1})", 400, "name"},
      {"POST", "/admin/tenants", R"({"name":"has space"})", 400, "name"},
      {"POST", "/admin/tenants", R"({"name":"base"})", 409, "name"},
      {"POST", "/admin/tenants", R"({"name":"itest"})", 409, "name"},
      {"POST", "/admin/tenants", R"({"name":"n","budget":{"usd":-5}})", 400, "budget.usd"},
      {"POST", "/admin/tenants", R"({"name":"n","budget":{"usd":1e12}})", 400, "budget.usd"},
      {"POST", "/admin/tenants", R"({"name":"n","budget":{"usd":5,"period":"hourly"}})", 400,
       "budget.period"},
      {"POST", "/admin/tenants", R"({"name":"n","rpm":-1})", 400, "rpm"},
      {"POST", "/admin/tenants", R"({"name":"n","allowed_models":["nope"]})", 400,
       "allowed_models[0]"},
      {"POST", "/admin/tenants", R"({"name":"n","colour":"red"})", 400, "colour"},
      {"POST", "/admin/tenants", R"({"name":"n","policy":{"regions":"eu"}})", 400,
       "policy.regions"},
      {"PATCH", "/admin/tenants/base", R"({"rpm":5,"tpm":"lots"})", 400, "tpm"},
      {"PATCH", "/admin/tenants/base", R"({"name":"renamed"})", 400, "name"},
      {"PATCH", "/admin/tenants/ghost", R"({"rpm":5})", 404, "name"},
      {"DELETE", "/admin/tenants/ghost", "", 404, "name"},
      {"POST", "/admin/tenants/ghost/keys", "", 404, "tenant"},
      {"POST", "/admin/tenants/base/keys", R"({"expires_at":"tomorrow"})", 400, "expires_at"},
      {"POST", "/admin/tenants/base/keys", R"({"expires_at":"2001-01-01T00:00:00Z"})", 400,
       "expires_at"},
      {"POST", "/admin/keys/key_0000000000000000/rotate", R"({"grace_seconds":-1})", 400,
       "grace_seconds"},
      {"GET", "/admin/usage?from=yesterday", "", 400, "from"},
      {"GET", "/admin/usage?from=2026-02-30", "", 400, "from"},
      {"GET", "/admin/usage?group_by=colour", "", 400, "group_by"},
      {"GET", "/admin/usage?from=2026-03-01&to=2026-02-01", "", 400, "from"},
      {"GET", "/admin/keys?tenant=ghost", "", 404, "tenant"},
      {"GET", "/admin/nothing", "", 404, ""},
      {"PUT", "/admin/tenants", "{}", 405, ""},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.target << " " << c.body);
    auto r = admin(gw.port(), c.method, c.target, c.body);
    CHECK(r.status == c.status);
    auto doc = r.json();
    REQUIRE_FALSE(doc.HasParseError());
    CHECK_FALSE(json_string(doc, "error/message").empty());
    if (*c.param != '\0') CHECK(json_string(doc, "error/param") == c.param);
  }
  CHECK(admin(gw.port(), "GET", "/admin/tenants").body == before);
  auto audit = admin(gw.port(), "GET", "/admin/audit").json();
  CHECK(audit["data"].Size() == 1);  // the one good create
  CHECK(admin(gw.port(), "GET", "/admin/keys").json()["data"].Size() == 0);
}

TEST_CASE("admin: /admin/usage totals, as JSON and as CSV, equal the sum of the usage records") {
  temp_dir dir;
  gateway gw(dir, admin_config(dir));
  REQUIRE(admin(gw.port(), "POST", "/admin/tenants", R"({"name":"acme"})").status == 201);
  auto key = create_key(gw.port(), "acme").second;
  constexpr int from_itest = 5;
  constexpr int from_acme = 3;
  for (int i = 0; i < from_itest; ++i) REQUIRE(chat_status(gw.port(), test_key) == 200);
  for (int i = 0; i < from_acme; ++i) REQUIRE(chat_status(gw.port(), key) == 200);

  // Records reach the store in batches: wait until all are there.
  const std::string target = "/admin/usage?from=2020-01-01&group_by=tenant";
  REQUIRE(eventually([&] {
    auto d = admin(gw.port(), "GET", target).json();
    const auto* n = json_at(d, "total/requests");
    return n != nullptr && n->GetUint64() == from_itest + from_acme;
  }));
  auto doc = admin(gw.port(), "GET", target).json();
  REQUIRE(doc["data"].Size() == 2);
  CHECK(json_string(doc, "data/0/tenant") == "acme");
  CHECK(json_at(doc, "data/0/requests")->GetUint64() == from_acme);
  CHECK(json_string(doc, "data/1/tenant") == "itest");
  CHECK(json_at(doc, "data/1/requests")->GetUint64() == from_itest);

  // The same sums straight from the table.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir.path() / "switchyard.db").c_str(), &db, SQLITE_OPEN_READONLY,
                          nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), "
                             "SUM(cost_usd) FROM usage",
                             -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const auto rows = sqlite3_column_int64(s, 0);
  const auto prompt = sqlite3_column_int64(s, 1);
  const auto completion = sqlite3_column_int64(s, 2);
  const auto cost = sqlite3_column_double(s, 3);
  sqlite3_finalize(s);
  sqlite3_close(db);
  CHECK(rows == from_itest + from_acme);
  CHECK(json_at(doc, "total/prompt_tokens")->GetInt64() == prompt);
  CHECK(json_at(doc, "total/completion_tokens")->GetInt64() == completion);
  CHECK(json_at(doc, "total/cost_usd")->GetDouble() == Approx(cost));
  CHECK(cost > 0);

  // CSV, asked for by Accept and by format=, one line per group.
  for (bool by_accept : {true, false}) {
    auto csv =
        by_accept ? admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&group_by=day", {},
                          admin_key, {{"Accept", "text/csv"}})
                  : admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&group_by=day&format=csv");
    REQUIRE(csv.status == 200);
    CHECK(csv.header("content-type").rfind("text/csv", 0) == 0);
    std::istringstream lines{csv.body};
    std::string line;
    std::getline(lines, line);
    CHECK(line == "day,requests,prompt_tokens,completion_tokens,cached_tokens,cost_usd\r");
    long long requests = 0, prompt_sum = 0, completion_sum = 0;
    double cost_sum = 0;
    while (std::getline(lines, line) && !line.empty()) {
      std::istringstream cells{line};
      std::string day, n, p, c, cached, usd;
      std::getline(cells, day, ',');
      std::getline(cells, n, ',');
      std::getline(cells, p, ',');
      std::getline(cells, c, ',');
      std::getline(cells, cached, ',');
      std::getline(cells, usd);
      requests += std::stoll(n);
      prompt_sum += std::stoll(p);
      completion_sum += std::stoll(c);
      cost_sum += std::stod(usd);
    }
    CHECK(requests == rows);
    CHECK(prompt_sum == prompt);
    CHECK(completion_sum == completion);
    CHECK(cost_sum == Approx(cost));
  }
  // By key: the admin API's key is known by its id, the config file's is not.
  auto by_key = admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&group_by=key").json();
  REQUIRE(by_key["data"].Size() == 2);
  int with_id = 0;
  for (const auto& row : by_key["data"].GetArray())
    if (row["stored_key_id"].IsString()) ++with_id;
  CHECK(with_id == 1);
  // A window that holds none of them.
  auto empty = admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&to=2020-01-31").json();
  CHECK(empty["data"].Size() == 0);
  CHECK(json_at(empty, "total/requests")->GetUint64() == 0);
}
