// Arrival schedules and the weighted request mix.
#include "bench/loadgen/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::loadgen {

arrival_schedule::arrival_schedule(arrival_kind kind, double rate_per_s, std::int64_t phase_ns,
                                   std::uint64_t seed, std::uint64_t stream) noexcept
    : kind_(kind), gap_ns_(1e9 / rate_per_s), phase_ns_(phase_ns), rng_(seed, stream) {}

std::int64_t arrival_schedule::next() noexcept {
  if (kind_ == arrival_kind::constant) {
    // Computed from the index rather than summed, so rounding never accumulates into drift.
    const double t = static_cast<double>(index_++) * gap_ns_;
    return phase_ns_ + std::llround(t);
  }
  poisson_t_ += rng_.exponential(gap_ns_);
  return phase_ns_ + std::llround(poisson_t_);
}

std::vector<std::int64_t> build_schedule(arrival_kind kind, double rate_per_s,
                                         std::int64_t phase_ns, std::uint64_t seed, std::size_t n) {
  arrival_schedule s(kind, rate_per_s, phase_ns, seed);
  std::vector<std::int64_t> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(s.next());
  return out;
}

weighted_choice::weighted_choice(const std::vector<double>& weights) {
  double sum = 0;
  for (double w : weights) sum += w;
  double run = 0;
  cumulative_.reserve(weights.size());
  for (double w : weights) {
    run += w;
    cumulative_.push_back(run / sum);
  }
  if (!cumulative_.empty()) cumulative_.back() = 1.0;
}

std::size_t weighted_choice::pick(double u) const noexcept {
  if (cumulative_.size() <= 1) return 0;
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  if (it == cumulative_.end()) --it;
  return static_cast<std::size_t>(it - cumulative_.begin());
}

request_mix::request_mix(const std::vector<double>& model_weights,
                         const std::vector<double>& prompt_weights, double stream_share)
    : models_(model_weights), prompts_(prompt_weights), stream_share_(stream_share) {}

request_pick request_mix::pick(rng& r) const noexcept {
  request_pick p;
  p.model = models_.pick(r.uniform());
  p.prompt = prompts_.pick(r.uniform());
  p.stream = r.uniform() < stream_share_;
  return p;
}

request_pick request_mix::shape_at(std::size_t index) const noexcept {
  request_pick p;
  p.stream = (index & 1) != 0;
  index >>= 1;
  p.prompt = index % prompts_.size();
  p.model = index / prompts_.size();
  return p;
}

}  // namespace switchyard::loadgen
