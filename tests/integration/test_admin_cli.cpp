// `switchyard admin …` through the real binary: offline changes to the store the config names,
// precise exit codes and messages, and a running gateway picking CLI changes up at SIGHUP.
#include <catch2/catch.hpp>

#include <csignal>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

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

std::string cli_config(const temp_dir& dir) {
  return config_builder().mock_provider("demo").model("chat", {{"demo", "demo-1"}}).render(dir);
}

}  // namespace

TEST_CASE("admin cli: offline tenants and keys, exit codes, and a gateway that picks them up") {
  temp_dir dir;
  dir.write("switchyard.yaml", cli_config(dir));

  auto created = run_cli(dir, {"tenants", "create", "acme", "--rpm", "50", "--budget", "20",
                               "--period", "weekly", "--models", "chat"});
  INFO(created.err);
  REQUIRE(created.code == 0);
  CHECK(created.out.find(R"("name":"acme")") != std::string::npos);
  CHECK(created.out.find(R"("period":"weekly")") != std::string::npos);

  auto again = run_cli(dir, {"tenants", "create", "acme"});
  CHECK(again.code == 1);
  CHECK(again.err.find("already exists") != std::string::npos);
  auto bad_budget = run_cli(dir, {"tenants", "create", "other", "--budget", "-1"});
  CHECK(bad_budget.code == 1);
  CHECK(bad_budget.err.find("budget.usd") != std::string::npos);
  CHECK(run_cli(dir, {"tenants", "frob"}).code == 2);
  CHECK(run_cli(dir, {"keys", "create"}).code == 2);
  CHECK(run_cli(dir, {"keys", "list", "--colour", "red"}).code == 2);
  CHECK(run_cli(dir, {"keys", "create", "ghost"}).code == 1);

  auto narrow = run_cli(dir, {"keys", "create", "acme", "--json", R"({"allowed_models":["x"]})"});
  CHECK(narrow.code == 1);
  CHECK(narrow.err.find("allowed_models[0]") != std::string::npos);
  CHECK(run_cli(dir, {"keys", "create", "acme", "--json", "[1]"}).code == 2);
  auto key_out = run_cli(dir, {"keys", "create", "acme", "--name", "ci", "--json", R"({"rpm":9})"});
  REQUIRE(key_out.code == 0);
  rapidjson::Document doc;
  doc.Parse(key_out.out.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  const auto key = json_string(doc, "key");
  const auto id = json_string(doc, "id");
  REQUIRE(key.rfind("sk-sy-", 0) == 0);
  CHECK(json_at(doc, "rpm")->GetUint() == 9);
  auto listed = run_cli(dir, {"keys", "list", "--tenant", "acme"});
  REQUIRE(listed.code == 0);
  CHECK(listed.out.find(id) != std::string::npos);
  CHECK(listed.out.find(key) == std::string::npos);

  // The gateway starts with what the CLI stored.
  gateway gw(dir, cli_config(dir));
  CHECK(post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), key).status == 200);

  // Revoked offline while it runs: applied at SIGHUP.
  REQUIRE(run_cli(dir, {"keys", "revoke", id}).code == 0);
  CHECK(run_cli(dir, {"keys", "revoke", id}).code == 1);
  gw.proc().signal(SIGHUP);
  CHECK(eventually([&] {
    return post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), key).status == 401;
  }));

  auto usage = run_cli(dir, {"usage", "--from", "2020-01-01", "--group-by", "tenant", "--csv"});
  REQUIRE(usage.code == 0);
  CHECK(usage.out.rfind("tenant,requests,", 0) == 0);
  CHECK(run_cli(dir, {"usage", "--from", "last-week"}).code == 1);
  auto audit = run_cli(dir, {"audit", "--limit", "10"});
  REQUIRE(audit.code == 0);
  CHECK(audit.out.find(R"("actor":"cli")") != std::string::npos);
  CHECK(audit.out.find(key) == std::string::npos);
}
