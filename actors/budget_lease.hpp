// Budget leases (`counters: redis://…`): a node spends a shared budget from a local lease — a
// slice of what remains, granted by the shared counters — so that admission stays a local,
// lock-protected decision. The counters thread (runtime/counters_service) tops leases up, reports
// what was spent, renews and returns them; budget_book admits against them. See
// docs/architecture.md, "Cluster counters".
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "actors/ports/clock.hpp"
#include "config/budget_period.hpp"

namespace switchyard::actors {

/// How `budget_book::admit` treats a leased budget whose lease is too small for the request.
enum class lease_mode : std::uint8_t {
  wait,         ///< ask for a top-up: the verdict lists the shortfall, nothing is taken
  final,        ///< the counters answered: decide on the lease as it is (cap the output or 402)
  down_closed,  ///< the counters are unreachable: a lease too small means 503
  down_open,    ///< the counters are unreachable: decide on this node's own figures
};

/// How large a slice a node asks for, for a budget of `limit` USD: a twentieth of it (the
/// counters shrink it as the budget runs out); a top-up starts below half a slice.
struct lease_sizing {
  double want = 0;       ///< the slice asked for
  double floor = 0;      ///< the smallest slice worth granting while enough remains
  double low_water = 0;  ///< a lease with less room than this is topped up in the background
};

inline lease_sizing size_lease(double limit_usd) noexcept {
  lease_sizing s;
  s.want = limit_usd / 20;
  s.floor = limit_usd / 1000;
  s.low_water = s.want / 2;
  return s;
}

/// The per-account lease state, kept by `limit_account` under its lock.
struct budget_lease {
  std::string counter_id;   ///< "tenant:<name>" or "key:<key id>": names the shared keys
  double held = 0;          ///< USD this node may still commit: granted minus settled here
  double unreported = 0;    ///< settled here, not yet reported to the counters
  double seed = 0;          ///< the period's spend read from the usage store (seeds the counters)
  double global_spent = 0;  ///< the cluster's spend at the last answer
  bool answered = false;    ///< an answer arrived for the current period
  clock::time_point valid_until{};    ///< not renewed since: the counters may have reclaimed it
  clock::time_point no_wait_until{};  ///< the pool was short: decide without waiting until then
  clock::time_point last_used{};      ///< the last admission that reserved from it
  config::wall_time period_start{};   ///< the period the lease belongs to
};

/// One exchange of the counters thread about one account, taken under the account's lock.
struct lease_exchange {
  std::string counter_id;
  config::wall_time period_start{};
  config::wall_time period_end{};  ///< `wall_time::max()` for period `total`
  double limit = 0;                ///< the budget's USD
  double seed = 0;                 ///< see budget_lease::seed
  double reported = 0;             ///< unreported spend taken for this exchange
  double released = 0;             ///< room taken to be returned (a release)
  double held = 0;                 ///< the lease before the exchange
  double room = 0;                 ///< held minus reserved, before the exchange
  double need = 0;                 ///< a waiting request's shortfall (top-ups)
  bool valid = false;              ///< the lease was renewed within its TTL
  clock::time_point sent_at{};
  clock::time_point last_used{};
};

/// What the counters answered (every script answers with the node's lease after it).
struct lease_answer {
  double granted = 0;                     ///< added to the lease (acquire)
  double own = 0;                         ///< this node's lease in the counters after the script
  double spent = 0;                       ///< the cluster's spend in the period after the script
  std::chrono::milliseconds ttl{0};       ///< the lease is valid for this long after `sent_at`
  std::chrono::milliseconds hold_off{0};  ///< when the pool is short: no waiting this long
};

}  // namespace switchyard::actors
