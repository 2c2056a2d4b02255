// server.spool_dir and server.spool_fsync: defaults, values, bad values named by key.
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

TEST_CASE("server: the usage journal lives in var/spool without fsync unless configured") {
  auto s = load_ok(with_server("  listen: 127.0.0.1:0\n"));
  CHECK(s->server.spool_dir == "var/spool");
  CHECK_FALSE(s->server.spool_fsync);
  auto t = load_ok(with_server("  spool_dir: /srv/switchyard/node-1/spool\n  spool_fsync: true\n"));
  CHECK(t->server.spool_dir == "/srv/switchyard/node-1/spool");
  CHECK(t->server.spool_fsync);
  auto u = load_ok(with_server("  spool_dir: ${SPOOL:-var/other}\n"), {{"SPOOL", "/tmp/n2"}});
  CHECK(u->server.spool_dir == "/tmp/n2");
}

TEST_CASE("server: without spool_dir the journal sits next to the SQLite file") {
  auto a =
      load_ok("storage: sqlite:///data/gw/usage.db\n" + with_server("  listen: 127.0.0.1:0\n"));
  CHECK(a->server.spool_dir == "/data/gw/spool");
  auto b = load_ok("storage: sqlite://usage.db\n" + with_server("  listen: 127.0.0.1:0\n"));
  CHECK(b->server.spool_dir == "spool");
  auto c = load_ok("storage: postgres://sy@db:5432/sy\n" + with_server("  listen: 127.0.0.1:0\n"));
  CHECK(c->server.spool_dir == "var/spool");
  // Given explicitly, it wins over the storage's directory.
  auto d = load_ok("storage: sqlite:///data/gw/usage.db\n" +
                   with_server("  spool_dir: /var/lib/sy/spool\n"));
  CHECK(d->server.spool_dir == "/var/lib/sy/spool");
}

TEST_CASE("server: bad journal settings are refused with the key named") {
  auto e = load_error(with_server("  spool_dir: \"\"\n"));
  CHECK(e.key == "server.spool_dir");
  CHECK(e.to_string().find("must name a directory") != std::string::npos);
  auto f = load_error(with_server("  spool_fsync: maybe\n"));
  CHECK(f.key == "server.spool_fsync");
  auto g = load_error(with_server("  spool_dir: [ a, b ]\n"));
  CHECK(g.key == "server.spool_dir");
}
