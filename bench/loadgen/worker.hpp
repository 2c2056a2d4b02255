// One generator thread: its own io_context, its share of the schedule (or of the closed-loop
// workers), its pool of keep-alive connections, its queue, and its statistics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/loadgen/connection.hpp"
#include "bench/loadgen/options.hpp"
#include "bench/loadgen/request_builder.hpp"
#include "bench/loadgen/schedule.hpp"
#include "bench/loadgen/stats.hpp"

namespace switchyard::loadgen {

/// After this many failed connects and not one success, the target counts as unreachable.
inline constexpr std::uint64_t unreachable_after_failures = 8;

/// What every worker of a run shares: the plan (read-only) and the run's control flags.
struct run_shared {
  const options* opts = nullptr;
  std::vector<request_template> templates;
  request_mix mix{{1.0}, {1.0}, 0};
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  boost::asio::ssl::context* tls = nullptr;  ///< set for https targets
  std::chrono::steady_clock::time_point t0;  ///< the run clock's zero
  std::int64_t warmup_ns = 0;                ///< requests due before this are not counted
  std::int64_t end_ns = 0;                   ///< no request is due at or after this
  series_collector* series = nullptr;

  std::atomic<bool> stop{false};  ///< interrupted: stop now, abandon what is in flight
  std::atomic<std::uint64_t> connect_ok{0};
  std::atomic<std::uint64_t> connect_failed{0};
  std::atomic<bool> unreachable{false};  ///< set once the first connects all failed
  std::mutex first_error_mutex;
  std::string first_connect_error;  ///< guarded by first_error_mutex

  /// Nanoseconds on the run clock.
  std::int64_t now_ns() const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                t0)
        .count();
  }
};

/// One generator thread's worth of load.
class worker {
 public:
  /// Worker `index` of `count`: in open loop it runs `rate / count` requests per second (its
  /// constant schedule offset so that all workers interleave), with `connections / count`
  /// connections; in closed loop it runs its share of the closed-loop workers.
  worker(run_shared& shared, unsigned index, unsigned count);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Runs the event loop until this worker's part of the run is over.
  void run();

  /// The statistics (read after `run` returns).
  const run_stats& stats() const noexcept { return stats_; }

  // Called by connections.
  const run_shared& shared() const noexcept { return shared_; }
  run_stats& mutable_stats() noexcept { return stats_; }
  void on_connect_result(bool ok, const std::string& message);
  void on_exchange(connection& c, const exchange_result& r, bool reusable);
  void on_idle_closed(connection& c, bool peer_close);
  void note_sent(const ticket& t, std::int64_t now_ns);

 private:
  void arm_schedule(std::int64_t at_ns);
  void on_schedule();
  void start_closed_loop();
  void arm_tick();
  void on_tick();
  ticket make_ticket(std::int64_t scheduled_ns, std::int64_t now_ns);
  void dispatch(const ticket& t, std::int64_t now_ns);
  void hand_to(connection& c, const ticket& t, std::int64_t now_ns);
  void release(connection& c, std::int64_t now_ns);
  void open_connection(const ticket& t);
  void drain_queue(std::int64_t now_ns);
  void record(const exchange_result& r, const stream_tracker* tracker);
  void fail_unsent(const ticket& t, error_kind kind, const char* message, std::int64_t now_ns);
  void remove_live(connection& c);
  void expire_overdue(std::int64_t now_ns);
  second_bucket& bucket_at(std::int64_t now_ns);
  void maybe_finish(std::int64_t now_ns);
  void finish();
  bool scheduling_over(std::int64_t now_ns) const noexcept;
  std::uint64_t outstanding() const noexcept { return queue_.size() + busy_; }

  run_shared& shared_;
  unsigned index_;
  bool closed_loop_;
  unsigned lanes_;  // closed loop: workers; open loop: most connections
  boost::asio::io_context ioc_;
  boost::asio::steady_timer schedule_timer_;
  boost::asio::steady_timer tick_timer_;
  arrival_schedule schedule_;
  rng mix_rng_;
  std::int64_t next_due_ = 0;
  bool schedule_done_ = false;
  bool finished_ = false;
  std::uint64_t next_tag_ = 0;
  std::int64_t deadline_span_ns_;

  std::vector<std::shared_ptr<connection>> live_;  // connecting, ready or busy
  std::vector<connection*> idle_;                  // ready ones, most recent last
  std::deque<ticket> queue_;                       // due, waiting for a connection
  std::uint64_t busy_ = 0;                         // connecting or busy connections

  run_stats stats_;
  second_bucket bucket_;
};

}  // namespace switchyard::loadgen
