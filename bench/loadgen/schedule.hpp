// When each request is due and what it asks for: the open-loop arrival schedule (constant or
// Poisson) and the weighted request mix. Both are fixed by the seed before the run starts, so
// a slow server can never change when or what the generator sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/loadgen/rng.hpp"

namespace switchyard::loadgen {

/// How arrivals are spaced in open-loop mode.
enum class arrival_kind : std::uint8_t {
  constant,  ///< exactly 1/rate apart
  poisson,   ///< exponential gaps with mean 1/rate (a Poisson process)
};

/// The sequence of scheduled start times of one worker, in nanoseconds after the run's start.
/// Each time is a function of (kind, rate, phase, seed) and the request's position only.
class arrival_schedule {
 public:
  /// `rate_per_s` > 0. Constant arrivals start at `phase_ns` and step 1e9/rate; Poisson arrivals
  /// start one exponential gap after `phase_ns`.
  arrival_schedule(arrival_kind kind, double rate_per_s, std::int64_t phase_ns, std::uint64_t seed,
                   std::uint64_t stream = 0) noexcept;

  /// The next scheduled time (non-decreasing).
  std::int64_t next() noexcept;

  /// The mean gap between arrivals, in nanoseconds.
  double mean_gap_ns() const noexcept { return gap_ns_; }

 private:
  arrival_kind kind_;
  double gap_ns_;
  std::int64_t phase_ns_;
  std::uint64_t index_ = 0;  // constant: position of the next arrival
  double poisson_t_ = 0;     // poisson: time of the last arrival (ns after phase)
  rng rng_;
};

/// The first `n` times of a schedule (for tests and for inspecting a plan).
std::vector<std::int64_t> build_schedule(arrival_kind kind, double rate_per_s,
                                         std::int64_t phase_ns, std::uint64_t seed, std::size_t n);

/// Picks an index with probability proportional to its weight.
class weighted_choice {
 public:
  /// `weights` non-empty, each finite and > 0.
  explicit weighted_choice(const std::vector<double>& weights);

  /// The index for a uniform draw `u` in [0, 1).
  std::size_t pick(double u) const noexcept;
  std::size_t size() const noexcept { return cumulative_.size(); }

 private:
  std::vector<double> cumulative_;  // running sums normalised to end at 1
};

/// One drawn request shape.
struct request_pick {
  std::size_t model = 0;
  std::size_t prompt = 0;
  bool stream = false;
};

/// The request mix: model by weight, prompt size by weight, stream with a given probability.
/// Shapes are numbered so that `index_of` is a dense index into the prebuilt request templates.
class request_mix {
 public:
  request_mix(const std::vector<double>& model_weights, const std::vector<double>& prompt_weights,
              double stream_share);

  /// Draws a shape from `r` (always three draws, so the sequence only depends on the seed).
  request_pick pick(rng& r) const noexcept;

  /// Dense index of `p` in [0, shape_count()).
  std::size_t index_of(const request_pick& p) const noexcept {
    return (p.model * prompts_.size() + p.prompt) * 2 + (p.stream ? 1 : 0);
  }
  std::size_t shape_count() const noexcept { return models_.size() * prompts_.size() * 2; }
  /// The shape at a dense index.
  request_pick shape_at(std::size_t index) const noexcept;

 private:
  weighted_choice models_;
  weighted_choice prompts_;
  double stream_share_;
};

}  // namespace switchyard::loadgen
