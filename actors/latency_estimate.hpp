// A provider's recent speed, as exponentially weighted moving averages that request actors update
// when an attempt commits or finishes, and that the router reads without a mailbox round trip.
#pragma once

#include <atomic>
#include <cstdint>

namespace switchyard::actors {

/// EWMAs of time to first token and of streaming throughput. Lock-free; any thread may update.
class latency_estimate {
 public:
  /// Weight of a new sample: about the last ten requests dominate.
  static constexpr double alpha = 0.2;

  /// A committed attempt's time to first token (for a non-streaming answer: to its response).
  void observe_ttft_ms(double ms) noexcept { blend(ttft_ms_, ms); }
  /// A finished stream's output tokens per second after its first token.
  void observe_tokens_per_s(double tps) noexcept { blend(tokens_per_s_, tps); }

  /// 0 when no sample was seen yet.
  double ttft_ms() const noexcept { return ttft_ms_.load(std::memory_order_relaxed); }
  double tokens_per_s() const noexcept { return tokens_per_s_.load(std::memory_order_relaxed); }

 private:
  // The first sample seeds the average; later ones blend in. A lost race retries, so no sample
  // is dropped under contention.
  static void blend(std::atomic<double>& avg, double sample) noexcept {
    if (!(sample >= 0)) return;  // also rejects NaN
    double old = avg.load(std::memory_order_relaxed);
    double next = 0;
    do {
      next = old == 0 ? sample : old + alpha * (sample - old);
    } while (!avg.compare_exchange_weak(old, next, std::memory_order_relaxed));
  }

  std::atomic<double> ttft_ms_{0};
  std::atomic<double> tokens_per_s_{0};
};

}  // namespace switchyard::actors
