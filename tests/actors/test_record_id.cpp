// Record ids: 32 lowercase hex digits, distinct across many draws and across threads.
#include <catch2/catch.hpp>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/record_id.hpp"

using switchyard::actors::new_record_id;

namespace {

bool lower_hex_32(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

TEST_CASE("record ids are 32 lowercase hex digits and never repeat", "[record_id]") {
  std::set<std::string> seen;
  std::mutex mutex;
  bool all_hex = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 20'000; ++i) mine.push_back(new_record_id());
      std::lock_guard<std::mutex> guard{mutex};
      for (auto& id : mine) {
        all_hex = all_hex && lower_hex_32(id);
        seen.insert(std::move(id));
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(all_hex);
  CHECK(seen.size() == 80'000);
  // Leading zeros are kept as digits: over 80,000 ids some first digit is '0'.
  bool some_leading_zero = false;
  for (const auto& id : seen)
    some_leading_zero = some_leading_zero || id[0] == '0' || id[16] == '0';
  CHECK(some_leading_zero);
}
