// Fail-closed decisions from the usage writer's figures: refusal only with a full spool and the
// option on; readiness says draining, unavailable or failing.
#include <catch2/catch.hpp>

#include "runtime/storage_guard.hpp"

using namespace switchyard;
using runtime::readiness;
using runtime::storage_state_of;
using runtime::unbillable_error;

TEST_CASE("storage guard: spool full and failing flags from the writer's stats", "[storage]") {
  actors::usage_writer_stats stats;
  CHECK_FALSE(storage_state_of(nullptr).spool_full);
  CHECK_FALSE(storage_state_of(&stats).spool_full);  // no limit published yet
  stats.spool_limit = 3;
  stats.pending = 2;
  CHECK_FALSE(storage_state_of(&stats).spool_full);
  stats.pending = 3;
  stats.failing = true;
  auto s = storage_state_of(&stats);
  CHECK(s.spool_full);
  CHECK(s.failing);
}

TEST_CASE("storage guard: refusals and readiness", "[storage]") {
  runtime::storage_state ok{false, false}, failing{true, false}, full{true, true};
  CHECK_FALSE(unbillable_error(ok, true));
  CHECK_FALSE(unbillable_error(failing, true));
  CHECK_FALSE(unbillable_error(full, false));
  auto e = unbillable_error(full, true);
  REQUIRE(e);
  CHECK(protocols::http_status(e->code) == 503);
  CHECK(e->retry_after_s == 5u);

  CHECK(readiness(false, ok, true).status == 200);
  CHECK(readiness(false, ok, true).body == R"({"status":"ready"})");
  CHECK(readiness(false, failing, true).body.find("\"storage\":\"failing\"") != std::string::npos);
  CHECK(readiness(false, full, true).status == 503);
  CHECK(readiness(false, full, false).status == 200);
  CHECK(readiness(true, ok, true).status == 503);
}
