// Budgets and rate limits on the hot path: one lock-protected account per tenant and per key,
// checked and charged by the ingress thread in one short critical section (no mailbox round
// trip), with reservations held by an RAII object so that no path can leak one. Periods reset
// lazily at UTC boundaries read from the injected wall clock (and by `budget_book::roll_periods`,
// which a timer calls so that an idle account resets too); rate windows slide over the monotonic
// one (see rate_window.hpp).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/budget_lease.hpp"
#include "actors/ports/clock.hpp"
#include "actors/ports/wall_clock.hpp"
#include "actors/rate_slice.hpp"
#include "actors/rate_window.hpp"
#include "config/budget_period.hpp"
#include "config/config.hpp"
#include "protocols/error.hpp"

namespace switchyard::actors {

/// Output tokens reserved for a request that names no `max_tokens` while a budget applies; such
/// a request is sent upstream with this cap, so that it can never cost more than it reserved.
inline constexpr std::uint32_t default_output_reserve = 4096;
/// The smallest answer worth sending: with less budget left than a request of this many output
/// tokens could cost, the answer is 402.
inline constexpr std::uint32_t min_output_tokens = 16;
/// Why a request was refused before dispatch (the `reason` label of the rejection counter).
enum class limit_reason : std::uint8_t { budget, rpm, tpm };
inline constexpr std::size_t limit_reason_count = 3;

/// "budget", "rpm" or "tpm".
const char* to_string(limit_reason r) noexcept;

/// A time until a window resets as OpenAI's `x-ratelimit-reset-*` headers spell it (Go duration
/// style): "250ms", "1.5s", "1m0s".
std::string reset_duration(std::chrono::milliseconds d);

/// What one request may cost at most, from its estimate and its plan's prices.
struct spend_demand {
  std::uint32_t prompt_tokens = 0;          ///< estimate of the prompt (see `prompt_estimate`)
  std::optional<std::uint32_t> max_tokens;  ///< the client's output cap, if any
  double input_usd_per_token = 0;           ///< highest input price over the plan's targets
  double output_usd_per_token = 0;          ///< highest output price over the plan's targets
};

/// The reservation's prompt-token estimate: the request body's bytes / 4, rounded up (a JSON
/// body is never shorter than its text, so this errs high), and never below the decoder's
/// estimate of the message text.
std::uint32_t prompt_estimate(std::size_t body_bytes, std::uint32_t text_estimate) noexcept;

/// A budget's figures at one moment.
struct budget_state {
  config::budget_config config;
  double spent = 0;                ///< settled in the current period
  double reserved = 0;             ///< held by requests in flight
  double remaining = 0;            ///< usd - spent - reserved, never below 0
  std::uint64_t reservations = 0;  ///< requests in flight holding a reservation
  config::wall_time period_start;
  config::wall_time reset_at;  ///< `wall_time::max()` for period `total`
  bool near_cap = false;       ///< spent >= soft_threshold * usd
};

/// One tenant's or one key's budget and rate windows. Thread-safe.
class limit_account {
 public:
  limit_account(std::string label, const config::limits_config& limits, config::wall_time now);

  /// The budget's figures now; nullopt without a budget.
  std::optional<budget_state> budget(config::wall_time now) const;
  /// The request (rpm) and token (tpm) windows now; nullopt without that limit.
  std::optional<rate_state> requests(clock::time_point now) const;
  std::optional<rate_state> tokens(clock::time_point now) const;

  /// Adds spend made before this process started (the usage store's sum for the current period).
  void seed_spend(double usd);

  /// Applies new limits (a reload or an admin change), keeping the spend, the reservations and
  /// the rate windows. True when the budget's current period now starts from zero and should be
  /// seeded from the usage store: a budget was added, or its period changed.
  bool set_limits(const config::limits_config& limits, config::wall_time now);

  /// "key `ci`", "this key" or "tenant `team-a`": names the budget in errors, never a key.
  const std::string& label() const noexcept { return label_; }

  // ---- cluster leases (see budget_lease.hpp) --------------------------------------------------

  /// From now on the budget is spent from a lease of the shared budget named `counter_id`.
  void enable_lease(std::string counter_id);
  /// True when the budget is spent from a lease.
  bool leased() const;
  /// Takes what one exchange with the counters needs: the unreported spend (when `report`), and
  /// the free room when the lease was last used before `idle_before` (a release; `{}` = never,
  /// `time_point::max()` = always). Nullopt without a leased budget. Every begun exchange ends
  /// with `end_lease_exchange` or `fail_lease_exchange`.
  std::optional<lease_exchange> begin_lease_exchange(config::wall_time wall, clock::time_point mono,
                                                     bool report, clock::time_point idle_before);
  /// Applies the counters' answer: adds the grant, never keeps more than the counters hold for
  /// this node, and renews the lease.
  void end_lease_exchange(const lease_exchange& ex, const lease_answer& answer,
                          clock::time_point mono);
  /// The exchange did not happen: the spend and the room it took come back.
  void fail_lease_exchange(const lease_exchange& ex);

  // ---- cluster rate slices (see rate_slice.hpp); leased accounts only ------------------------

  /// A take for window `kind` with room for `need` (`need == 0`: only give back the unused part
  /// of a slice whose second has ended). Nullopt when there is nothing to send: no such limit,
  /// no cluster mode, an exchange under way, the slice already has the room, or nothing to give
  /// back. Every begun exchange ends with `end_rate_exchange` or `fail_rate_exchange`.
  std::optional<rate_exchange> begin_rate_exchange(rate_kind kind, std::uint64_t need,
                                                   clock::time_point mono);
  /// Applies `rate_take`'s answer: the grant is the new slice (for one `slice_life`), charged
  /// with what the old one had admitted beyond its grant.
  void end_rate_exchange(const rate_exchange& ex, const rate_answer& answer,
                         clock::time_point mono);
  /// The take did not happen: what it gave back stays counted in Redis (errs toward fewer).
  void fail_rate_exchange(const rate_exchange& ex);
  /// The slice of window `kind` as it is now (for tests and metrics).
  rate_slice slice(rate_kind kind) const;

 private:
  friend class budget_book;
  friend class budget_hold;

  // Everything below needs `mutex_`.
  /// Starts the budget's new period when the current one has ended; true when it did.
  bool roll(config::wall_time wall);
  double remaining_locked() const;
  // What the lease lets this node reserve now (+inf without a lease).
  double lease_room_locked(clock::time_point mono) const;
  // The figures of window `kind` for the x-ratelimit headers: the shared window's as last heard
  // (`shared`) or this node's own.
  rate_state rate_state_locked(rate_kind kind, bool shared, clock::time_point mono) const;

  mutable std::mutex mutex_;
  std::string label_;
  std::optional<config::budget_config> budget_;
  std::uint32_t rpm_ = 0;
  std::uint32_t tpm_ = 0;
  double spent_ = 0;
  double reserved_ = 0;
  std::uint64_t reservations_ = 0;
  config::wall_time period_start_{};
  config::wall_time period_end_{};
  rate_window requests_;
  rate_window tokens_;
  std::unique_ptr<budget_lease> lease_;               // cluster mode only
  std::array<rate_slice, rate_kind_count> slices_{};  // cluster mode only (with `lease_`)
};

/// One request's reservation against its key's and its tenant's accounts. Settling charges the
/// real cost and releases the rest; destroying an unsettled hold releases everything (a crashed
/// or abandoned request never keeps budget locked).
class budget_hold {
 public:
  /// `charged_tokens` went to tpm bucket `charged_bucket` of both accounts at admission.
  budget_hold(std::shared_ptr<limit_account> key, std::shared_ptr<limit_account> tenant,
              double reserved_usd, std::uint32_t charged_tokens, std::int64_t charged_bucket,
              std::shared_ptr<const wall_clock> wall, std::shared_ptr<const clock> mono);
  ~budget_hold();
  budget_hold(const budget_hold&) = delete;
  budget_hold& operator=(const budget_hold&) = delete;

  /// Charges `usd` and `tokens` (input + output) and releases the reservation. Once. The tokens
  /// correct the tpm bucket the estimate was charged to, while that bucket is in the window.
  void settle(double usd, std::uint64_t tokens);

  double reserved_usd() const noexcept { return reserved_usd_; }

 private:
  std::shared_ptr<limit_account> key_;
  std::shared_ptr<limit_account> tenant_;
  double reserved_usd_;
  std::uint32_t charged_tokens_;
  std::shared_ptr<const wall_clock> wall_;
  std::shared_ptr<const clock> mono_;
  std::int64_t charged_bucket_;  // the tpm bucket the prompt estimate went to
  bool settled_ = false;
};

/// The outcome of `budget_book::admit`.
struct admission_verdict {
  /// 402 or 429 (with Retry-After); nullopt when admitted.
  std::optional<protocols::error_info> error;
  std::optional<limit_reason> reason;
  /// The output cap to send upstream instead of the client's (lowered to fit the budget, or
  /// `default_output_reserve` when the client named none); nullopt = send the request as is.
  std::optional<std::uint32_t> max_tokens;
  std::shared_ptr<budget_hold> hold;  ///< null when refused
  /// `x-ratelimit-*` response headers of the tightest limit (empty without rate limits).
  std::vector<std::pair<std::string, std::string>> headers;
  /// `lease_mode::wait` only: leases too small for the request, and the room (USD) each needs
  /// for it. Nothing was taken; admit again once they are topped up.
  std::vector<std::pair<std::shared_ptr<limit_account>, double>> lease_shortfall;
  /// `lease_mode::wait` only, cluster mode: shared rate windows whose slice is too small for the
  /// request, and what it needs from each. Nothing was taken; admit again (mode `final`) once
  /// the counters answered.
  std::vector<rate_need> rate_shortfall;
};

/// Rejections per tenant, for metrics.
struct tenant_limit_stats {
  std::array<std::atomic<std::uint64_t>, limit_reason_count> rejected{};
};

/// Every account of the effective configuration. The account index is immutable and published
/// through an atomic shared_ptr, so lookups take no lock; `reconfigure` publishes a new index that
/// keeps the accounts (and their state) of the tenants and keys that still exist.
class budget_book {
 public:
  budget_book(const config::snapshot& config, std::shared_ptr<const wall_clock> wall,
              std::shared_ptr<const clock> mono);

  /// Checks the rate limits and budgets of `key_id` and of `tenant` together, and takes what the
  /// request needs from both, or nothing. `mode` says what a leased budget whose lease is too
  /// small does (irrelevant without leases). `rates_answered`: the counters answered this
  /// request's rate takes, so a slice still too small refuses it (429) rather than asking again.
  admission_verdict admit(const config::tenant_config& tenant, const std::string& key_id,
                          const spend_demand& demand, lease_mode mode = lease_mode::wait,
                          bool rates_answered = false);

  /// Cluster mode: every budget, of the accounts there are and of those to come, is spent from a
  /// lease. Called once, before the first request.
  void enable_leases();

  /// The account of a tenant / of a key (by `key_id`, see runtime::principal), or null.
  std::shared_ptr<limit_account> tenant_account(const std::string& tenant) const;
  std::shared_ptr<limit_account> key_account(const std::string& key_id) const;
  /// A tenant's rejection counters, or null.
  std::shared_ptr<const tenant_limit_stats> tenant_stats(const std::string& tenant) const;

  /// One tenant of the current index.
  struct tenant_view {
    std::string name;
    std::shared_ptr<const limit_account> account;
    std::shared_ptr<const tenant_limit_stats> stats;
  };
  /// Every tenant the book holds now — from the configuration file or created through the admin
  /// API — by name, for metrics read at scrape time.
  std::vector<tenant_view> tenants() const;

  /// Starts the new budget period of every account (tenant and key) whose period has ended at
  /// the wall clock's now, requested or not, so that spend drops at the UTC boundary for an idle
  /// account too. Called every second by the process (see runtime/period_sweep.hpp). Returns how
  /// many accounts started a new period.
  std::size_t roll_periods();

  /// One budget to rebuild at start: who, and since when its current period runs.
  struct seed_request {
    std::string tenant;
    std::string key_id;  ///< empty for the tenant's own budget
    config::wall_time since;
  };
  /// The budgets whose current-period spend must be read from the usage store at start.
  std::vector<seed_request> seed_requests() const;

  /// Reads a budget's spend since `since` from the usage store (0 when it cannot; the caller logs).
  using spend_reader = std::function<double(const seed_request&)>;
  /// Follows a new effective configuration: accounts of tenants and keys that still exist keep
  /// their spend, reservations and windows and take the new limits; new tenants and keys get new
  /// accounts; accounts of the ones gone leave the index (holds in flight keep theirs alive until
  /// they settle). Every budget that starts a period from zero here (new account, budget added,
  /// period changed) is seeded through `read_spend` (may be null) before the new index is
  /// published. Serialized internally; requests keep being admitted meanwhile.
  void reconfigure(const config::snapshot& config, const spend_reader& read_spend);

  const std::shared_ptr<const wall_clock>& wall() const noexcept { return wall_; }
  const std::shared_ptr<const clock>& mono() const noexcept { return mono_; }

 private:
  struct tenant_entry {
    std::shared_ptr<limit_account> account;
    std::shared_ptr<tenant_limit_stats> stats;
  };
  struct key_entry {
    std::string tenant;
    std::shared_ptr<limit_account> account;
  };
  struct account_index {
    std::unordered_map<std::string, tenant_entry> tenants;  // by tenant name
    std::unordered_map<std::string, key_entry> keys;        // by key id
  };
  std::shared_ptr<const account_index> index() const {
    return index_.load(std::memory_order_acquire);
  }

  std::shared_ptr<const wall_clock> wall_;
  std::shared_ptr<const clock> mono_;
  std::mutex reconfigure_mutex_;  // one reconfigure at a time; never taken by requests
  std::atomic<bool> leases_{false};
  std::atomic<std::shared_ptr<const account_index>> index_;
};

}  // namespace switchyard::actors
