// The node's side of `counters: redis://…`: one worker thread that owns a Redis connection and
// tops budget leases up, reports what was spent, renews and returns leases, and publishes this
// node's provider ejections; one subscriber thread that hears the other nodes' ejections. The
// hot path never waits on it: admission reads the leases under their account locks, and a
// request that does not fit waits for a top-up here, off the I/O threads (actors::lease_source).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/budget_book.hpp"
#include "actors/ports/clock.hpp"
#include "actors/ports/lease_source.hpp"
#include "actors/ports/wall_clock.hpp"
#include "config/cluster_config.hpp"
#include "runtime/ejection_message.hpp"
#include "runtime/redis_client.hpp"

struct redisContext;

namespace switchyard::runtime {

/// Redis operations by kind: the `op` label of `switchyard_counters_operations_total`.
enum class counters_op : std::uint8_t {
  acquire,
  report,
  release,
  publish,
  subscribe,
  ping,
  script_load,
  rate_take
};
inline constexpr std::size_t counters_op_count = 8;
const char* to_string(counters_op op) noexcept;

/// Live figures of the counters service, for metrics (all monotonic but the gauges).
struct counters_stats {
  std::array<std::atomic<std::uint64_t>, counters_op_count> operations{};
  std::atomic<bool> up{false};                            ///< the last exchange succeeded
  std::atomic<std::uint64_t> lease_waits_answered{0};     ///< requests that waited for a top-up
  std::atomic<std::uint64_t> lease_waits_unreachable{0};  ///< … and found Redis unreachable
  std::atomic<std::uint64_t> rate_waits_answered{0};      ///< requests that waited for a slice
  std::atomic<std::uint64_t> rate_waits_unreachable{0};   ///< … and found Redis unreachable
  std::atomic<std::uint64_t> ejections_published{0};
  std::atomic<std::uint64_t> ejections_received{0};    ///< from other nodes, applied here
  std::atomic<std::uint64_t> ejections_malformed{0};   ///< refused payloads on the channel
  std::atomic<std::int64_t> leases_held_micro_usd{0};  ///< Σ leases held, after the last tick
  std::atomic<std::int64_t> leased_accounts{0};        ///< accounts holding a lease
};

class counters_service final : public actors::lease_source {
 public:
  struct options {
    redis_endpoint endpoint;
    config::cluster_config cluster;  ///< `node_id` already filled in
    redis_client_options client;
    /// A top-up that waited this long in the queue is answered "unreachable" without trying.
    std::chrono::milliseconds wait_limit{2'000};
  };
  /// Another node ejected `provider` for `duration`.
  using ejection_handler =
      std::function<void(const std::string& provider, std::chrono::milliseconds duration)>;

  counters_service(options o, std::shared_ptr<const actors::wall_clock> wall,
                   std::shared_ptr<const actors::clock> mono);
  ~counters_service() override;
  counters_service(const counters_service&) = delete;
  counters_service& operator=(const counters_service&) = delete;

  /// Pings Redis once on the calling thread (start-up, never an I/O thread), then starts the
  /// worker and subscriber threads. Returns why the ping failed ("" when Redis answered): the
  /// node serves either way and recovers when Redis comes.
  std::string start(ejection_handler on_ejection);

  /// Returns the free part of every lease and reports unreported spend (best effort), answers
  /// waiting top-ups "unreachable", and joins the threads. Idempotent.
  void stop();

  // actors::lease_source
  bool up() const noexcept override { return stats_.up.load(std::memory_order_relaxed); }
  const config::counters_down_config& when_down() const noexcept override {
    return options_.cluster.on_counters_down;
  }
  void top_up(std::vector<std::pair<std::shared_ptr<actors::limit_account>, double>> shortfall,
              std::function<void(bool answered)> done) override;
  void take_rates(std::vector<actors::rate_need> needs,
                  std::function<void(bool answered)> done) override;

  /// Queues the broadcast of this node's ejection of `provider`. Never blocks (it runs under the
  /// provider's health lock); dropped when 1000 are already queued.
  void publish_ejection(const std::string& provider, std::chrono::milliseconds duration);

  const counters_stats& stats() const noexcept { return stats_; }
  const std::string& node_id() const noexcept { return options_.cluster.node_id; }

 private:
  using account_ptr = std::shared_ptr<actors::limit_account>;
  struct job {
    std::vector<std::pair<account_ptr, double>> shortfall;
    std::vector<actors::rate_need> rates;  // a rate job when not empty
    std::function<void(bool)> done;
    std::chrono::steady_clock::time_point queued;
  };
  // An account this node holds (or held) a lease of: reported, renewed and returned each tick.
  struct tracked {
    std::weak_ptr<actors::limit_account> account;
    actors::clock::time_point renewed{};           // the last exchange that renewed the lease
    actors::clock::time_point pool_short_until{};  // a background top-up found the pool short
  };
  // One script call and the exchange it carries.
  struct call {
    account_ptr account;
    actors::lease_exchange exchange;
    redis_eval eval;
    bool acquire = false;
  };

  void run_worker();
  void run_subscriber();
  void listen(redisContext* c);
  void deliver(const std::string& payload);
  bool stopping_flag();
  void serve(redis_client& client, job& j);
  void serve_rates(redis_client& client, job& j);
  // Gives back the unused part of every slice whose second has ended, or of every slice
  // (`final`, at stop), in one round trip.
  void give_back_rates(redis_client& client, bool final);
  // Sends the takes in one round trip and applies the answers; false when Redis was unreachable.
  bool exchange_rates(redis_client& client,
                      std::vector<std::pair<account_ptr, actors::rate_exchange>>& takes);
  void enqueue(job j);
  void tick(redis_client& client, bool final);
  // Sends `calls` in one round trip and applies the answers; false when Redis was unreachable
  // (every exchange is then given back to its account).
  bool exchange(redis_client& client, std::vector<call>& calls);
  void publish(redis_client& client, std::deque<std::string>& payloads);
  call make_call(account_ptr account, actors::lease_exchange ex, bool acquire, double want,
                 double need) const;
  void track(const account_ptr& a);
  void count(std::string_view op) noexcept;
  bool sleep_unless_stopping(std::chrono::milliseconds d);

  options options_;
  std::shared_ptr<const actors::wall_clock> wall_;
  std::shared_ptr<const actors::clock> mono_;
  ejection_handler on_ejection_;
  counters_stats stats_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool started_ = false;
  std::deque<job> jobs_;
  std::deque<std::string> publishes_;

  // The worker's own (no lock).
  std::unordered_map<const actors::limit_account*, tracked> tracked_;

  std::thread worker_;
  std::thread subscriber_;
};

}  // namespace switchyard::runtime
