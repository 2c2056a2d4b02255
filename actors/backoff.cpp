// Exponential backoff with jitter for same-target retries.
#include "actors/backoff.hpp"

#include <algorithm>
#include <random>

namespace switchyard::actors {

std::chrono::microseconds retry_backoff(const config::backoff_config& b, std::uint32_t retry,
                                        double unit) noexcept {
  using std::chrono::microseconds;
  const auto max = std::chrono::duration_cast<microseconds>(b.max);
  auto cap = std::chrono::duration_cast<microseconds>(b.base);
  for (std::uint32_t i = 1; i < retry && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  unit = std::clamp(unit, 0.0, 1.0);
  return cap / 2 +
         microseconds{static_cast<microseconds::rep>(unit * static_cast<double>(cap.count() / 2))};
}

double random_unit() noexcept {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>{0.0, 1.0}(gen);
}

}  // namespace switchyard::actors
