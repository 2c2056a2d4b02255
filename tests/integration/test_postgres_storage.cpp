// `storage: postgres://…` through the real binary, against a private PostgreSQL: records of real
// requests, reports, restart survival, no key in clear anywhere in the database, schema
// migrations when nodes start together, admin changes reaching another node within a second
// (API and CLI), PostgreSQL restarted under a running gateway, and a refused start.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <future>
#include <sstream>

#include "checks.hpp"
#include "harness.hpp"
#include "postgres_server.hpp"

using namespace switchyard::itest;

namespace {

constexpr std::string_view admin_key = "adm-pg-itest-secret-0123456789";

// A gateway config on `pg` with an admin key and prices (reports then have costs to add up).
std::string pg_config(const temp_dir& dir, const std::string& storage_url) {
  config_builder b;
  b.mock_provider("demo").model("chat", {{"demo", "demo-1"}});
  b.server("admin_key", std::string{admin_key});
  b.itest_setting("budget", "{ usd: 100, period: monthly }");
  auto yaml = b.render(dir);
  const std::string target = "        model: demo-1\n";
  yaml.replace(yaml.find(target), target.size(),
               target + "        input_usd_per_mtok: 1.5\n        output_usd_per_mtok: 6\n");
  const auto at = yaml.find("storage: sqlite://");
  REQUIRE(at != std::string::npos);
  yaml.replace(at, yaml.find('\n', at) - at, "storage: " + storage_url);
  return yaml;
}

http_response admin(std::uint16_t port, std::string_view method, std::string_view target,
                    std::string_view body = {}, header_list extra = {}) {
  header_list headers = json_headers(admin_key);
  for (auto& h : extra) headers.push_back(std::move(h));
  return http_request(port, method, target, body, headers);
}

unsigned chat_status(std::uint16_t port, std::string_view key) {
  return post_json(port, "/v1/chat/completions", chat_body("chat"), key).status;
}

// Creates a key for `tenant`; returns {id, key}.
std::pair<std::string, std::string> create_key(std::uint16_t port, const std::string& tenant) {
  auto r = admin(port, "POST", "/admin/tenants/" + tenant + "/keys", R"({"name":"pg"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto doc = r.json();
  return {json_string(doc, "id"), json_string(doc, "key")};
}

std::size_t usage_rows(const postgres_server& pg) {
  return std::stoul(pg.query("SELECT count(*) FROM usage")[0][0]);
}

// Every value of every text column of every table: where a key in clear would hide.
std::string all_text(const postgres_server& pg) {
  std::string out;
  for (const auto& col :
       pg.query("SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')")) {
    for (const auto& row : pg.query("SELECT \"" + col[1] + "\" FROM \"" + col[0] + "\"")) {
      out += row[0];
      out += '\n';
    }
  }
  return out;
}

std::string metric_line(std::uint16_t port, const std::string& name) {
  const auto body = get(port, "/metrics").body;
  const auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return {};
  return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
}

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

cli_result run_cli(const temp_dir& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{SWITCHYARD_BINARY, "admin", "--config",
                                (dir.path() / "switchyard.yaml").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  process p("switchyard admin", argv, dir.path() / "cli.stderr");
  auto code = p.wait_exit(20s);
  REQUIRE(code);
  REQUIRE(p.wait_stdout_closed(5s));
  return {*code, p.stdout_text(), p.stderr_text()};
}

// How long `cond` took to hold, polled every 20 ms; nullopt when not within `limit`.
template <class F>
std::optional<ms> time_until(F&& cond, ms limit) {
  const auto start = steady::now();
  if (!eventually(cond, limit, 20ms)) return std::nullopt;
  return std::chrono::duration_cast<ms>(steady::now() - start);
}

// "Within a second" on an idle machine; the tests allow this much on a loaded two-core one.
constexpr ms propagation_limit = 3s;

}  // namespace

TEST_CASE(
    "postgres storage: records of real requests, generation, usage reports, restart, no "
    "key in clear",
    "[postgres]") {
  postgres_server pg;
  temp_dir dir;
  const auto yaml = pg_config(dir, pg.url());
  std::string first_id, created_key;
  {
    gateway gw(dir, yaml);
    auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
    require_chat_completion(r);
    first_id = r.header("x-request-id");
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(s.status() == 200);
    s.rest();
    CHECK(post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), "sk-wrong").status ==
          401);
    REQUIRE(eventually([&] { return usage_rows(pg) == 2; }, 10s));
    CHECK(pg.query("SELECT count(DISTINCT record_id) FROM usage")[0][0] == "2");
    CHECK(pg.query("SELECT string_agg(stream::text, ',' ORDER BY stream) FROM usage")[0][0] ==
          "false,true");

    // From the database (the writer flushed): the record of the key that made it only.
    auto g = get(gw.port(), "/v1/generation?id=" + first_id, test_key);
    INFO(g.body);
    REQUIRE(g.status == 200);
    CHECK(json_string(g.json(), "data/id") == first_id);
    CHECK(json_string(g.json(), "data/model") == "chat");

    auto totals = admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&group_by=tenant");
    INFO(totals.body);
    REQUIRE(totals.status == 200);
    auto doc = totals.json();
    CHECK(json_string(doc, "data/0/tenant") == "itest");
    CHECK(json_at(doc, "data/0/requests")->GetUint64() == 2);
    const double cost = std::stod(pg.query("SELECT sum(cost_usd) FROM usage")[0][0]);
    CHECK(cost > 0);
    CHECK(json_at(doc, "data/0/cost_usd")->GetDouble() == Approx(cost));
    auto csv = admin(gw.port(), "GET", "/admin/usage?from=2020-01-01&group_by=day", {},
                     {{"Accept", "text/csv"}});
    REQUIRE(csv.status == 200);
    CHECK(csv.header("content-type").rfind("text/csv", 0) == 0);
    CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 2);  // header + one day

    REQUIRE(admin(gw.port(), "POST", "/admin/tenants",
                  R"({"name":"keep","budget":{"usd":25,"period":"monthly"}})")
                .status == 201);
    created_key = create_key(gw.port(), "keep").second;
    CHECK(chat_status(gw.port(), created_key) == 200);
    auto audit = admin(gw.port(), "GET", "/admin/audit").json();
    CHECK(json_string(audit, "data/0/action") == "key.create");
    gw.proc().signal(SIGTERM);
    REQUIRE(gw.proc().wait_exit(20s) == std::optional<int>{0});
  }
  CHECK(usage_rows(pg) == 3);
  const auto text = all_text(pg);
  CHECK(text.find(created_key) == std::string::npos);
  CHECK(text.find(std::string{test_key}) == std::string::npos);
  CHECK(text.find(std::string{admin_key}) == std::string::npos);
  CHECK(text.find(created_key.substr(0, 10)) != std::string::npos);  // the visible prefix is kept

  // A new process on the same database: keys, records and reports are all there, and budgets
  // resume their period's spend (file tenant: seeded through the usage store; stored tenant:
  // through the admin store).
  const auto spent_by = [&](const std::string& tenant) {
    return std::stod(pg.query("SELECT COALESCE(sum(cost_usd), 0) FROM usage WHERE tenant = '" +
                              tenant + "'")[0][0]);
  };
  gateway again(dir, yaml);
  auto itest_key = get(again.port(), "/v1/key", test_key).json();
  CHECK(json_at(itest_key, "data/tenant/budget/spend")->GetDouble() == Approx(spent_by("itest")));
  auto keep_key = get(again.port(), "/v1/key", created_key).json();
  CHECK(spent_by("keep") > 0);
  CHECK(json_at(keep_key, "data/tenant/budget/spend")->GetDouble() == Approx(spent_by("keep")));
  CHECK(chat_status(again.port(), created_key) == 200);
  CHECK(get(again.port(), "/v1/generation?id=" + first_id, test_key).status == 200);
  CHECK(eventually(
      [&] {
        return metric_line(again.port(), "switchyard_storage_up") == "switchyard_storage_up 1";
      },
      5s));
}

TEST_CASE("postgres storage: three gateways starting at once on a fresh database migrate it once",
          "[postgres]") {
  postgres_server pg;
  temp_dir a, b, c;
  std::vector<std::future<std::unique_ptr<gateway>>> starting;
  for (auto* dir : {&a, &b, &c})
    starting.push_back(std::async(std::launch::async, [dir, &pg] {
      return std::make_unique<gateway>(*dir, pg_config(*dir, pg.url()));
    }));
  std::vector<std::unique_ptr<gateway>> nodes;
  for (auto& f : starting) nodes.push_back(f.get());
  for (auto& n : nodes) CHECK(chat_status(n->port(), test_key) == 200);
  auto versions = pg.query("SELECT count(*), count(DISTINCT version) FROM schema_migrations");
  CHECK(versions[0][0] == versions[0][1]);
  CHECK(versions[0][0] != "0");
}

TEST_CASE("postgres storage: an admin change on one node applies on another within a second",
          "[postgres][cluster]") {
  postgres_server pg;
  temp_dir dir_a, dir_b;
  gateway a(dir_a, pg_config(dir_a, pg.url()));
  gateway b(dir_b, pg_config(dir_b, pg.url()));

  REQUIRE(admin(a.port(), "POST", "/admin/tenants", R"({"name":"shared"})").status == 201);
  auto [id, key] = create_key(a.port(), "shared");
  auto works = time_until([&] { return chat_status(b.port(), key) == 200; }, propagation_limit);
  REQUIRE(works);
  WARN("key created on A answered on B after " << works->count() << " ms");

  REQUIRE(admin(a.port(), "POST", "/admin/keys/" + id + "/revoke").status == 200);
  auto refused = time_until([&] { return chat_status(b.port(), key) == 401; }, propagation_limit);
  REQUIRE(refused);
  WARN("key revoked on A refused on B after " << refused->count() << " ms");
  CHECK(chat_status(a.port(), key) == 401);

  // `switchyard admin` over the same database is announced too: no SIGHUP needed.
  auto created = run_cli(dir_a, {"keys", "create", "shared", "--name", "cli"});
  INFO(created.err);
  REQUIRE(created.code == 0);
  rapidjson::Document doc;
  doc.Parse(created.out.data(), created.out.size());
  REQUIRE_FALSE(doc.HasParseError());
  const std::string cli_key = json_string(doc, "key");
  REQUIRE_FALSE(cli_key.empty());
  CHECK(time_until([&] { return chat_status(b.port(), cli_key) == 200; }, propagation_limit));
  CHECK(time_until([&] { return chat_status(a.port(), cli_key) == 200; }, propagation_limit));
}

TEST_CASE("postgres storage: PostgreSQL stopped and started under a running gateway",
          "[postgres][restart]") {
  postgres_server pg;
  temp_dir dir_a, dir_b;
  gateway a(dir_a, pg_config(dir_a, pg.url()));
  gateway b(dir_b, pg_config(dir_b, pg.url()));
  REQUIRE(chat_status(a.port(), test_key) == 200);
  REQUIRE(eventually([&] { return usage_rows(pg) == 1; }, 10s));

  pg.stop();
  // Served meanwhile: the records wait in the usage writer until the store is back.
  for (int i = 0; i < 3; ++i) CHECK(chat_status(a.port(), test_key) == 200);
  CHECK(eventually(
      [&] { return metric_line(a.port(), "switchyard_storage_up") == "switchyard_storage_up 0"; },
      10s));
  // An admin change cannot be stored: a 503, nothing half-done.
  CHECK(admin(a.port(), "POST", "/admin/tenants", R"({"name":"later"})").status == 503);

  pg.start();
  REQUIRE(eventually([&] { return usage_rows(pg) == 4; }, 20s));
  CHECK(eventually(
      [&] { return metric_line(a.port(), "switchyard_storage_up") == "switchyard_storage_up 1"; },
      20s));
  // Both nodes listen again: a change on A reaches B.
  REQUIRE(admin(a.port(), "POST", "/admin/tenants", R"({"name":"later"})").status == 201);
  auto key = create_key(a.port(), "later").second;
  CHECK(time_until([&] { return chat_status(b.port(), key) == 200; }, propagation_limit));
}

TEST_CASE("postgres storage: unreachable at start, the gateway refuses to start and says why",
          "[postgres]") {
  temp_dir dir;
  // Nothing listens on port 1; the password must not appear in the message.
  auto yaml = pg_config(dir, "postgres://sy:hunter2secret@127.0.0.1:1/switchyard");
  auto cfg = dir.write("switchyard.yaml", yaml);
  process p("switchyard", {SWITCHYARD_BINARY, "--config", cfg.string()},
            dir.path() / "switchyard.stderr");
  auto code = p.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 1);
  const auto err = p.stderr_text();
  INFO(err);
  CHECK(err.find("usage store: PostgreSQL postgres://sy:***@127.0.0.1:1/switchyard: connection") !=
        std::string::npos);
  CHECK(err.find("hunter2") == std::string::npos);
}
