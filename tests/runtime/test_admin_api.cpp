// The admin store and API over a temporary SQLite file, with a manual clock: schema versions,
// tenants and keys and their conflicts, atomic changes (a rejected change leaves no row and no
// audit entry), publication to the live config, usage reports and admin access checks.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <rapidjson/document.h>

#include "config/key_hash.hpp"
#include "config/loader.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/admin_http.hpp"
#include "runtime/admin_spec.hpp"
#include "runtime/budget_follow.hpp"
#include "runtime/key_gen.hpp"
#include "runtime/sqlite_usage_store.hpp"
#include "runtime/time_text.hpp"

using namespace switchyard;
using namespace switchyard::runtime;

namespace {

struct temp_db {
  std::filesystem::path dir;
  temp_db() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sy-admin-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~temp_db() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string path() const { return (dir / "admin.db").string(); }
};

constexpr const char* file_key = "sk-file-tenant-0123456789";

config::snapshot_ptr file_config() {
  auto r = config::load_string(R"(
server:
  admin_key: adm-unit-secret
providers:
  - { name: demo, type: mock }
models:
  - name: chat
    targets: [ { provider: demo, model: demo-1 } ]
tenants:
  - name: filed
    keys: [ sk-file-tenant-0123456789 ]
)",
                               "switchyard.yaml", [](std::string_view) { return std::nullopt; });
  REQUIRE(r.ok());
  return r.value();
}

std::unique_ptr<admin_store> open_store(const temp_db& db) {
  std::string error;
  auto store = admin_store::open(db.path(), error);
  INFO(error);
  REQUIRE(store != nullptr);
  return store;
}

// The API with a manual clock, publishing to `live`.
struct fixture {
  temp_db db;
  std::int64_t now_ms = 1'790'000'000'000;  // 2026-09-21
  std::shared_ptr<live_config> live = std::make_shared<live_config>(file_config());
  admin_api api{open_store(db), file_config(), live, [this] { return now_ms; }};

  admin_response call(std::string method, std::string target, std::string body = {}) {
    return api.handle({std::move(method), std::move(target), std::move(body), false, "test"});
  }
  rapidjson::Document json(const admin_response& r) {
    rapidjson::Document d;
    d.Parse(r.body.data(), r.body.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
  }
  std::size_t audit_entries() {
    return json(call("GET", "/admin/audit?limit=1000"))["data"].Size();
  }
  bool authenticates(const std::string& key) {
    return live->current()->keys.authenticate(key).ok();
  }
};

std::string str(const rapidjson::Value& v, const char* name) {
  auto m = v.FindMember(name);
  return m != v.MemberEnd() && m->value.IsString() ? m->value.GetString() : std::string{};
}

}  // namespace

TEST_CASE("admin store: creates its tables at version 1, keeps them, refuses a newer schema",
          "[admin][store]") {
  temp_db db;
  {
    auto store = open_store(db);
    std::string error;
    REQUIRE(store->insert_tenant({"t", "{}", 1, 1}, error));
  }
  {
    auto store = open_store(db);  // reopening migrates nothing and keeps the rows
    std::vector<stored_tenant> tenants;
    std::string error;
    REQUIRE(store->tenants(tenants, error));
    REQUIRE(tenants.size() == 1);
    CHECK(tenants[0].name == "t");
  }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.path().c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "PRAGMA user_version = 7", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  std::string error;
  CHECK(admin_store::open(db.path(), error) == nullptr);
  CHECK(error.find("schema version 7 is newer") != std::string::npos);
}

TEST_CASE("admin store: a transaction that is not committed leaves nothing", "[admin][store]") {
  temp_db db;
  auto store = open_store(db);
  std::string error;
  {
    admin_store::transaction tx{*store};
    REQUIRE(tx.started(error));
    REQUIRE(store->insert_tenant({"gone", "{}", 1, 1}, error));
  }
  std::vector<stored_tenant> tenants;
  REQUIRE(store->tenants(tenants, error));
  CHECK(tenants.empty());
}

TEST_CASE("admin api: tenants are created, read, patched and deleted; file tenants are read-only",
          "[admin][api]") {
  fixture f;
  auto created = f.call("POST", "/admin/tenants",
                        R"({"name":"acme","rpm":60,"budget":{"usd":10,"period":"weekly"}})");
  REQUIRE(created.status == 201);
  CHECK(str(f.json(created), "source") == "admin");
  CHECK(f.call("POST", "/admin/tenants", R"({"name":"acme"})").status == 409);
  CHECK(f.call("POST", "/admin/tenants", R"({"name":"filed"})").status == 409);
  CHECK(f.live->current()->config->find_tenant("acme") != nullptr);

  auto patched = f.call("PATCH", "/admin/tenants/acme", R"({"tpm":1000,"budget":null})");
  REQUIRE(patched.status == 200);
  auto doc = f.json(patched);
  CHECK(doc["rpm"].GetUint() == 60);  // untouched fields keep their value
  CHECK(doc["tpm"].GetUint() == 1000);
  CHECK(doc["budget"].IsNull());
  CHECK(f.live->current()->config->find_tenant("acme")->limits.tpm == 1000);

  CHECK(f.call("PATCH", "/admin/tenants/filed", R"({"rpm":1})").status == 409);
  CHECK(f.call("DELETE", "/admin/tenants/filed").status == 409);
  auto list = f.json(f.call("GET", "/admin/tenants"));
  REQUIRE(list["data"].Size() == 2);
  CHECK(str(list["data"][0], "source") == "config");

  REQUIRE(f.call("DELETE", "/admin/tenants/acme").status == 200);
  CHECK(f.call("GET", "/admin/tenants/acme").status == 404);
  CHECK(f.live->current()->config->find_tenant("acme") == nullptr);
  CHECK(f.audit_entries() == 3);
}

TEST_CASE("admin api: a rejected change stores nothing and audits nothing", "[admin][api]") {
  fixture f;
  REQUIRE(f.call("POST", "/admin/tenants", R"({"name":"base","rpm":5})").status == 201);
  const auto before = f.call("GET", "/admin/tenants/base").body;
  for (const char* body :
       {R"({"rpm":9,"tpm":-1})", R"({"rpm":9,"labels":{"a":1}})",
        R"({"rpm":9,"policy":{"require_zdr":"yes"}})", R"({"rpm":9,)",
        R"({"rpm":9,"budget":{"usd":0}})", R"({"rpm":9,"budget":{"period":"daily"}})"}) {
    INFO(body);
    CHECK(f.call("PATCH", "/admin/tenants/base", body).status == 400);
  }
  CHECK(f.call("GET", "/admin/tenants/base").body == before);
  CHECK(f.audit_entries() == 1);
}

TEST_CASE("admin api: keys are shown once, stored as digests, and authenticate at once",
          "[admin][api]") {
  fixture f;
  auto made = f.call("POST", "/admin/tenants/filed/keys", R"({"name":"ci"})");
  REQUIRE(made.status == 201);
  auto doc = f.json(made);
  const auto key = str(doc, "key");
  const auto id = str(doc, "id");
  CHECK(key.size() == generated_key_tag.size() + 40);
  CHECK(str(doc, "prefix") == generated_key_prefix(key));
  CHECK(f.authenticates(key));
  CHECK(f.authenticates(file_key));  // the file's own key still works

  std::string error;
  auto store = open_store(f.db);  // a second connection, as the CLI would use
  std::vector<stored_key> keys;
  REQUIRE(store->keys("filed", keys, error));
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].hash == config::sha256_hex(key));
  CHECK(f.call("GET", "/admin/keys").body.find(keys[0].hash) == std::string::npos);

  REQUIRE(f.call("POST", "/admin/keys/" + id + "/revoke").status == 200);
  CHECK_FALSE(f.authenticates(key));
  CHECK(f.call("POST", "/admin/keys/" + id + "/rotate").status == 409);
}

TEST_CASE("admin api: rotation with a grace period sets the old key's expiry", "[admin][api]") {
  fixture f;
  auto id = str(f.json(f.call("POST", "/admin/tenants/filed/keys")), "id");
  auto rotated = f.call("POST", "/admin/keys/" + id + "/rotate", R"({"grace_seconds":60})");
  REQUIRE(rotated.status == 201);
  auto doc = f.json(rotated);
  CHECK(str(doc["replaced"], "expires_at") == format_time_ms(f.now_ms + 60'000));
  CHECK(str(doc["replaced"], "status") == "active");
  f.now_ms += 61'000;
  auto old = f.json(f.call("GET", "/admin/keys/" + id));
  CHECK(str(old, "status") == "expired");
  CHECK(f.call("POST", "/admin/keys/" + id + "/rotate").status == 409);
  CHECK(f.call("POST", "/admin/keys/" + id + "/rotate", R"({"grace_seconds":2592001})").status ==
        400);
}

TEST_CASE("admin api: /admin/usage groups the usage table over a window", "[admin][api]") {
  fixture f;
  std::string error;
  auto usage = sqlite_usage_store::open(f.db.path());
  REQUIRE(usage.ok());
  auto record = [](std::string tenant, std::string model, std::int64_t at_ms, double cost) {
    actors::request_record r;
    r.request_id = "req";
    r.tenant = std::move(tenant);
    r.model = std::move(model);
    r.key_id = "k1";
    r.key_prefix = "sk-1…";
    r.usage.prompt_tokens = 10;
    r.usage.completion_tokens = 2;
    r.cost_usd = cost;
    r.finished_at = std::chrono::system_clock::time_point{std::chrono::milliseconds{at_ms}};
    return r;
  };
  const auto day = *parse_time_ms("2026-09-20");
  std::vector<actors::request_record> rows{
      record("a", "m1", day + 1000, 0.5), record("a", "m2", day + 2000, 0.25),
      record("b", "m1", day + 3000, 1.0),
      record("a", "m1", day + 86'400'000, 8.0)};  // the next day
  REQUIRE(usage.value()->append(rows, error));

  auto doc = f.json(f.call("GET", "/admin/usage?from=2026-09-20&to=2026-09-20&group_by=tenant"));
  REQUIRE(doc["data"].Size() == 2);
  CHECK(str(doc["data"][0], "tenant") == "a");
  CHECK(doc["data"][0]["requests"].GetUint64() == 2);
  CHECK(doc["data"][0]["cost_usd"].GetDouble() == Approx(0.75));
  CHECK(doc["total"]["requests"].GetUint64() == 3);
  CHECK(doc["total"]["prompt_tokens"].GetUint64() == 30);

  auto by_day = f.call("GET",
                       "/admin/usage?from=2026-09-20T00:00:00Z&to=2026-09-22&group_by=day&"
                       "format=csv");
  CHECK(by_day.content_type.rfind("text/csv", 0) == 0);
  CHECK(by_day.body ==
        "day,requests,prompt_tokens,completion_tokens,cached_tokens,cost_usd\r\n"
        "\"2026-09-20\",3,30,6,0,1.75\r\n\"2026-09-21\",1,10,2,0,8\r\n");
  auto by_key = f.json(f.call("GET", "/admin/usage?from=2026-09-01&group_by=key"));
  CHECK(str(by_key["data"][0], "key_prefix") == "sk-1…");
  CHECK(by_key["data"][0]["stored_key_id"].IsNull());  // not a key made by the admin API
  CHECK(f.call("GET", "/admin/usage?from=2026-09-01&from=2026-09-02").status == 400);
  CHECK(f.call("GET", "/admin/usage?format=xml").status == 400);
  CHECK(f.call("GET", "/admin/usage?colour=red").status == 400);
}

TEST_CASE("admin api: unknown routes, wrong methods and oversized bodies", "[admin][api]") {
  fixture f;
  CHECK(f.call("GET", "/admin/nope").status == 404);
  auto r = f.call("PUT", "/admin/tenants/x");
  CHECK(r.status == 405);
  CHECK(r.allow == "GET, PATCH, DELETE");
  CHECK(f.call("POST", "/admin/tenants", std::string(max_admin_body_bytes + 1, ' ')).status == 413);
  CHECK(f.call("GET", "/admin/audit?limit=0").status == 400);
  CHECK(f.call("GET", "/admin/audit?limit=1001").status == 400);
}

TEST_CASE("merge_store: stored tenants join the file's; shadowed, revoked and orphan keys do not",
          "[admin][live]") {
  auto file = file_config();
  store_contents store;
  store.tenants.push_back({"filed", R"({"rpm":1})", 0, 0});  // shadowed by the file
  store.tenants.push_back({"new", R"({"rpm":3})", 0, 0});
  store.keys.push_back({"key_1", "new", "", "p", config::sha256_hex("k-new"), 0, {}, {}});
  store.keys.push_back({"key_2", "new", "", "p", config::sha256_hex("k-revoked"), 0, {}, 5});
  store.keys.push_back({"key_3", "ghost", "", "p", config::sha256_hex("k-orphan"), 0, {}, {}});
  store.keys.push_back({"key_4", "filed", "", "p", config::sha256_hex("k-filed"), 0, {}, {}});
  std::vector<std::string> warnings;
  auto merged = merge_store(*file, store, warnings);
  REQUIRE(merged->tenants.size() == 2);
  CHECK(merged->find_tenant("filed")->limits.rpm == 0);
  CHECK(merged->find_tenant("new")->limits.rpm == 3);
  key_table keys{merged};
  CHECK(keys.authenticate("k-new").ok());
  CHECK(keys.authenticate("k-filed").ok());
  CHECK(keys.authenticate(file_key).ok());
  CHECK_FALSE(keys.authenticate("k-revoked").ok());
  CHECK_FALSE(keys.authenticate("k-orphan").ok());
  CHECK(warnings.size() == 2);
}

TEST_CASE("check_admin_access: admin key, tenant key, unknown, none, admin off", "[admin][auth]") {
  auto cfg = file_config();
  key_table keys{cfg};
  const auto& hash = cfg->server.admin_key_hash;
  CHECK(check_admin_access(hash, "adm-unit-secret", keys) == admin_access::granted);
  CHECK(check_admin_access(hash, file_key, keys) == admin_access::forbidden);
  CHECK(check_admin_access(hash, "adm-unit-secreT", keys) == admin_access::unknown);
  CHECK(check_admin_access(hash, "", keys) == admin_access::missing);
  CHECK(check_admin_access("", "adm-unit-secret", keys) == admin_access::disabled);
  CHECK(admin_actor(hash) == "admin:" + hash.substr(0, 8));
}

TEST_CASE("generated keys: format, prefix, no repeats", "[admin][keys]") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = generate_api_key();
    REQUIRE(key);
    CHECK(key->rfind("sk-sy-", 0) == 0);
    CHECK(key->size() == 46);
    CHECK(key->find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                                 6) == std::string::npos);
    CHECK(seen.insert(*key).second);
  }
  auto id = generate_key_id();
  REQUIRE(id);
  CHECK(id->size() == 20);
  CHECK(generated_key_prefix("sk-sy-ABCDEFGHIJ") == "sk-sy-ABCDEF\xE2\x80\xA6");
}

TEST_CASE("parse_time_ms: RFC 3339 UTC and dates, bounds included", "[admin][time]") {
  CHECK(parse_time_ms("1970-01-02") == 86'400'000);
  CHECK(parse_time_ms("1970-01-02", true) == 2 * 86'400'000);
  CHECK(parse_time_ms("1970-01-01T00:00:01Z") == 1000);
  CHECK(parse_time_ms("1970-01-01T00:00:01.5Z").has_value());  // fractions accepted
  CHECK_FALSE(parse_time_ms("2026-02-30"));
  CHECK_FALSE(parse_time_ms("2026-1-1"));
  CHECK_FALSE(parse_time_ms("yesterday"));
  CHECK_FALSE(parse_time_ms(""));
  CHECK(format_time_ms(1000) == "1970-01-01T00:00:01Z");
}

TEST_CASE("tenant settings: round trip through the stored JSON", "[admin][spec]") {
  config::tenant_config t;
  t.name = "x";
  rapidjson::Document body;
  body.Parse(R"({"allowed_models":["chat"],"budget":{"usd":12.5,"period":"total",)"
             R"("soft_threshold":0.5},"rpm":3,"tpm":4,"labels":{"team":"ml"},)"
             R"("policy":{"deny_training":true,"regions":["eu"]}})");
  REQUIRE_FALSE(apply_tenant_settings(body, t));
  auto back = tenant_from_stored("x", tenant_settings_json(t));
  REQUIRE(back);
  CHECK(tenant_settings_json(*back) == tenant_settings_json(t));
  CHECK(back->limits.budget->usd == 12.5);
  CHECK(back->limits.budget->period == config::budget_period::total);
  CHECK(back->policy.regions == std::vector<std::string>{"eu"});
  CHECK(back->labels.at("team") == "ml");
  CHECK_FALSE(tenant_from_stored("x", "{not json"));
  CHECK(valid_tenant_name("a.b_c-1"));
  CHECK_FALSE(valid_tenant_name("-a"));
  CHECK_FALSE(valid_tenant_name(std::string(65, 'a')));
}

TEST_CASE("admin api: keys carry their own settings, bounded by the tenant's", "[admin][api]") {
  fixture f;
  REQUIRE(
      f.call("POST", "/admin/tenants", R"({"name":"narrow","allowed_models":["chat"]})").status ==
      201);
  auto outside = f.call("POST", "/admin/tenants/narrow/keys", R"({"allowed_models":["other"]})");
  CHECK(outside.status == 400);
  CHECK(str(f.json(outside)["error"], "param") == "allowed_models[0]");
  CHECK(f.call("POST", "/admin/tenants/narrow/keys", R"({"colour":"red"})").status == 400);
  CHECK(f.call("POST", "/admin/tenants/narrow/keys", R"({"rpm":-2})").status == 400);

  auto made = f.call("POST", "/admin/tenants/narrow/keys",
                     R"({"name":"svc","rpm":7,"budget":{"usd":3,"period":"daily"},)"
                     R"("allowed_models":["chat"],"labels":{"app":"x"}})");
  REQUIRE(made.status == 201);
  auto doc = f.json(made);
  CHECK(doc["rpm"].GetUint() == 7);
  CHECK(doc["budget"]["usd"].GetDouble() == 3);
  const auto key = str(doc, "key");
  auto who = f.live->current()->keys.authenticate(key);
  REQUIRE(who.ok());
  const auto& keys = who->tenant->keys;
  auto it = std::find_if(keys.begin(), keys.end(), [&](const config::key_config& k) {
    return k.hash == config::sha256_hex(key);
  });
  REQUIRE(it != keys.end());
  CHECK(it->limits.rpm == 7);
  CHECK(it->limits.budget->period == config::budget_period::daily);
  CHECK(it->allowed_models == std::vector<std::string>{"chat"});
  CHECK(it->labels.at("app") == "x");

  // The replacement of a rotated key keeps its settings.
  auto rotated = f.json(f.call("POST", "/admin/keys/" + str(doc, "id") + "/rotate"));
  CHECK(rotated["rpm"].GetUint() == 7);
  CHECK(str(rotated, "name") == "svc");
}

TEST_CASE("admin api: a publish reconfigures the budget book, seeding new budgets from usage",
          "[admin][api][budget]") {
  fixture f;
  auto wall = std::make_shared<actors::manual_wall_clock>(
      std::chrono::system_clock::time_point{std::chrono::milliseconds{f.now_ms}});
  actors::budget_book book{*f.live->current()->config, wall,
                           std::make_shared<actors::manual_clock>()};
  f.api.on_publish(follow_budgets(book));

  // No usage table yet: the budget starts from zero.
  REQUIRE(f.call("POST", "/admin/tenants", R"({"name":"early","budget":{"usd":1}})").status == 201);
  REQUIRE(book.tenant_account("early"));
  CHECK(book.tenant_account("early")->budget(wall->now())->spent == 0);

  std::string error;
  auto usage = sqlite_usage_store::open(f.db.path());
  REQUIRE(usage.ok());
  auto record = [](std::string tenant, std::string at, double cost) {
    actors::request_record r;
    r.request_id = "req";
    r.tenant = std::move(tenant);
    r.model = "chat";
    r.key_id = "k1";
    r.cost_usd = cost;
    r.finished_at =
        std::chrono::system_clock::time_point{std::chrono::milliseconds{*parse_time_ms(at)}};
    return r;
  };
  std::vector<actors::request_record> rows{record("acme", "2026-09-20", 0.5),
                                           record("acme", "2026-09-01", 0.25),
                                           record("acme", "2026-08-31", 8.0),  // last month
                                           record("other", "2026-09-20", 4.0)};
  REQUIRE(usage.value()->append(rows, error));

  // A tenant re-created with a monthly budget resumes this month's spend of its name.
  REQUIRE(f.call("POST", "/admin/tenants",
                 R"({"name":"acme","rpm":3,"budget":{"usd":10,"period":"monthly"}})")
              .status == 201);
  auto acme = book.tenant_account("acme");
  REQUIRE(acme);
  CHECK(acme->budget(wall->now())->spent == Approx(0.75));
  CHECK(acme->requests(std::chrono::steady_clock::time_point{})->limit == 3);

  // A patch keeps the account and its spend; a new period is seeded again (today only).
  REQUIRE(f.call("PATCH", "/admin/tenants/acme", R"({"budget":{"usd":20,"period":"monthly"}})")
              .status == 200);
  CHECK(book.tenant_account("acme") == acme);
  CHECK(acme->budget(wall->now())->config.usd == 20);
  CHECK(acme->budget(wall->now())->spent == Approx(0.75));
  REQUIRE(
      f.call("PATCH", "/admin/tenants/acme", R"({"budget":{"usd":20,"period":"daily"}})").status ==
      200);
  CHECK(acme->budget(wall->now())->spent == 0);  // nothing on 2026-09-21 yet

  // Deleted: no longer in the book.
  REQUIRE(f.call("DELETE", "/admin/tenants/acme").status == 200);
  CHECK_FALSE(book.tenant_account("acme"));
}
