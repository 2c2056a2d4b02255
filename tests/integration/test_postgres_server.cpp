// The test PostgreSQL server itself: it answers on its port, keeps its data across stop() and
// start(), and refuses connections while stopped.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "postgres_server.hpp"

using namespace switchyard::itest;

TEST_CASE("postgres_server: starts, keeps its data across a restart on the same port",
          "[postgres]") {
  postgres_server pg;
  REQUIRE(pg.url() ==
          "postgres://switchyard@127.0.0.1:" + std::to_string(pg.port()) + "/switchyard");
  REQUIRE(can_connect(pg.port()));
  pg.query("CREATE TABLE kept (v text)");
  pg.query("INSERT INTO kept VALUES ('survives')");

  pg.stop();
  REQUIRE_FALSE(pg.running());
  REQUIRE_FALSE(can_connect(pg.port()));
  REQUIRE_THROWS(pg.query("SELECT 1"));

  pg.start();
  REQUIRE(pg.running());
  auto rows = pg.query("SELECT v FROM kept");
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0][0] == "survives");
  REQUIRE_THROWS_WITH(pg.query("SELECT * FROM missing_table"), Catch::Contains("missing_table"));
}
