// What a run measures: per-worker counters and histograms (merged at the end), and the
// per-second time series collected from every worker thread as the run goes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/stream_tracker.hpp"

namespace switchyard::loadgen {

/// Why a request got no complete response.
enum class error_kind : std::uint8_t {
  none,
  connect_refused,      ///< the target refused the connection
  connect_timeout,      ///< connecting took past the request's deadline
  connect_unreachable,  ///< no route to the host or network
  connect_other,        ///< any other connect failure
  tls_handshake,        ///< the TLS handshake failed (certificate, protocol)
  timeout,              ///< sent, but no complete response by the deadline
  queue_timeout,        ///< never left the generator's queue before the deadline
  reset,                ///< connection reset or broken pipe mid-exchange
  closed,               ///< the server closed the connection before the response was complete
  protocol,             ///< the response was not valid HTTP/1.1
  io_other,             ///< any other read, write or TLS error
};
inline constexpr std::size_t error_kind_count = 12;
/// The report's name of `k`.
const char* error_kind_name(error_kind k) noexcept;

/// A generator whose median dispatch lag exceeds this, or whose worst lag exceeds
/// `lag_max_limit_ns`, fell behind its schedule: its latencies include its own delay.
inline constexpr std::int64_t lag_median_limit_ns = 1'000'000;
inline constexpr std::int64_t lag_max_limit_ns = 100'000'000;

/// Everything measured over the requests of the measured window (scheduled at or after the end
/// of the warm-up), plus connection counters over the whole run. One per worker; merged.
struct run_stats {
  std::uint64_t scheduled = 0;   ///< requests due in the window
  std::uint64_t sent = 0;        ///< requests written to a connection
  std::uint64_t completed = 0;   ///< complete HTTP responses (any status)
  std::uint64_t ok = 0;          ///< complete HTTP responses with a 2xx status
  std::uint64_t failed = 0;      ///< no complete response (see `errors`)
  std::uint64_t unfinished = 0;  ///< still open when the run was stopped
  /// Responses by exact status code, counted when their headers arrived (so a stream cut after
  /// its 200 header counts here and as a failure); index 0 counts codes >= 600.
  std::array<std::uint64_t, 600> status{};
  std::array<std::uint64_t, error_kind_count> errors{};
  std::array<std::string, error_kind_count> error_examples;  ///< first message of each kind

  std::uint64_t streams = 0;            ///< 2xx responses to stream requests that were SSE
  std::uint64_t not_event_stream = 0;   ///< 2xx responses to stream requests that were not SSE
  std::uint64_t malformed_streams = 0;  ///< streams with a non-JSON or oversized event
  std::array<std::uint64_t, stream_end_count> stream_ends{};
  std::uint64_t content_chunks = 0;
  std::uint64_t usage_reports = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;

  // Generator behaviour.
  std::uint64_t queued = 0;              ///< waited in the generator's queue for a connection
  std::uint64_t waited_for_connect = 0;  ///< had to wait for a new connection to open
  std::uint64_t max_queue_depth = 0;
  std::uint64_t connections_opened = 0;  ///< whole run
  std::uint64_t connect_failures = 0;    ///< whole run
  std::uint64_t peer_closes = 0;         ///< keep-alive connections the server closed (whole run)

  histogram latency;  ///< scheduled start -> last byte, every complete response
  histogram latency_ok;        ///< the same, 2xx responses only (what admitted requests saw)
  histogram latency_rejected;  ///< the same, non-2xx responses only (how fast refusals come)
  histogram ttfb;     ///< scheduled start -> response headers, every response
  histogram ttft;     ///< streams: scheduled start -> first content chunk
  histogram itl;      ///< streams: gaps between consecutive content chunks
  histogram total;    ///< streams: scheduled start -> end of the stream
  histogram lag;      ///< open loop: actual dispatch time - scheduled time
  /// Generator queue wait: dispatch -> written to a connection (queued requests only).
  histogram queue_wait;

  /// Records one error of kind `k` (and its first message).
  void add_error(error_kind k, const std::string& message);

  /// Adds `o` (another worker's disjoint requests).
  void merge(const run_stats& o);

  std::uint64_t status_class(unsigned hundreds) const noexcept;
  /// Complete responses whose status was not 2xx.
  std::uint64_t non_2xx() const noexcept { return completed - ok; }
  /// True when the generator's dispatch lag breaks the limits above.
  bool fell_behind() const noexcept {
    return !lag.empty() && (static_cast<std::int64_t>(lag.percentile(50)) > lag_median_limit_ns ||
                            static_cast<std::int64_t>(lag.max()) > lag_max_limit_ns);
  }
};

/// Events of one second of the run (by the time they happened), from one worker.
struct second_bucket {
  std::int64_t second = 0;
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t errors = 0;     ///< failures plus non-2xx responses
  std::uint64_t in_flight = 0;  ///< gauge at the end of the second
  std::uint64_t queue = 0;      ///< gauge at the end of the second
  histogram latency;
  histogram ttft;
  histogram lag;

  bool empty() const noexcept { return sent == 0 && completed == 0 && errors == 0 && lag.empty(); }
  void reset(std::int64_t s) noexcept;
  void merge(const second_bucket& o);
};

/// One finished second of the time series (all workers).
struct series_row {
  std::int64_t second = 0;
  bool warmup = false;
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t errors = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t queue = 0;
  /// Percentiles in nanoseconds; unset when nothing completed (or nothing was dispatched).
  std::optional<std::uint64_t> p50, p99, ttft_p50, ttft_p99, lag_p50, lag_max;
  /// The generator fell behind in this second.
  bool behind = false;
};

/// Collects per-second buckets from every worker; a second is final once every worker has
/// moved past it. Thread-safe; workers submit about once a second.
class series_collector {
 public:
  /// `workers` threads will submit; seconds before `warmup_seconds` are marked warm-up.
  series_collector(unsigned workers, double warmup_s);

  /// Worker `w` is done with `b.second` and every second before `next_second`.
  void submit(unsigned w, const second_bucket& b, std::int64_t next_second);

  /// Worker `w` has finished the run.
  void finish(unsigned w);

  /// Rows finalised so far, in order (with empty seconds filled in).
  std::vector<series_row> rows() const;
  /// The newest final row, if any.
  std::optional<series_row> latest() const;

 private:
  void finalise_locked();

  mutable std::mutex mutex_;
  double warmup_s_;
  std::vector<std::int64_t> watermark_;  // per worker: every earlier second was submitted
  std::map<std::int64_t, second_bucket> pending_;
  std::vector<series_row> final_;
  std::int64_t next_final_ = 0;  // the next second to finalise
};

}  // namespace switchyard::loadgen
