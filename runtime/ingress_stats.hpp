// Live figures of the ingress server, written with relaxed atomics by sessions and read by the
// metrics exporter at scrape time (no label set is ever created on the hot path).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace switchyard::runtime {

/// Counters and gauges of one server.
struct ingress_stats {
  /// Responses are counted per status; statuses outside [100, 600) are not counted.
  static constexpr unsigned max_status = 600;

  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_accepted_total{0};
  std::atomic<std::uint64_t> accept_errors_total{0};   ///< failed accepts (EMFILE…), each retried
  std::atomic<std::uint64_t> requests_total{0};        ///< complete requests read
  std::atomic<std::uint64_t> read_timeouts_total{0};   ///< answered 408 (slow request)
  std::atomic<std::uint64_t> idle_closes_total{0};     ///< keep-alive connections closed idle
  std::atomic<std::uint64_t> write_failures_total{0};  ///< write error or write timeout
  std::atomic<std::uint64_t> client_disconnects_total{
      0};  ///< client left while a request was in flight
  std::atomic<std::uint64_t> bytes_received_total{0};  ///< request heads and bodies read
  std::atomic<std::uint64_t> bytes_sent_total{0};      ///< response bytes written (framing too)
  std::array<std::atomic<std::uint64_t>, max_status> responses_by_status{};
  std::atomic<bool> draining{false};

  /// Counts one response with `status`.
  void count_response(unsigned status) noexcept {
    if (status >= 100 && status < max_status)
      responses_by_status[status].fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace switchyard::runtime
