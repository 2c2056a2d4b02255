// Hot-reload checks: provider changes refuse a reload, server fields that cannot change live are
// named in warnings, everything else passes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.hpp"
#include "runtime/config_reload.hpp"

using namespace switchyard;
using runtime::check_reload;
using runtime::providers_section;

namespace {

std::string yaml(const std::string& listen, const std::string& provider_extra,
                 const std::string& target) {
  return "server:\n  listen: " + listen + "\nproviders:\n  - name: demo\n    type: mock\n" +
         provider_extra +
         "models:\n  - name: chat\n    targets: [ { provider: demo, model: " + target +
         " } ]\ntenants:\n  - name: t\n    keys: [ sk-t-0123456789 ]\n";
}

struct loaded_file {
  config::snapshot_ptr snapshot;
  std::string providers;
};

loaded_file load(const std::string& text) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sy-reload-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const auto path = std::filesystem::path{tmpl} / "switchyard.yaml";
  std::ofstream{path} << text;
  auto r = config::load_file(path.string(), [](std::string_view) { return std::nullopt; });
  REQUIRE(r.ok());
  loaded_file out{r.value(), providers_section(path.string())};
  std::filesystem::remove_all(tmpl);
  return out;
}

}  // namespace

TEST_CASE("check_reload: models may change; providers may not; server fields warn", "[reload]") {
  auto running = load(yaml("127.0.0.1:8080", "", "a"));
  REQUIRE_FALSE(running.providers.empty());

  auto models = load(yaml("127.0.0.1:8080", "", "b"));
  auto ok = check_reload(*running.snapshot, running.providers, *models.snapshot, models.providers);
  CHECK(ok.refusal.empty());
  CHECK(ok.warnings.empty());

  auto provider = load(yaml("127.0.0.1:8080", "    max_in_flight: 3\n", "a"));
  auto refused =
      check_reload(*running.snapshot, running.providers, *provider.snapshot, provider.providers);
  CHECK(refused.refusal.find("providers") != std::string::npos);

  auto listen = load(yaml("127.0.0.1:9090", "", "b"));
  auto warned =
      check_reload(*running.snapshot, running.providers, *listen.snapshot, listen.providers);
  CHECK(warned.refusal.empty());
  REQUIRE(warned.warnings.size() == 1);
  CHECK(warned.warnings[0].rfind("server.listen", 0) == 0);

  CHECK(providers_section("/nonexistent/switchyard.yaml").empty());
  auto unreadable = check_reload(*running.snapshot, running.providers, *models.snapshot, "");
  CHECK_FALSE(unreadable.refusal.empty());
}

TEST_CASE("check_reload: the usage journal's settings wait for a restart", "[reload]") {
  auto running = load(yaml("127.0.0.1:8080\n  spool_dir: /srv/a", "", "a"));
  auto moved = load(yaml("127.0.0.1:8080\n  spool_dir: /srv/b\n  spool_fsync: true", "", "a"));
  auto warned = check_reload(*running.snapshot, running.providers, *moved.snapshot, moved.providers);
  CHECK(warned.refusal.empty());
  REQUIRE(warned.warnings.size() == 2);
  CHECK(warned.warnings[0].rfind("server.spool_dir changed", 0) == 0);
  CHECK(warned.warnings[1].rfind("server.spool_fsync changed", 0) == 0);
}
