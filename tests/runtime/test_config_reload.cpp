// Hot-reload checks: server fields that cannot change live are named in warnings; provider
// changes are described for the log (they apply live); everything else passes silently.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"
#include "runtime/config_reload.hpp"

using namespace switchyard;
using runtime::check_reload;

namespace {

std::string yaml(const std::string& listen, const std::string& provider_extra,
                 const std::string& target) {
  return "server:\n  listen: " + listen + "\nproviders:\n  - name: demo\n    type: mock\n" +
         provider_extra +
         "models:\n  - name: chat\n    targets: [ { provider: demo, model: " + target +
         " } ]\ntenants:\n  - name: t\n    keys: [ sk-t-0123456789 ]\n";
}

config::snapshot_ptr load(const std::string& text) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sy-reload-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const auto path = std::filesystem::path{tmpl} / "switchyard.yaml";
  std::ofstream{path} << text;
  auto r = config::load_file(path.string(), [](std::string_view) { return std::nullopt; });
  std::filesystem::remove_all(tmpl);
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("check_reload: models change silently, providers are described, server fields warn",
          "[reload]") {
  auto running = load(yaml("127.0.0.1:8080", "", "a"));

  auto models = load(yaml("127.0.0.1:8080", "", "b"));
  auto quiet = check_reload(*running, *running, *models);
  CHECK(quiet.warnings.empty());
  CHECK(quiet.changes.empty());

  auto provider = load(yaml("127.0.0.1:8080", "    max_in_flight: 3\n", "a"));
  auto changed = check_reload(*running, *running, *provider);
  CHECK(changed.warnings.empty());
  REQUIRE(changed.changes.size() == 1);
  CHECK(changed.changes[0] == "provider `demo` changed in place for new requests");

  auto listen = load(yaml("127.0.0.1:9090", "", "b"));
  auto warned = check_reload(*running, *running, *listen);
  REQUIRE(warned.warnings.size() == 1);
  CHECK(warned.warnings[0].rfind("server.listen", 0) == 0);
  CHECK(warned.changes.empty());

  // Server fields compare with the config as started, providers with the one routed now.
  auto after = check_reload(*running, *provider, *listen);
  REQUIRE(after.warnings.size() == 1);
  REQUIRE(after.changes.size() == 1);
  CHECK(after.changes[0] == "provider `demo` changed in place for new requests");
}

TEST_CASE("check_reload: the usage journal's settings wait for a restart", "[reload]") {
  auto running = load(yaml("127.0.0.1:8080\n  spool_dir: /srv/a", "", "a"));
  auto moved = load(yaml("127.0.0.1:8080\n  spool_dir: /srv/b\n  spool_fsync: true", "", "a"));
  auto warned = check_reload(*running, *running, *moved);
  REQUIRE(warned.warnings.size() == 2);
  CHECK(warned.warnings[0].rfind("server.spool_dir changed", 0) == 0);
  CHECK(warned.warnings[1].rfind("server.spool_fsync changed", 0) == 0);
}
