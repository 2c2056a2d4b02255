// /proc parsing for the process metrics.
#include <catch2/catch.hpp>

#include "runtime/process_stats.hpp"

using switchyard::runtime::parse_boot_time;
using switchyard::runtime::parse_proc_stat;
using switchyard::runtime::read_process_sample;

namespace {

// proc(5) fields 1..24 of a process whose command name holds a space and a ')'.
constexpr std::string_view stat_line =
    "4242 (sw (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 "
    "12345 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";

}  // namespace

TEST_CASE("proc stat fields are counted after the command name", "[process]") {
  auto s = parse_proc_stat(stat_line, 100, 4096, 1'700'000'000);
  REQUIRE(s);
  CHECK(s->cpu_seconds == Approx(4.0));  // (250 + 150) / 100
  CHECK(s->start_time_seconds == Approx(1'700'000'123.45));
  CHECK(s->virtual_bytes == 987654321.0);
  CHECK(s->resident_bytes == 2048.0 * 4096);
}

TEST_CASE("malformed proc stat text gives no sample", "[process]") {
  CHECK_FALSE(parse_proc_stat("", 100, 4096, 0));
  CHECK_FALSE(parse_proc_stat("4242 no parenthesis S 1 2 3", 100, 4096, 0));
  CHECK_FALSE(parse_proc_stat("4242 (x) S 1 4242 4242 0 -1", 100, 4096, 0));  // too short
  CHECK_FALSE(parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 1 0 0 20 0 1 0 5 6 7 0", 100, 4096,
                              0));                      // not a number
  CHECK_FALSE(parse_proc_stat(stat_line, 0, 4096, 0));  // no tick rate
}

TEST_CASE("boot time comes from the btime line", "[process]") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1.7e9);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
  CHECK_FALSE(parse_boot_time("btime soon\n"));
}

TEST_CASE("this process can be read", "[process]") {
  auto s = read_process_sample();
  REQUIRE(s);
  CHECK(s->resident_bytes > 0);
  CHECK(s->open_fds >= 3);
  CHECK(s->start_time_seconds > 1.6e9);
}
