// server.metrics, server.access_log and server.log_level.
#include <catch2/catch.hpp>

#include "config/observability.hpp"
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

std::string with_server(std::string_view lines) {
  return "server:\n" + std::string{lines} + std::string{minimal_providers} +
         std::string{minimal_models};
}

}  // namespace

TEST_CASE("observability keys default to metrics on, no access log, level info") {
  auto c = load_ok(std::string{minimal_providers} + std::string{minimal_models});
  CHECK(c->server.metrics);
  CHECK(c->server.observability.access_log == access_log_target::off);
  CHECK(c->server.observability.log_level == log_level::info);
}

TEST_CASE("observability keys are read") {
  auto c = load_ok(with_server("  metrics: false\n  access_log: stdout\n  log_level: warning\n"));
  CHECK_FALSE(c->server.metrics);
  CHECK(c->server.observability.access_log == access_log_target::stdout_stream);
  CHECK(c->server.observability.log_level == log_level::warning);

  c = load_ok(with_server("  access_log: stderr\n  log_level: debug\n"));
  CHECK(c->server.observability.access_log == access_log_target::stderr_stream);
  CHECK(c->server.observability.log_level == log_level::debug);

  c = load_ok(with_server("  access_log: /var/log/switchyard/access.log\n  log_level: error\n"));
  CHECK(c->server.observability.access_log == access_log_target::file);
  CHECK(c->server.observability.access_log_path == "/var/log/switchyard/access.log");
  CHECK(c->server.observability.log_level == log_level::error);

  c = load_ok(with_server("  access_log: \"${LOG_DIR}/access.log\"\n"), {{"LOG_DIR", "/tmp/x"}});
  CHECK(c->server.observability.access_log_path == "/tmp/x/access.log");
}

TEST_CASE("bad observability values name the key and what is expected") {
  auto e = load_error(with_server("  metrics: yes\n"));
  check_error(e, 2, 12, "server.metrics", "must be true or false, got \"yes\"");
  e = load_error(with_server("  log_level: verbose\n"));
  check_error(e, 2, 14, "server.log_level",
              "must be debug, info, warning or error, got \"verbose\"");
  e = load_error(with_server("  access_log: \"\"\n"));
  check_error(e, 2, 15, "server.access_log",
              "must be stderr, stdout, off or a file path, got an empty string");
  e = load_error(with_server("  access_log: /var/log/\n"));
  check_error(e, 2, 15, "server.access_log", "must name a file, not a directory: /var/log/");
  e = load_error(with_server("  access_log: [a, b]\n"));
  check_error(e, 2, 15, "server.access_log", "must be stderr, stdout, off or a file path");
}

TEST_CASE("access_log paths are bounded and free of control characters") {
  observability_config base;
  auto r = parse_access_log(std::string(max_access_log_path + 1, 'a'), base);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "must be a path of at most 4096 characters");
  r = parse_access_log("a\tb", base);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "must not contain control characters");
  r = parse_access_log(std::string(max_access_log_path, 'a'), base);
  CHECK(r.ok());
  CHECK(to_string(log_level::warning) == "warning");
}
