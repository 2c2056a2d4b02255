// The product spec's example configuration and the shipped config/switchyard.yaml load exactly as
// written, with and without the OpenAI credential in the environment.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/key_hash.hpp"
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;
using std::chrono::milliseconds;

namespace {

// Verbatim from the product spec; line 1 is "server:".
constexpr std::string_view spec_yaml = R"(server:
  listen: 127.0.0.1:8080
storage: sqlite://var/switchyard.db     # issue #6 uses it; postgres:// in #8
counters: memory                         # redis:// in #8
providers:
  - name: demo
    type: mock                           # in-process simulated provider, answers offline
  - name: openai
    type: openai
    base_url: https://api.openai.com/v1
    api_key: ${OPENAI_API_KEY}
    max_in_flight: 256
  - name: local
    type: openai-compatible              # vLLM, Ollama, llama.cpp server, Together, Groq...
    base_url: http://127.0.0.1:8000/v1
models:
  - name: demo-chat
    targets:
      - { provider: demo, model: demo-1, input_usd_per_mtok: 0.10, output_usd_per_mtok: 0.40 }
  - name: gpt-4o-mini
    targets:
      - { provider: openai, model: gpt-4o-mini, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
      - { provider: local, model: qwen2.5-7b-instruct }
tenants:
  - name: dev
    keys: [ "${SWITCHYARD_DEV_KEY:-sk-dev-local}" ]   # or "sha256:<hex>"
)";

constexpr const char* sk_dev_local_sha256 = "c2ed58e590dac70908894812c7d38a9fbca1fc385edcc8fcc7d9cb7d967701b7";

std::string shipped_config_path() {
  return std::string{SWITCHYARD_SOURCE_DIR} + "/config/switchyard.yaml";
}

// Everything the spec sets, checked field by field; `openai_key` is the expected credential
// (empty: the provider must be disabled).
void check_spec_values(const snapshot& s, const std::string& openai_key) {
  CHECK(s.server.listen_host == "127.0.0.1");
  CHECK(s.server.listen_port == 8080);
  CHECK(s.storage == "sqlite://var/switchyard.db");
  CHECK(s.counters == "memory");

  REQUIRE(s.providers.size() == 3);
  const provider_config& demo = s.providers[0];
  CHECK(demo.name == "demo");
  CHECK(demo.type == provider_type::mock);
  CHECK(demo.enabled);
  CHECK(demo.base_url.empty());
  CHECK(demo.endpoint.host.empty());
  CHECK(demo.max_in_flight == 64);

  const provider_config& openai = s.providers[1];
  CHECK(openai.name == "openai");
  CHECK(openai.type == provider_type::openai);
  CHECK(openai.base_url == "https://api.openai.com/v1");
  CHECK(openai.endpoint.tls);
  CHECK(openai.endpoint.host == "api.openai.com");
  CHECK(openai.endpoint.port == 443);
  CHECK(openai.endpoint.base_path == "/v1");
  CHECK(openai.max_in_flight == 256);
  CHECK(openai.api_key == openai_key);
  CHECK(openai.enabled == !openai_key.empty());

  const provider_config& local = s.providers[2];
  CHECK(local.name == "local");
  CHECK(local.type == provider_type::openai_compatible);
  CHECK(local.enabled);
  CHECK(local.api_key.empty());
  CHECK_FALSE(local.endpoint.tls);
  CHECK(local.endpoint.host == "127.0.0.1");
  CHECK(local.endpoint.port == 8000);
  CHECK(local.endpoint.base_path == "/v1");

  const model_config* chat = s.find_model("demo-chat");
  REQUIRE(chat != nullptr);
  REQUIRE(chat->targets.size() == 1);
  CHECK(chat->targets[0].provider == "demo");
  CHECK(chat->targets[0].provider_index == 0);
  CHECK(chat->targets[0].model == "demo-1");
  CHECK(chat->targets[0].input_usd_per_mtok == Approx(0.10));
  CHECK(chat->targets[0].output_usd_per_mtok == Approx(0.40));
  CHECK(chat->max_attempts == 3);

  const model_config* mini = s.find_model("gpt-4o-mini");
  REQUIRE(mini != nullptr);
  REQUIRE(mini->targets.size() == 2);
  CHECK(mini->targets[0].provider == "openai");
  CHECK(mini->targets[0].provider_index == 1);
  CHECK(mini->targets[0].model == "gpt-4o-mini");
  CHECK(mini->targets[0].input_usd_per_mtok == Approx(0.15));
  CHECK(mini->targets[0].output_usd_per_mtok == Approx(0.60));
  CHECK(mini->targets[1].provider == "local");
  CHECK(mini->targets[1].provider_index == 2);
  CHECK(mini->targets[1].model == "qwen2.5-7b-instruct");
  CHECK(mini->targets[1].input_usd_per_mtok == 0);
  CHECK(mini->targets[1].output_usd_per_mtok == 0);

  REQUIRE(s.tenants.size() == 1);
  CHECK(s.tenants[0].name == "dev");
  REQUIRE(s.tenants[0].keys.size() == 1);
  CHECK(s.tenants[0].keys[0].hash == sk_dev_local_sha256);
  CHECK(s.tenants[0].keys[0].prefix == "sk-dev-l\xE2\x80\xA6");
  CHECK(s.tenants[0].allowed_models.empty());
}

}  // namespace

TEST_CASE("spec config loads exactly as written when OPENAI_API_KEY is set") {
  auto s = load_ok(spec_yaml, {{"OPENAI_API_KEY", "sk-test-openai"}});
  check_spec_values(*s, "sk-test-openai");
  CHECK(s->source == "switchyard.yaml");
  CHECK(s->models.size() == 2);
  CHECK(s->warnings.empty());
  CHECK(s->providers[0].line == 6);
  CHECK(s->providers[1].line == 8);
  CHECK(s->providers[2].line == 13);
  CHECK(s->providers[1].disabled_reason.empty());
}

TEST_CASE("spec config keeps every default the spec does not set") {
  auto s = load_ok(spec_yaml, {{"OPENAI_API_KEY", "sk-test-openai"}});
  const server_config defaults;
  CHECK(s->server.max_header_bytes == defaults.max_header_bytes);
  CHECK(s->server.max_body_bytes == defaults.max_body_bytes);
  CHECK(s->server.read_timeout == milliseconds{30'000});
  CHECK(s->server.idle_timeout == milliseconds{75'000});
  CHECK(s->server.drain_timeout == milliseconds{30'000});
  CHECK(s->server.max_connections == 20'000);
  CHECK(s->server.admin_key_hash.empty());
  const provider_config& openai = s->providers[1];
  CHECK(openai.max_queue == 256);  // absent: as many may wait as may run
  CHECK(openai.queue_timeout == milliseconds{2'000});
  CHECK(openai.max_idle_connections == 64);
  CHECK(openai.timeouts.connect == milliseconds{5'000});
  CHECK(openai.timeouts.first_byte == milliseconds{60'000});
  CHECK(openai.timeouts.idle == milliseconds{30'000});
  CHECK(openai.timeouts.total == milliseconds{600'000});
  CHECK(openai.headers.empty());
  CHECK(s->providers[0].mock.latency == milliseconds{0});
  CHECK(s->providers[0].mock.reply_tokens == 0);
}

TEST_CASE("spec config starts offline without OPENAI_API_KEY: openai disabled with one warning") {
  auto s = load_ok(spec_yaml);
  check_spec_values(*s, "");
  const provider_config* openai = s->find_provider("openai");
  REQUIRE(openai != nullptr);
  CHECK_FALSE(openai->enabled);
  CHECK(openai->disabled_reason == "OPENAI_API_KEY is unset");
  REQUIRE(s->warnings.size() == 1);
  CHECK(s->warnings[0] == "provider 'openai' disabled: OPENAI_API_KEY is unset");
}

TEST_CASE("an OPENAI_API_KEY set to the empty string disables the provider too") {
  auto s = load_ok(spec_yaml, {{"OPENAI_API_KEY", ""}});
  const provider_config* openai = s->find_provider("openai");
  REQUIRE(openai != nullptr);
  CHECK_FALSE(openai->enabled);
  CHECK(openai->disabled_reason == "OPENAI_API_KEY is empty");
  REQUIRE(s->warnings.size() == 1);
}

TEST_CASE("spec config takes the dev key from SWITCHYARD_DEV_KEY when set") {
  auto s = load_ok(spec_yaml, {{"SWITCHYARD_DEV_KEY", "sk-from-env"}});
  REQUIRE(s->tenants.size() == 1);
  CHECK(s->tenants[0].keys[0].hash == "eea492d981ce2f728c33210a5cb153e7f6c3721c2d2c81f272b11444b5b6025f");
  CHECK(s->tenants[0].keys[0].prefix == "sk-from-\xE2\x80\xA6");
}

TEST_CASE("snapshot look-ups find by name and return nullptr otherwise") {
  auto s = load_ok(spec_yaml);
  REQUIRE(s->find_provider("local") == &s->providers[2]);
  CHECK(s->find_provider("nope") == nullptr);
  CHECK(s->find_model("demo-chat") == &s->models[0]);
  CHECK(s->find_model("DEMO-CHAT") == nullptr);
  CHECK(s->find_tenant("dev") == &s->tenants[0]);
  CHECK(s->find_tenant("ops") == nullptr);
  CHECK(to_string(provider_type::openai_compatible) == "openai-compatible");
}

TEST_CASE("shipped config/switchyard.yaml loads offline with the spec's values plus demo-embed") {
  auto r = load_file(shipped_config_path(), fake_env());
  if (!r.ok())
    FAIL(r.error().to_string());
  const snapshot& s = *r.value();
  check_spec_values(s, "");
  CHECK(s.source == shipped_config_path());
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0] == "provider 'openai' disabled: OPENAI_API_KEY is unset");

  const model_config* embed = s.find_model("demo-embed");
  REQUIRE(embed != nullptr);
  REQUIRE(embed->targets.size() == 1);
  CHECK(embed->targets[0].provider == "demo");
  CHECK(embed->targets[0].provider_index == 0);
  CHECK(embed->targets[0].model == "demo-embed-1");

  // The optional keys it documents are written with their defaults.
  const server_config server_defaults;
  CHECK(s.server.max_body_bytes == server_defaults.max_body_bytes);
  CHECK(s.server.admin_key_hash.empty());
  CHECK(s.providers[1].queue_timeout == provider_config{}.queue_timeout);
  CHECK(s.providers[1].timeouts.total == upstream_timeouts{}.total);
}

TEST_CASE("shipped config enables openai when the key is present") {
  auto r = load_file(shipped_config_path(),
                     fake_env({{"OPENAI_API_KEY", "sk-live"}, {"SWITCHYARD_ADMIN_KEY", "sk-admin-0001"}}));
  if (!r.ok())
    FAIL(r.error().to_string());
  const snapshot& s = *r.value();
  check_spec_values(s, "sk-live");
  CHECK(s.warnings.empty());
  CHECK(s.server.admin_key_hash == "7c28ab322c6a115c6a2afab3005656a4312dc02efdd5242e22909b2b2d7e144c");
}

TEST_CASE("load_file reports a missing file, a directory, and errors with the file's path") {
  auto missing = load_file("/nonexistent/switchyard.yaml", fake_env());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().file == "/nonexistent/switchyard.yaml");
  CHECK(missing.error().line == 0);
  CHECK_THAT(missing.error().message, Catch::Contains("no such file"));
  CHECK(missing.error().to_string() == "/nonexistent/switchyard.yaml: cannot read the configuration file: no such file");

  auto dir = load_file(SWITCHYARD_SOURCE_DIR, fake_env());
  REQUIRE_FALSE(dir.ok());
  CHECK_THAT(dir.error().message, Catch::Contains("directory"));

  auto path = std::filesystem::temp_directory_path()
              / ("switchyard-config-test-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << "providers:\n  - name: demo\n    type: mokc\n";
  }
  auto bad = load_file(path.string(), fake_env());
  std::filesystem::remove(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().file == path.string());
  CHECK(bad.error().line == 3);
  CHECK(bad.error().key == "providers[0].type");
}
