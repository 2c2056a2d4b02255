// The control plane's front door: builds the actor tree from a config snapshot and starts one
// request actor per request. The runtime owns one `gateway`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/budget_book.hpp"
#include "actors/ports/clock.hpp"
#include "actors/ports/lease_source.hpp"
#include "actors/ports/request_observer.hpp"
#include "actors/ports/response_sink.hpp"
#include "actors/ports/upstream_transport.hpp"
#include "actors/ports/usage_journal.hpp"
#include "actors/ports/usage_store.hpp"
#include "actors/provider_stats.hpp"
#include "actors/usage_writer.hpp"
#include "config/config.hpp"
#include "protocols/openai_request.hpp"

namespace switchyard::actors {

/// One authenticated, decoded request, ready for the control plane.
struct request_context {
  std::string request_id;
  /// The id of this request's usage record (see record_id.hpp); `submit` draws one when empty.
  std::string record_id;
  const config::tenant_config* tenant = nullptr;  ///< lives in `tenant_owner`
  const config::key_config* key = nullptr;  ///< the key used; lives in `tenant_owner`; may be null
  /// Keeps `tenant` and `key` alive: tenants change at run time (admin API, reload), and a
  /// request keeps the one it authenticated as until it ends.
  config::snapshot_ptr tenant_owner;
  std::string key_prefix;
  std::string key_id;  ///< see runtime::principal::key_id
  protocols::inbound_request request;
  std::shared_ptr<response_sink> sink;
  std::chrono::steady_clock::time_point received;
  std::size_t body_bytes = 0;  ///< the request body's size, for the budget's prompt estimate
  /// Set by the gateway: the output cap a budget imposes on every attempt (see budget_book).
  std::optional<std::uint32_t> output_cap;
};

/// Counters of the request-actor population.
struct request_population {
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::uint64_t> started_total{0};
  std::atomic<std::uint64_t> crashed_total{0};  ///< turned into a 500 for their client
};

class routing_table;

/// Owns the provider supervisor and its provider actors; spawns request actors.
class gateway {
 public:
  /// The ports the control plane talks through.
  struct ports {
    std::shared_ptr<upstream_transport> transport;
    std::shared_ptr<request_observer> observer;  ///< may be null
    std::shared_ptr<const clock> time;           ///< null = steady clock
    std::shared_ptr<usage_store> usage;          ///< null = usage records are not stored
    std::shared_ptr<const wall_clock> wall;      ///< null = system clock (budget periods)
    /// Write-ahead journal of usage records (null = records wait in memory only). Its leftovers
    /// from an earlier run are stored when the gateway is built.
    std::shared_ptr<usage_journal> journal;
    /// Shared budget leases (`counters: redis://…`); null = budgets are this node's alone.
    std::shared_ptr<lease_source> leases;
  };

  gateway(caf::actor_system& system, config::snapshot_ptr config, ports p);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  /// Starts a request actor for `ctx`. Never blocks; every outcome ends at `ctx.sink`.
  void submit(request_context ctx);

  /// The configuration this gateway was built from.
  const config::snapshot_ptr& config() const noexcept { return config_; }

  /// Live per-provider figures of the providers routed now, in `routes()->config()->providers`
  /// order (a reload may add, replace or remove providers).
  std::vector<std::shared_ptr<provider_stats>> provider_stats_list() const;

  /// The routing table requests start with now: the current config's providers, their actors
  /// and stats, in one consistent snapshot.
  std::shared_ptr<const routing_table> routes() const;

  /// The monotonic clock the providers' health (circuit, cooldown) is measured on.
  const clock& time() const noexcept { return *ports_.time; }

  /// Request actors alive now, started, crashed.
  const request_population& requests() const noexcept { return *population_; }

  /// Looks up the record of `request_id` made with key `key_id`; `done` runs once, on an actor
  /// thread, with the record or nullopt (not found, another key's, or no usage store).
  void find_usage(std::string request_id, std::string key_id,
                  std::function<void(std::optional<request_record>)> done);

  /// Budgets and rate limits of every tenant and key.
  const budget_book& budgets() const noexcept { return *budgets_; }
  /// For `budget_book::reconfigure` when the tenants and keys change at run time.
  budget_book& budgets() noexcept { return *budgets_; }

  /// Why the current period's spend could not be read back from the usage store at start (the
  /// gateway must not serve then: budgets would start from zero); empty when it was.
  const std::string& budget_seed_error() const noexcept { return seed_error_; }

  /// The usage writer's figures (all zero without a usage store).
  const usage_writer_stats& usage_stats() const noexcept { return *usage_stats_; }

  /// The usage journal's figures; null without a journal.
  const journal_stats* journal_figures() const noexcept {
    return ports_.journal ? &ports_.journal->stats() : nullptr;
  }

  /// Writes every usage record still waiting (after the runtime has drained requests), then
  /// stops the usage writer and the provider actors. False when records could not be stored
  /// within `flush_timeout`.
  bool stop(std::chrono::milliseconds flush_timeout = std::chrono::seconds(10));

  /// Hot reload: routes requests by `next` (providers, models, targets, prices) from now on, in
  /// one step; requests already started keep their routes, and the provider actors and settings
  /// those name (see provider_supervisor). Blocks until the new routes are published; false when
  /// the supervisor did not answer within `timeout`.
  bool reload(config::snapshot_ptr next,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// The current actor of provider `index` (tests kill it to exercise supervision).
  caf::actor provider_actor_for_test(std::size_t index) const;

 private:
  // Admission and the first attempt of `submit`; `mode` says what a lease too small does (a
  // request waiting for a top-up comes back here with the answer).
  void dispatch(request_context ctx, lease_mode mode, bool rates_answered = false);
  // Asks the lease source for `shortfall`, then dispatches `ctx` again with the outcome.
  void wait_for_leases(request_context ctx,
                       std::vector<std::pair<std::shared_ptr<limit_account>, double>> shortfall);
  // Asks the lease source for new rate slices, then dispatches `ctx` again with the outcome.
  void wait_for_rates(request_context ctx, std::vector<rate_need> shortfall);

  caf::actor_system& system_;
  config::snapshot_ptr config_;
  ports ports_;
  std::shared_ptr<request_population> population_;
  std::shared_ptr<std::atomic<std::shared_ptr<const routing_table>>> routes_;
  caf::actor provider_supervisor_;
  std::shared_ptr<usage_writer_stats> usage_stats_;
  std::shared_ptr<budget_book> budgets_;
  std::string seed_error_;
  caf::actor usage_writer_;  ///< null without a usage store
};

}  // namespace switchyard::actors
