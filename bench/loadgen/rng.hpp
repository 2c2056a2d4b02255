// A small, fast, seedable random generator (xoshiro256**, seeded through splitmix64) whose
// output is the same on every platform, unlike the standard library's distributions.
#pragma once

#include <cmath>
#include <cstdint>

namespace switchyard::loadgen {

/// splitmix64 step: used to expand one seed into independent streams.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// xoshiro256** by Blackman and Vigna: 256 bits of state, passes BigCrush, a few ns a draw.
class rng {
 public:
  /// Streams with different `seed` or `stream` values are independent.
  explicit rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept {
    std::uint64_t sm = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (auto& w : s_) w = splitmix64(sm);
  }

  /// A uniformly distributed 64-bit value.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Exponentially distributed with mean `mean` (inverse transform; 1 - u is never 0).
  double exponential(double mean) noexcept { return -std::log1p(-uniform()) * mean; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

}  // namespace switchyard::loadgen
