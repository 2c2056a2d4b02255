// server.usage_spool_records and server.fail_closed_on_storage_error: defaults, values, bounds.
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {
std::string with_server(const std::string& lines) {
  return "server:\n" + lines +
         "providers:\n  - { name: demo, type: mock }\n"
         "models:\n  - name: chat\n    targets: [ { provider: demo, model: m } ]\n"
         "tenants:\n  - name: t\n    keys: [ sk-t-0123456789 ]\n";
}
}  // namespace

TEST_CASE("server: fail-closed storage settings default on, with a million-record spool") {
  auto s = load_ok(with_server("  listen: 127.0.0.1:0\n"));
  CHECK(s->server.fail_closed_on_storage_error);
  CHECK(s->server.usage_spool_records == 1'000'000);
  auto t = load_ok(
      with_server("  usage_spool_records: 10\n  fail_closed_on_storage_error: false\n"));
  CHECK_FALSE(t->server.fail_closed_on_storage_error);
  CHECK(t->server.usage_spool_records == 10);
}

TEST_CASE("server: fail-closed storage settings reject bad values with the key named") {
  auto e = load_error(with_server("  usage_spool_records: 0\n"));
  CHECK(e.key == "server.usage_spool_records");
  auto f = load_error(with_server("  fail_closed_on_storage_error: sometimes\n"));
  CHECK(f.key == "server.fail_closed_on_storage_error");
}
