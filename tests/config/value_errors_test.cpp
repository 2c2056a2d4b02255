// Value errors: addresses, URLs, numbers and their ranges, prices, storage and counters URLs,
// provider types and target references.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

// A document whose line 2 is `  listen: <value>`.
config_error listen_error(std::string_view value) {
  return load_error(with_models("server:\n  listen: " + std::string{value} + "\n" + std::string{minimal_providers}));
}

// A document whose line 4 is `    base_url: <value>` on an openai-compatible provider.
std::string with_base_url(std::string_view value) {
  return with_models("providers:\n  - name: local\n    type: openai-compatible\n    base_url: " + std::string{value}
                     + "\n  - name: demo\n    type: mock\n");
}

// A document whose line 4 is `    <key>: <value>` on a mock provider.
std::string with_provider_key(std::string_view key, std::string_view value) {
  return with_models("providers:\n  - name: demo\n    type: mock\n    " + std::string{key} + ": "
                     + std::string{value} + "\n");
}

// A document whose line 2 is `  <key>: <value>` in server:.
std::string with_server_key(std::string_view key, std::string_view value) {
  return with_models("server:\n  " + std::string{key} + ": " + std::string{value} + "\n" + std::string{minimal_providers});
}

// A document whose line 7 is the only target, written `{ provider: demo, model: demo-1, <extra> }`.
std::string with_target(std::string_view extra) {
  return std::string{minimal_providers} + "models:\n  - name: demo-chat\n    targets:\n      - { provider: demo, model: demo-1, "
         + std::string{extra} + " }\n";
}

}  // namespace

TEST_CASE("listen addresses must be host:port with a port from 0 to 65535") {
  check_error(listen_error("localhost"), 2, 11, "server.listen", "port is missing; expected host:port");
  check_error(listen_error("127.0.0.1:70000"), 2, 11, "server.listen", "port must be an integer from 0 to 65535, got \"70000\"");
  check_error(listen_error("\"127.0.0.1:\""), 2, 11, "server.listen", "port must be an integer from 0 to 65535, got \"\"");
  check_error(listen_error("127.0.0.1:http"), 2, 11, "server.listen", "got \"http\"");
  check_error(listen_error("::1:8080"), 2, 11, "server.listen", "IPv6 addresses must be in brackets");
  check_error(listen_error("\"[::1\""), 2, 11, "server.listen", "unclosed '['");
  check_error(listen_error("\"[fe80::1::2]:80\""), 2, 11, "server.listen", "invalid IPv6 address");
  check_error(listen_error("10.0.0.300:80"), 2, 11, "server.listen", "invalid host \"10.0.0.300\"");
  check_error(listen_error(":8080"), 2, 11, "server.listen", "host is missing");
  check_error(listen_error("8080"), 2, 11, "server.listen", "port is missing");
  // Unquoted, YAML reads [::1]:8080 as a flow list; the message says to quote it.
  check_error(listen_error("[::1]:8080"), 2, 0, "", "YAML syntax error");
}

TEST_CASE("listen accepts IPv4, names, bracketed IPv6 and port 0") {
  auto v6 = load_ok(with_models("server:\n  listen: \"[::1]:9090\"\n" + std::string{minimal_providers}));
  CHECK(v6->server.listen_host == "::1");
  CHECK(v6->server.listen_port == 9090);
  auto any = load_ok(with_models("server:\n  listen: 0.0.0.0:0\n" + std::string{minimal_providers}));
  CHECK(any->server.listen_host == "0.0.0.0");
  CHECK(any->server.listen_port == 0);
  auto name = load_ok(with_models("server:\n  listen: localhost:65535\n" + std::string{minimal_providers}));
  CHECK(name->server.listen_host == "localhost");
  CHECK(name->server.listen_port == 65535);
}

TEST_CASE("base_url must be http(s) with a host") {
  check_error(load_error(with_base_url("ftp://files.example.com/v1")), 4, 15, "providers[0].base_url",
              "scheme must be http or https, got \"ftp\"");
  check_error(load_error(with_base_url("api.openai.com/v1")), 4, 15, "providers[0].base_url",
              "must start with http:// or https://");
  check_error(load_error(with_base_url("https:///v1")), 4, 15, "providers[0].base_url", "host is missing");
  check_error(load_error(with_base_url("http://user:secret@example.com/v1")), 4, 15, "providers[0].base_url",
              "must not carry credentials");
  CHECK_THAT(load_error(with_base_url("http://user:secret@example.com/v1")).message, !Catch::Contains("secret"));
  check_error(load_error(with_base_url("http://example.com:0/v1")), 4, 15, "providers[0].base_url",
              "port must be an integer from 1 to 65535, got \"0\"");
  check_error(load_error(with_base_url("http://example.com:99999")), 4, 15, "providers[0].base_url", "got \"99999\"");
  check_error(load_error(with_base_url("\"http://example.com/v1?x=1\"")), 4, 15, "providers[0].base_url",
              "must not have a query or fragment");
  check_error(load_error(with_base_url("http://exa mple.com")), 4, 15, "providers[0].base_url",
              "must not contain spaces");
  check_error(load_error(with_base_url("http://::1/v1")), 4, 15, "providers[0].base_url",
              "IPv6 addresses must be in brackets");
}

TEST_CASE("base_url is parsed into the endpoint, with default ports and no trailing slash") {
  auto s = load_ok(with_base_url("HTTPS://Example.com/openai/v1/"));
  const url& u = s->providers[0].endpoint;
  CHECK(u.tls);
  CHECK(u.host == "Example.com");
  CHECK(u.port == 443);
  CHECK(u.base_path == "/openai/v1");
  CHECK(s->providers[0].base_url == "HTTPS://Example.com/openai/v1/");

  auto v6 = load_ok(with_base_url("\"http://[::1]:11434\""));
  CHECK_FALSE(v6->providers[0].endpoint.tls);
  CHECK(v6->providers[0].endpoint.host == "::1");
  CHECK(v6->providers[0].endpoint.port == 11434);
  CHECK(v6->providers[0].endpoint.base_path.empty());
}

TEST_CASE("an openai provider without base_url defaults to api.openai.com") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: mock
  - name: openai
    type: openai
    api_key: sk-literal
)"));
  const provider_config& p = s->providers[1];
  CHECK(p.base_url == "https://api.openai.com/v1");
  CHECK(p.endpoint.tls);
  CHECK(p.endpoint.host == "api.openai.com");
  CHECK(p.endpoint.port == 443);
  CHECK(p.endpoint.base_path == "/v1");
  CHECK(p.api_key == "sk-literal");
  CHECK(s->warnings.size() == 1);  // only "no tenants"
}

TEST_CASE("unknown provider types list the valid ones") {
  auto e = load_error(with_models("providers:\n  - name: demo\n    type: bedrock\n"));
  check_error(e, 3, 11, "providers[0].type",
              "unknown provider type \"bedrock\"; valid types: mock, openai, openai-compatible, "
              "anthropic, gemini");
}

TEST_CASE("provider and tenant names are restricted to label-safe characters") {
  check_error(load_error(with_models("providers:\n  - name: my provider\n    type: mock\n")), 2, 11,
              "providers[0].name", "must be 1 to 64 letters, digits");
  check_error(load_error(with_models("providers:\n  - name: \"\"\n    type: mock\n")), 2, 11, "providers[0].name",
              "got \"\"");
  check_error(load_error(with_models(minimal_providers) + "tenants:\n  - name: -dev\n    keys: [ sk-0001 ]\n"), 9, 11,
              "tenants[0].name", "starting with a letter or digit");
}

TEST_CASE("model names may not be empty or hold spaces") {
  check_error(load_error(std::string{minimal_providers} + "models:\n  - name: \"demo chat\"\n    targets: [ { provider: demo, model: m } ]\n"),
              5, 11, "models[0].name", "must not contain spaces");
  check_error(load_error(std::string{minimal_providers} + "models:\n  - name: chat\n    targets: [ { provider: demo, model: \"\" } ]\n"),
              6, 41, "models[0].targets[0].model", "must not be empty");
}

TEST_CASE("integers must be integers, positive where zero makes no sense, and not absurd") {
  check_error(load_error(with_provider_key("max_in_flight", "0")), 4, 20, "providers[0].max_in_flight",
              "must be a positive integer, got 0");
  check_error(load_error(with_provider_key("max_in_flight", "-3")), 4, 20, "providers[0].max_in_flight",
              "must be a positive integer, got \"-3\"");
  check_error(load_error(with_provider_key("max_in_flight", "1.5")), 4, 20, "providers[0].max_in_flight",
              "must be a positive integer, got \"1.5\"");
  check_error(load_error(with_provider_key("max_in_flight", "10000000")), 4, 20, "providers[0].max_in_flight",
              "must be at most 100000, got 10000000");
  check_error(load_error(with_provider_key("max_in_flight", "99999999999999999999999")), 4, 20,
              "providers[0].max_in_flight", "must be at most 100000");
  check_error(load_error(with_provider_key("max_queue", "x")), 4, 16, "providers[0].max_queue",
              "must be a non-negative integer, got \"x\"");
  check_error(load_error(with_provider_key("queue_timeout_ms", "0")), 4, 23, "providers[0].queue_timeout_ms",
              "must be a positive integer");
  check_error(load_error(with_provider_key("total_timeout_ms", "999999999999")), 4, 23,
              "providers[0].total_timeout_ms", "must be at most 86400000");
  check_error(load_error(with_server_key("max_body_bytes", "0")), 2, 19, "server.max_body_bytes",
              "must be at least 1024, got 0");
  check_error(load_error(with_server_key("max_header_bytes", "1073741824")), 2, 21, "server.max_header_bytes",
              "must be at most 1048576");
  check_error(load_error(with_server_key("max_connections", "0")), 2, 20, "server.max_connections",
              "must be a positive integer");
  check_error(load_error(with_server_key("io_threads", "5000")), 2, 15, "server.io_threads", "must be at most 1024");
  check_error(load_error(with_server_key("read_timeout_ms", "0")), 2, 20, "server.read_timeout_ms",
              "must be a positive integer");
  check_error(load_error(std::string{minimal_providers}
                         + "models:\n  - name: m\n    max_attempts: 0\n    targets: [ { provider: demo, model: m } ]\n"),
              6, 19, "models[0].max_attempts", "must be a positive integer");
  check_error(load_error(std::string{minimal_providers}
                         + "models:\n  - name: m\n    max_attempts: 11\n    targets: [ { provider: demo, model: m } ]\n"),
              6, 19, "models[0].max_attempts", "must be at most 10");
}

TEST_CASE("every optional number is read into the snapshot") {
  auto s = load_ok(with_models(R"(server:
  max_header_bytes: 32768
  max_body_bytes: 1048576
  read_timeout_ms: 1000
  idle_timeout_ms: 2000
  write_timeout_ms: 3000
  drain_timeout_ms: 0
  max_connections: 500
  io_threads: 4
  actor_threads: 2
providers:
  - name: demo
    type: mock
    max_in_flight: 8
    max_queue: 16
    queue_timeout_ms: 250
    max_idle_connections: 0
    connect_timeout_ms: 100
    first_byte_timeout_ms: 0
    idle_timeout_ms: 300
    total_timeout_ms: 400
    mock: { latency_ms: 25, tokens_per_second: 50.5, reply_tokens: 128 }
)"));
  using std::chrono::milliseconds;
  CHECK(s->server.listen_host == "127.0.0.1");
  CHECK(s->server.listen_port == 8080);
  CHECK(s->server.max_header_bytes == 32768);
  CHECK(s->server.max_body_bytes == 1048576);
  CHECK(s->server.read_timeout == milliseconds{1000});
  CHECK(s->server.idle_timeout == milliseconds{2000});
  CHECK(s->server.write_timeout == milliseconds{3000});
  CHECK(s->server.drain_timeout == milliseconds{0});
  CHECK(s->server.max_connections == 500);
  CHECK(s->server.io_threads == 4);
  CHECK(s->server.actor_threads == 2);
  const provider_config& p = s->providers[0];
  CHECK(p.max_in_flight == 8);
  CHECK(p.max_queue == 16);
  CHECK(p.queue_timeout == milliseconds{250});
  CHECK(p.max_idle_connections == 0);
  CHECK(p.timeouts.connect == milliseconds{100});
  CHECK(p.timeouts.first_byte == milliseconds{0});
  CHECK(p.timeouts.idle == milliseconds{300});
  CHECK(p.timeouts.total == milliseconds{400});
  CHECK(p.mock.latency == milliseconds{25});
  CHECK(p.mock.tokens_per_second == Approx(50.5));
  CHECK(p.mock.reply_tokens == 128);
}

TEST_CASE("prices must be non-negative finite numbers") {
  check_error(load_error(with_target("input_usd_per_mtok: -0.1")), 7, 62, "models[0].targets[0].input_usd_per_mtok",
              "must not be negative, got -0.1");
  check_error(load_error(with_target("output_usd_per_mtok: cheap")), 7, 63,
              "models[0].targets[0].output_usd_per_mtok", "must be a non-negative number, got \"cheap\"");
  check_error(load_error(with_target("output_usd_per_mtok: .nan")), 7, 63,
              "models[0].targets[0].output_usd_per_mtok", "must be a non-negative number");
  check_error(load_error(with_target("cached_input_usd_per_mtok: 1e9")), 7, 69,
              "models[0].targets[0].cached_input_usd_per_mtok", "must be at most 100000");
  auto s = load_ok(with_target("input_usd_per_mtok: 2.5, output_usd_per_mtok: 10, cached_input_usd_per_mtok: 1.25"));
  const target_config& t = s->models[0].targets[0];
  CHECK(t.input_usd_per_mtok == Approx(2.5));
  CHECK(t.output_usd_per_mtok == Approx(10));
  CHECK(t.cached_input_usd_per_mtok == Approx(1.25));
}

TEST_CASE("targets must name a configured provider and not repeat") {
  auto e = load_error(std::string{minimal_providers} + R"(models:
  - name: chat
    targets:
      - { provider: demo, model: a }
      - { provider: opneai, model: gpt-4o }
)");
  check_error(e, 8, 21, "models[0].targets[1].provider", "unknown provider \"opneai\"; configured providers: demo");

  auto dup = load_error(std::string{minimal_providers} + R"(models:
  - name: chat
    targets:
      - { provider: demo, model: a }
      - { provider: demo, model: a }
)");
  check_error(dup, 8, 9, "models[0].targets[1]", "duplicate target: same provider and model as models[0].targets[0]");
}

TEST_CASE("storage and counters accept only the supported URL schemes") {
  check_error(load_error(with_models("storage: mysql://root:pw@db/x\n" + std::string{minimal_providers})), 1, 10,
              "storage", "must be sqlite://<path>, postgres://... or postgresql://...; got scheme \"mysql\"");
  CHECK_THAT(load_error(with_models("storage: mysql://root:pw@db/x\n" + std::string{minimal_providers})).message,
             !Catch::Contains("pw"));
  check_error(load_error(with_models("storage: sqlite://\n" + std::string{minimal_providers})), 1, 10, "storage",
              "needs a file path");
  check_error(load_error(with_models("storage: var/switchyard.db\n" + std::string{minimal_providers})), 1, 10,
              "storage", "got \"var/switchyard.db\"");
  check_error(load_error(with_models("counters: Memory\n" + std::string{minimal_providers})), 1, 11, "counters",
              "must be memory, redis://... or rediss://...");
  check_error(load_error(with_models("counters: redis://\n" + std::string{minimal_providers})), 1, 11, "counters",
              "needs a host");

  auto pg = load_ok(with_models("storage: postgres://gw@db/switchyard\ncounters: rediss://cache:6380\n"
                                + std::string{minimal_providers}));
  CHECK(pg->storage == "postgres://gw@db/switchyard");
  CHECK(pg->counters == "rediss://cache:6380");
}

TEST_CASE("max_queue defaults to max_in_flight and an explicit 0 turns the queue off") {
  auto absent = load_ok(with_models(
      "providers:\n  - name: demo\n    type: mock\n    max_in_flight: 7\n"));
  CHECK(absent->providers[0].max_queue == 7);
  auto off = load_ok(with_models(
      "providers:\n  - name: demo\n    type: mock\n    max_in_flight: 7\n    max_queue: 0\n"));
  CHECK(off->providers[0].max_queue == 0);
}
