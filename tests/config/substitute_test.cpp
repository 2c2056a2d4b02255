// `${VAR}` / `${VAR:-default}` / `$${` substitution, alone and applied by the loader to every
// scalar value.
#include <catch2/catch.hpp>

#include "config/substitute.hpp"
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

substitution sub_ok(std::string_view in, env_map vars = {}) {
  auto r = substitute(in, fake_env(std::move(vars)));
  if (!r.ok())
    FAIL("unexpected substitution error: " << r.error());
  return r.value();
}

std::string sub_error(std::string_view in) {
  auto r = substitute(in, fake_env({{"A", "a"}}));
  if (r.ok())
    FAIL("expected a substitution error for " << in);
  return r.error();
}

}  // namespace

TEST_CASE("substitute replaces whole and embedded references") {
  env_map env{{"TOKEN", "abc"}, {"HOST", "h"}, {"PORT", "81"}};
  CHECK(sub_ok("${TOKEN}", env).text == "abc");
  CHECK(sub_ok("Bearer ${TOKEN}", env).text == "Bearer abc");
  CHECK(sub_ok("http://${HOST}:${PORT}/v1", env).text == "http://h:81/v1");
  CHECK(sub_ok("${HOST}${PORT}", env).text == "h81");
  CHECK(sub_ok("no references", env).text == "no references");
  CHECK_FALSE(sub_ok("no references", env).referenced);
  CHECK(sub_ok("${TOKEN}", env).referenced);
}

TEST_CASE("substitute applies defaults when the variable is unset or empty") {
  CHECK(sub_ok("${X:-fallback}").text == "fallback");
  CHECK(sub_ok("${X:-fallback}", {{"X", ""}}).text == "fallback");
  CHECK(sub_ok("${X:-fallback}", {{"X", "set"}}).text == "set");
  CHECK(sub_ok("${X:-}").text.empty());
  CHECK(sub_ok("${URL:-http://127.0.0.1:8000/v1}").text == "http://127.0.0.1:8000/v1");
  CHECK(sub_ok("${X:-a b-c}").text == "a b-c");
  CHECK(sub_ok("${X:-fallback}").unset.empty());
}

TEST_CASE("substitute reports unset and empty variables without a default") {
  auto s = sub_ok("${A}-${B}-${A}-${C}", {{"B", ""}, {"C", "c"}});
  CHECK(s.text == "---c");
  CHECK(s.unset == std::vector<std::string>{"A"});
  CHECK(s.empty == std::vector<std::string>{"B"});
}

TEST_CASE("$${ is a literal ${ and a lone $ is kept") {
  CHECK(sub_ok("$${A}", {{"A", "x"}}).text == "${A}");
  CHECK_FALSE(sub_ok("$${A}").referenced);
  CHECK(sub_ok("cost: $5 or $$").text == "cost: $5 or $$");
  CHECK(sub_ok("end$").text == "end$");
  CHECK(sub_ok("$$${A}", {{"A", "x"}}).text == "$${A}");
  CHECK(sub_ok("pre $${A} ${A}", {{"A", "x"}}).text == "pre ${A} x");
  CHECK(sub_ok("${A}", {{"A", "${B}"}}).text == "${B}");  // values are not substituted again
}

TEST_CASE("malformed references are errors that do not echo the surrounding text") {
  CHECK_THAT(sub_error("secret ${A"), Catch::Contains("unterminated ${...} reference"));
  CHECK_THAT(sub_error("secret ${A"), !Catch::Contains("secret"));
  CHECK_THAT(sub_error("${}"), Catch::Contains("empty variable name"));
  CHECK_THAT(sub_error("${:-x}"), Catch::Contains("empty variable name"));
  CHECK_THAT(sub_error("${1A}"), Catch::Contains("invalid variable name \"1A\""));
  CHECK_THAT(sub_error("${-A}"), Catch::Contains("invalid character in variable name"));
  CHECK_THAT(sub_error("${A-b}"), Catch::Contains("expected ${A} or ${A:-default}"));
  CHECK_THAT(sub_error("${A:=b}"), Catch::Contains("unsupported syntax"));
  CHECK_THAT(sub_error("${A B}"), Catch::Contains("unsupported syntax"));
}

TEST_CASE("the loader substitutes every scalar value, including numbers and names") {
  auto s = load_ok(R"(server:
  listen: ${HOST:-127.0.0.1}:${PORT:-9000}
providers:
  - name: ${PROVIDER_NAME:-demo}
    type: mock
    max_in_flight: ${MAX_IN_FLIGHT:-32}
models:
  - name: chat-${ENV_NAME}
    targets:
      - { provider: demo, model: "${MODEL:-demo-1}", input_usd_per_mtok: "${PRICE:-0.5}" }
tenants:
  - name: dev
    keys: [ "${DEV_KEY:-sk-dev-local}" ]
)",
                   {{"PORT", "9001"}, {"ENV_NAME", "staging"}, {"MAX_IN_FLIGHT", "12"}});
  CHECK(s->server.listen_host == "127.0.0.1");
  CHECK(s->server.listen_port == 9001);
  CHECK(s->providers[0].name == "demo");
  CHECK(s->providers[0].max_in_flight == 12);
  CHECK(s->models[0].name == "chat-staging");
  CHECK(s->models[0].targets[0].model == "demo-1");
  CHECK(s->models[0].targets[0].input_usd_per_mtok == Approx(0.5));
}

TEST_CASE("a substituted value is validated like a literal one") {
  auto e = load_error(with_models("providers:\n  - name: demo\n    type: mock\n    max_in_flight: ${MAX}\n"),
                      {{"MAX", "lots"}});
  check_error(e, 4, 20, "providers[0].max_in_flight", "must be a positive integer, got \"lots\"");
}

TEST_CASE("malformed references and unset variables are reported at the value") {
  check_error(load_error(with_models("storage: sqlite://${DIR/x.db\n" + std::string{minimal_providers})), 1, 10, "storage",
              "unterminated ${...} reference");
  check_error(load_error(with_models("counters: ${COUNTERS}\n" + std::string{minimal_providers})), 1, 11, "counters",
              "environment variable COUNTERS is unset");
}

TEST_CASE("keys are not substituted: a ${...} key is an unknown key") {
  auto e = load_error(with_models("${SECTION}:\n  listen: 127.0.0.1:1\n" + std::string{minimal_providers}),
                      {{"SECTION", "server"}});
  check_error(e, 1, 1, "${SECTION}", "unknown key");
}
