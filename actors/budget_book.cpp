// Budgets and rate limits (see budget_book.hpp). Every check and every charge of one request
// happens under its key's and its tenant's locks, taken in that order (a key's lock is never
// taken while its tenant's is held), so concurrent requests can never both take the last dollar.
#include "actors/budget_book.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace switchyard::actors {

using protocols::gateway_error;
using protocols::make_error;

namespace {

std::string usd(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string_view per(config::budget_period p) {
  switch (p) {
    case config::budget_period::daily:
      return "per day";
    case config::budget_period::weekly:
      return "per week";
    case config::budget_period::monthly:
      return "per month";
    case config::budget_period::total:
      return "in total";
  }
  return "";
}

}  // namespace

std::string reset_duration(std::chrono::milliseconds d) {
  const auto ms = std::max<std::int64_t>(d.count(), 0);
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms >= 60'000) {
    const auto s = ms / 1000;
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  }
  std::string out = std::to_string(ms / 1000);
  if (auto frac = ms % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "s";
}

namespace {

std::uint32_t retry_after_seconds(std::chrono::milliseconds reset_in) {
  const auto s = (reset_in.count() + 999) / 1000;
  return static_cast<std::uint32_t>(std::max<std::int64_t>(s, 1));
}

// The names of an account's shared counters: tenant names are identifiers and key ids hex, so
// both are safe inside a Redis key.
std::string tenant_counter_id(const std::string& tenant) {
  return "tenant:" + tenant;
}
std::string key_counter_id(const std::string& key_id) {
  return "key:" + key_id;
}

std::string key_label(const config::key_config* key) {
  if (key != nullptr && !key->name.empty()) return "key `" + key->name + "`";
  return "this key";
}

}  // namespace

const char* to_string(limit_reason r) noexcept {
  switch (r) {
    case limit_reason::budget:
      return "budget";
    case limit_reason::rpm:
      return "rpm";
    case limit_reason::tpm:
      return "tpm";
  }
  return "budget";
}

std::uint32_t prompt_estimate(std::size_t body_bytes, std::uint32_t text_estimate) noexcept {
  const std::uint64_t from_bytes = body_bytes / 4 + (body_bytes % 4 != 0 ? 1 : 0);
  const std::uint64_t e = std::max<std::uint64_t>(from_bytes, text_estimate);
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(e, std::numeric_limits<std::uint32_t>::max()));
}

// --- limit_account ---------------------------------------------------------------------------

limit_account::limit_account(std::string label, const config::limits_config& limits,
                             config::wall_time now)
    : label_(std::move(label)), budget_(limits.budget), rpm_(limits.rpm), tpm_(limits.tpm) {
  if (budget_) {
    period_start_ = config::period_start(budget_->period, now);
    period_end_ = config::period_end(budget_->period, now);
  }
}

bool limit_account::roll(config::wall_time wall) {
  if (!budget_ || wall < period_end_) return false;
  // A new period: what was spent belongs to the old one. Reservations in flight stay held and
  // settle into the period in which they end.
  spent_ = 0;
  period_start_ = config::period_start(budget_->period, wall);
  period_end_ = config::period_end(budget_->period, wall);
  if (lease_) {
    // The old period's lease is of no use now: it expires in the counters. Spend not yet
    // reported is reported into the new period (it errs toward spending less).
    lease_->held = 0;
    lease_->seed = 0;
    lease_->answered = false;
    lease_->period_start = period_start_;
  }
  return true;
}

double limit_account::remaining_locked() const {
  return budget_ ? budget_->usd - spent_ - reserved_ : std::numeric_limits<double>::infinity();
}

double limit_account::lease_room_locked(clock::time_point mono) const {
  if (!lease_ || !budget_) return std::numeric_limits<double>::infinity();
  // A lease the counters may have reclaimed (not renewed within its TTL) is not spent.
  if (mono >= lease_->valid_until || lease_->period_start != period_start_) return 0;
  return lease_->held - reserved_;
}

std::optional<budget_state> limit_account::budget(config::wall_time now) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!budget_) return std::nullopt;
  budget_state s;
  s.config = *budget_;
  const bool rolled = now >= period_end_;  // not yet rolled by a request: report the new period
  s.spent = rolled ? 0 : spent_;
  // With a lease, the cluster's spend as last heard, plus what this node has not reported yet.
  if (lease_ && !rolled && lease_->answered)
    s.spent = std::max(s.spent, lease_->global_spent + lease_->unreported);
  s.reserved = reserved_;
  s.reservations = reservations_;
  s.remaining = std::max(0.0, budget_->usd - s.spent - reserved_);
  s.period_start = rolled ? config::period_start(budget_->period, now) : period_start_;
  s.reset_at = rolled ? config::period_end(budget_->period, now) : period_end_;
  s.near_cap = s.spent >= budget_->soft_threshold * budget_->usd;
  return s;
}

std::optional<rate_state> limit_account::requests(clock::time_point now) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (rpm_ == 0) return std::nullopt;
  return requests_.state(rpm_, now);
}

std::optional<rate_state> limit_account::tokens(clock::time_point now) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (tpm_ == 0) return std::nullopt;
  return tokens_.state(tpm_, now);
}

void limit_account::seed_spend(double usd) {
  std::lock_guard<std::mutex> guard{mutex_};
  spent_ += usd;
  if (lease_) lease_->seed += usd;
}

void limit_account::enable_lease(std::string counter_id) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (lease_) return;
  lease_ = std::make_unique<budget_lease>();
  lease_->counter_id = std::move(counter_id);
  lease_->seed = spent_;  // whatever was seeded before
  lease_->period_start = period_start_;
}

bool limit_account::leased() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return lease_ != nullptr && budget_.has_value();
}

std::optional<lease_exchange> limit_account::begin_lease_exchange(config::wall_time wall,
                                                                  clock::time_point mono,
                                                                  bool report,
                                                                  clock::time_point idle_before) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!lease_ || !budget_) return std::nullopt;
  roll(wall);
  lease_exchange ex;
  ex.counter_id = lease_->counter_id;
  ex.period_start = period_start_;
  ex.period_end = period_end_;
  ex.limit = budget_->usd;
  ex.seed = lease_->seed;
  ex.held = lease_->held;
  ex.room = lease_room_locked(mono);
  ex.valid = mono < lease_->valid_until;
  ex.sent_at = mono;
  ex.last_used = lease_->last_used;
  if (report) {
    ex.reported = lease_->unreported;
    lease_->unreported = 0;
  }
  if (lease_->last_used < idle_before && ex.room > 0) {
    // Only the free room: reservations in flight still settle against the lease.
    ex.released = ex.room;
    lease_->held -= ex.room;
  }
  return ex;
}

void limit_account::end_lease_exchange(const lease_exchange& ex, const lease_answer& a,
                                       clock::time_point mono) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!lease_ || lease_->period_start != ex.period_start) return;  // rolled meanwhile
  lease_->held += a.granted;
  // Never more than the counters hold for this node, less what it settled since: a lease they
  // reclaimed (this node's reports stopped for a TTL) is gone.
  lease_->held = std::min(lease_->held, a.own - lease_->unreported);
  lease_->global_spent = a.spent;
  lease_->answered = true;
  if (a.own > 0 || a.granted > 0) lease_->valid_until = ex.sent_at + a.ttl;
  // The pool could not give what a waiting request lacked: the next ones decide on what is
  // here rather than each asking again.
  if (ex.need > 0 && a.granted < ex.need) lease_->no_wait_until = mono + a.hold_off;
}

void limit_account::fail_lease_exchange(const lease_exchange& ex) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!lease_) return;
  lease_->unreported += ex.reported;
  if (lease_->period_start == ex.period_start) lease_->held += ex.released;
}

std::optional<rate_exchange> limit_account::begin_rate_exchange(rate_kind kind, std::uint64_t need,
                                                                clock::time_point mono) {
  std::lock_guard<std::mutex> guard{mutex_};
  const std::uint32_t limit = kind == rate_kind::rpm ? rpm_ : tpm_;
  auto& sl = slices_[static_cast<std::size_t>(kind)];
  if (!lease_ || limit == 0 || sl.asking) return std::nullopt;
  const bool give_back_only = need == 0;
  if (give_back_only && (mono < sl.valid_until || sl.granted <= sl.used)) return std::nullopt;
  if (!give_back_only && sl.room(mono) >= need) return std::nullopt;  // an earlier take did it
  rate_exchange ex;
  ex.counter_id = lease_->counter_id;
  ex.kind = kind;
  ex.limit = limit;
  ex.back_second = sl.second;
  ex.back_amount = sl.granted > sl.used ? sl.granted - sl.used : 0;
  ex.over = sl.used > sl.granted ? sl.used - sl.granted : 0;
  // What the old slice admitted beyond its grant (tpm corrections) must be covered by this one.
  ex.need = give_back_only ? 0 : need + ex.over;
  ex.want = give_back_only ? 0 : slice_want(limit, ex.need);
  ex.sent_at = mono;
  // The old slice ends here: what it did not use goes back with this take.
  sl.granted = 0;
  sl.used = 0;
  sl.asking = true;
  return ex;
}

void limit_account::end_rate_exchange(const rate_exchange& ex, const rate_answer& a,
                                      clock::time_point mono) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& sl = slices_[static_cast<std::size_t>(ex.kind)];
  sl.asking = false;
  sl.window_used = a.window_used;
  sl.used += ex.over;
  if (ex.want == 0) return;  // a give-back only
  sl.second = a.second;
  sl.granted = a.granted;
  sl.valid_until = ex.sent_at + slice_life;
  if (a.granted < ex.need) {
    sl.retry = std::max(a.wait, std::chrono::milliseconds{1});
    sl.refused_until = mono + std::min(sl.retry, refusal_hold_off);
  } else {
    sl.refused_until = {};
    sl.retry = std::chrono::milliseconds{0};  // no wait known: a later refusal says one second
  }
}

void limit_account::fail_rate_exchange(const rate_exchange& ex) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& sl = slices_[static_cast<std::size_t>(ex.kind)];
  sl.asking = false;
  sl.used += ex.over;
}

rate_slice limit_account::slice(rate_kind kind) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return slices_[static_cast<std::size_t>(kind)];
}

rate_state limit_account::rate_state_locked(rate_kind kind, bool shared,
                                            clock::time_point mono) const {
  const bool rpm = kind == rate_kind::rpm;
  const std::uint64_t limit = rpm ? rpm_ : tpm_;
  auto s = (rpm ? requests_ : tokens_).state(limit, mono);
  if (!shared) return s;
  // The cluster's count at the last answer, less what this node still holds unused of it.
  const auto& sl = slices_[static_cast<std::size_t>(kind)];
  const std::uint64_t taken = sl.window_used - std::min(sl.window_used, sl.room(mono));
  s.remaining = limit - std::min(limit, taken);
  return s;
}

bool limit_account::set_limits(const config::limits_config& limits, config::wall_time now) {
  std::lock_guard<std::mutex> guard{mutex_};
  rpm_ = limits.rpm;  // the windows keep what they counted: a lower limit applies at once
  tpm_ = limits.tpm;
  const bool had = budget_.has_value();
  const bool same_period = had && limits.budget && budget_->period == limits.budget->period;
  if (!limits.budget || !same_period) {
    // What was spent or reserved under no budget, or under another period, does not count
    // against this one: the caller seeds the new period's spend from the usage store. Holds in
    // flight still settle here; their release is clamped at zero, so they cannot go negative.
    spent_ = 0;
    reserved_ = 0;
    reservations_ = 0;
  }
  budget_ = limits.budget;
  if (budget_ && !same_period) {
    period_start_ = config::period_start(budget_->period, now);
    period_end_ = config::period_end(budget_->period, now);
    if (lease_) {
      // Another period is another shared budget (its keys name the period's start).
      lease_->held = 0;
      lease_->seed = 0;
      lease_->answered = false;
      lease_->period_start = period_start_;
    }
  }
  return budget_.has_value() && !same_period;
}

// --- budget_hold -----------------------------------------------------------------------------

budget_hold::budget_hold(std::shared_ptr<limit_account> key, std::shared_ptr<limit_account> tenant,
                         double reserved_usd, std::uint32_t charged_tokens,
                         std::int64_t charged_bucket, std::shared_ptr<const wall_clock> wall,
                         std::shared_ptr<const clock> mono)
    : key_(std::move(key)),
      tenant_(std::move(tenant)),
      reserved_usd_(reserved_usd),
      charged_tokens_(charged_tokens),
      wall_(std::move(wall)),
      mono_(std::move(mono)),
      charged_bucket_(charged_bucket) {}

budget_hold::~budget_hold() {
  settle(0, charged_tokens_);
}

void budget_hold::settle(double usd, std::uint64_t tokens) {
  if (settled_) return;
  settled_ = true;
  const auto wall = wall_->now();
  const auto mono = mono_->now();
  for (auto* a : {key_.get(), tenant_.get()}) {
    if (a == nullptr) continue;
    std::lock_guard<std::mutex> guard{a->mutex_};
    a->roll(wall);
    if (a->budget_) {
      a->spent_ += usd;
      if (a->lease_) {
        a->lease_->held -= usd;
        a->lease_->unreported += usd;
      }
      if (a->reservations_ > 0) --a->reservations_;
      // Sums of doubles drift: with nothing in flight, nothing is reserved.
      a->reserved_ = a->reservations_ == 0 ? 0 : std::max(0.0, a->reserved_ - reserved_usd_);
    }
    // The window was charged the prompt estimate at admission; correct that bucket to the real
    // count. Once it has left the window, neither the estimate nor the real count counts.
    const auto real = static_cast<std::int64_t>(
        std::min<std::uint64_t>(tokens, std::numeric_limits<std::int64_t>::max() / 2));
    const auto delta = real - static_cast<std::int64_t>(charged_tokens_);
    a->tokens_.correct(charged_bucket_, delta, mono);
    if (a->lease_ && a->tpm_ != 0) {
      // The shared window was charged the estimate through the slice: the difference goes to the
      // slice now held (more used, or room back), so that the cluster counts the real tokens.
      auto& sl = a->slices_[static_cast<std::size_t>(rate_kind::tpm)];
      if (delta >= 0)
        sl.used += static_cast<std::uint64_t>(delta);
      else
        sl.used -= std::min<std::uint64_t>(sl.used, static_cast<std::uint64_t>(-delta));
    }
  }
}

// --- budget_book -----------------------------------------------------------------------------

budget_book::budget_book(const config::snapshot& config, std::shared_ptr<const wall_clock> wall,
                         std::shared_ptr<const clock> mono)
    : wall_(std::move(wall)), mono_(std::move(mono)) {
  index_.store(std::make_shared<const account_index>());
  reconfigure(config, nullptr);  // the gateway seeds the first index itself (seed_requests)
}

void budget_book::reconfigure(const config::snapshot& config, const spend_reader& read_spend) {
  std::lock_guard<std::mutex> guard{reconfigure_mutex_};
  const auto old = index();
  auto next = std::make_shared<account_index>();
  const auto now = wall_->now();
  auto seed = [&](const std::shared_ptr<limit_account>& account, const std::string& tenant,
                  const std::string& key_id) {
    if (!read_spend) return;
    auto b = account->budget(now);
    if (b) account->seed_spend(read_spend(seed_request{tenant, key_id, b->period_start}));
  };
  for (const auto& t : config.tenants) {
    tenant_entry e;
    if (auto it = old->tenants.find(t.name); it != old->tenants.end()) {
      e = it->second;
      if (e.account->set_limits(t.limits, now)) seed(e.account, t.name, {});
    } else {
      e.account = std::make_shared<limit_account>("tenant `" + t.name + "`", t.limits, now);
      if (leases_.load()) e.account->enable_lease(tenant_counter_id(t.name));
      e.stats = std::make_shared<tenant_limit_stats>();
      seed(e.account, t.name, {});
    }
    next->tenants.emplace(t.name, std::move(e));
    for (const auto& k : t.keys) {
      auto id = k.hash.substr(0, 16);
      std::shared_ptr<limit_account> account;
      if (auto it = old->keys.find(id); it != old->keys.end() && it->second.tenant == t.name) {
        account = it->second.account;
        if (account->set_limits(k.limits, now)) seed(account, t.name, id);
      } else {
        account = std::make_shared<limit_account>(key_label(&k), k.limits, now);
        if (leases_.load()) account->enable_lease(key_counter_id(id));
        seed(account, t.name, id);
      }
      next->keys.emplace(std::move(id), key_entry{t.name, std::move(account)});
    }
  }
  index_.store(std::move(next), std::memory_order_release);
}

void budget_book::enable_leases() {
  std::lock_guard<std::mutex> guard{reconfigure_mutex_};
  leases_.store(true);
  const auto idx = index();
  for (const auto& [name, e] : idx->tenants) e.account->enable_lease(tenant_counter_id(name));
  for (const auto& [id, e] : idx->keys) e.account->enable_lease(key_counter_id(id));
}

std::shared_ptr<limit_account> budget_book::tenant_account(const std::string& tenant) const {
  const auto idx = index();
  auto it = idx->tenants.find(tenant);
  return it == idx->tenants.end() ? nullptr : it->second.account;
}

std::shared_ptr<limit_account> budget_book::key_account(const std::string& key_id) const {
  const auto idx = index();
  auto it = idx->keys.find(key_id);
  return it == idx->keys.end() ? nullptr : it->second.account;
}

std::shared_ptr<const tenant_limit_stats> budget_book::tenant_stats(
    const std::string& tenant) const {
  const auto idx = index();
  auto it = idx->tenants.find(tenant);
  return it == idx->tenants.end() ? nullptr : it->second.stats;
}

std::vector<budget_book::tenant_view> budget_book::tenants() const {
  const auto idx = index();
  std::vector<tenant_view> out;
  out.reserve(idx->tenants.size());
  for (const auto& [name, e] : idx->tenants) out.push_back({name, e.account, e.stats});
  std::sort(out.begin(), out.end(),
            [](const tenant_view& a, const tenant_view& b) { return a.name < b.name; });
  return out;
}

std::size_t budget_book::roll_periods() {
  const auto idx = index();
  const auto now = wall_->now();
  std::size_t rolled = 0;
  auto roll = [&](limit_account& a) {
    std::lock_guard<std::mutex> guard{a.mutex_};
    if (a.roll(now)) ++rolled;
  };
  for (const auto& [name, e] : idx->tenants) roll(*e.account);
  for (const auto& [id, e] : idx->keys) roll(*e.account);
  return rolled;
}

std::vector<budget_book::seed_request> budget_book::seed_requests() const {
  std::vector<seed_request> out;
  const auto now = wall_->now();
  const auto idx = index();
  for (const auto& [name, e] : idx->tenants) {
    if (auto b = e.account->budget(now)) out.push_back({name, {}, b->period_start});
  }
  for (const auto& [id, e] : idx->keys) {
    if (auto b = e.account->budget(now)) out.push_back({e.tenant, id, b->period_start});
  }
  return out;
}

admission_verdict budget_book::admit(const config::tenant_config& tenant, const std::string& key_id,
                                     const spend_demand& demand, lease_mode mode,
                                     bool rates_answered) {
  admission_verdict v;
  const auto idx = index();  // one index for the whole admission
  auto tenant_it = idx->tenants.find(tenant.name);
  if (tenant_it == idx->tenants.end()) return v;  // not in the book: nothing to enforce
  auto tenant_acc = tenant_it->second.account;
  std::shared_ptr<limit_account> key_acc;
  if (auto key_it = idx->keys.find(key_id); key_it != idx->keys.end())
    key_acc = key_it->second.account;
  auto& stats = *tenant_it->second.stats;
  limit_account* accounts[2] = {key_acc.get(), tenant_acc.get()};

  const auto wall = wall_->now();
  const auto mono = mono_->now();
  std::unique_lock<std::mutex> key_lock;
  if (key_acc) key_lock = std::unique_lock<std::mutex>{key_acc->mutex_};
  std::lock_guard<std::mutex> tenant_lock{tenant_acc->mutex_};

  // The tightest limit of each kind goes into the response headers, as OpenAI reports its own. On
  // a refusal, the refused kind's reset is the wait for this request (as Retry-After says).
  std::optional<std::pair<limit_reason, std::chrono::milliseconds>> refused_wait;
  bool refused_shared = false;  // the refusing window is a shared one
  // Cluster mode: rate limits are decided on the shared windows' slices (see rate_slice.hpp),
  // except while the counters are unreachable (this node's own windows, as configured).
  const bool shared_mode = mode == lease_mode::wait || mode == lease_mode::final;
  auto shared = [&](const limit_account& a) { return shared_mode && a.lease_ != nullptr; };
  auto headers = [&](limit_reason reason, std::string_view kind, auto limit_of, rate_kind rk) {
    std::optional<rate_state> best;
    for (auto* a : accounts) {
      if (a == nullptr || limit_of(*a) == 0) continue;
      auto s = a->rate_state_locked(rk, shared(*a), mono);
      if (!best || s.remaining < best->remaining) best = s;
    }
    if (!best) return;
    if (refused_wait && refused_wait->first == reason) {
      best->reset_in = refused_wait->second;
      // A shared window's count is as last heard: the refusal itself says nothing is left.
      if (refused_shared) best->remaining = 0;
    }
    v.headers.emplace_back("x-ratelimit-limit-" + std::string{kind}, std::to_string(best->limit));
    v.headers.emplace_back("x-ratelimit-remaining-" + std::string{kind},
                           std::to_string(best->remaining));
    v.headers.emplace_back("x-ratelimit-reset-" + std::string{kind},
                           reset_duration(best->reset_in));
  };
  auto rate_headers = [&] {
    v.headers.clear();
    headers(
        limit_reason::rpm, "requests", [](const limit_account& a) { return a.rpm_; },
        rate_kind::rpm);
    headers(
        limit_reason::tpm, "tokens", [](const limit_account& a) { return a.tpm_; }, rate_kind::tpm);
  };
  auto refuse = [&](limit_reason r, protocols::error_info e) {
    rate_headers();
    stats.rejected[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    v.rate_shortfall.clear();  // refused anyway: nothing to ask for
    v.reason = r;
    v.error = std::move(e);
    return std::move(v);
  };

  for (auto* a : accounts)
    if (a != nullptr) a->roll(wall);

  // Rate limits first: a refused request must not hold budget, and is not charged to any window.
  // A prompt larger than a tpm limit can never pass it: no wait would help.
  for (auto* a : accounts) {
    if (a == nullptr || a->tpm_ == 0 || demand.prompt_tokens <= a->tpm_) continue;
    return refuse(
        limit_reason::tpm,
        make_error(gateway_error::rate_limited,
                   "This request (about " + std::to_string(demand.prompt_tokens) +
                       " prompt tokens) is larger than the limit of " + a->label_ + ": " +
                       std::to_string(a->tpm_) + " tokens per minute. Send a shorter request.",
                   "messages", retry_after_seconds(rate_window::span)));
  }
  // Otherwise the request waits for the slowest of its windows: Retry-After is the longest wait
  // (a client retrying sooner would only be refused again), and the error names that limit.
  struct rate_wait {
    const limit_account* account;
    limit_reason reason;
    clock::duration wait;
  };
  std::optional<rate_wait> longest;
  auto consider = [&](const limit_account* a, limit_reason r, std::optional<clock::duration> w) {
    const auto wait = w.value_or(rate_window::span);  // nullopt: excluded above
    if (wait > clock::duration::zero() && (!longest || wait > longest->wait))
      longest = rate_wait{a, r, wait};
  };
  // A shared window decides on the slice this node holds: room → admit; the window was found
  // full a moment ago → refuse with the script's wait; else ask the counters (mode `wait`) or,
  // when they answered and it is still short (`final`), refuse.
  auto consider_shared = [&](limit_account* a, rate_kind k, std::uint64_t need) {
    const auto& sl = a->slices_[static_cast<std::size_t>(k)];
    if (sl.room(mono) >= need) return;
    const auto r = k == rate_kind::rpm ? limit_reason::rpm : limit_reason::tpm;
    if (mono < sl.refused_until || mode == lease_mode::final || rates_answered) {
      consider(a, r,
               sl.retry > std::chrono::milliseconds::zero() ? clock::duration{sl.retry}
                                                            : clock::duration{slice_life});
      return;
    }
    v.rate_shortfall.push_back(rate_need{a == key_acc.get() ? key_acc : tenant_acc, k, need});
  };
  for (auto* a : accounts) {
    if (a == nullptr) continue;
    if (shared(*a)) {
      if (a->rpm_ != 0) consider_shared(a, rate_kind::rpm, 1);
      if (a->tpm_ != 0) consider_shared(a, rate_kind::tpm, std::max(demand.prompt_tokens, 1u));
      continue;
    }
    if (a->rpm_ != 0) consider(a, limit_reason::rpm, a->requests_.wait_for(1, a->rpm_, mono));
    if (a->tpm_ != 0)
      consider(a, limit_reason::tpm, a->tokens_.wait_for(demand.prompt_tokens, a->tpm_, mono));
  }
  if (longest) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(longest->wait);
    refused_wait.emplace(longest->reason, wait);
    refused_shared = shared(*longest->account);
    const bool rpm = longest->reason == limit_reason::rpm;
    return refuse(
        longest->reason,
        make_error(gateway_error::rate_limited,
                   "Rate limit reached for " + longest->account->label_ + ": " +
                       std::to_string(rpm ? longest->account->rpm_ : longest->account->tpm_) +
                       (rpm ? " requests" : " tokens") +
                       " per minute. Retry after the delay in Retry-After.",
                   {}, retry_after_seconds(wait)));
  }
  if (!v.rate_shortfall.empty()) return v;  // the caller asks the counters, then admits again

  // The budget: the worst case must fit what both accounts have left, else the output is capped
  // to what fits, else 402.
  double reserve = 0;
  const limit_account* tightest = nullptr;
  double remaining = std::numeric_limits<double>::infinity();
  bool lease_short = false;  // the tightest is a lease, not the budget itself
  for (auto* a : accounts) {
    if (a == nullptr || !a->budget_) continue;
    double r = a->remaining_locked();
    bool from_lease = false;
    if (a->lease_ && mode != lease_mode::down_open) {
      if (double room = a->lease_room_locked(mono); room < r) {
        r = room;
        from_lease = true;
      }
    }
    if (r < remaining) {
      remaining = r;
      tightest = a;
      lease_short = from_lease;
    }
  }
  if (tightest != nullptr) {
    const double prompt_cost = demand.prompt_tokens * demand.input_usd_per_token;
    const std::uint32_t wanted = demand.max_tokens.value_or(default_output_reserve);
    const double worst = prompt_cost + wanted * demand.output_usd_per_token;
    std::uint32_t out_tokens = wanted;
    if (worst > remaining && lease_short && mode == lease_mode::wait) {
      // A lease too small, and the pool not known to be short: top up first, then decide. The
      // caller waits off the I/O thread (see gateway::submit); nothing is taken here.
      for (auto* a : accounts) {
        if (a == nullptr || !a->budget_ || !a->lease_) continue;
        if (mono < a->lease_->no_wait_until) continue;
        if (a->lease_room_locked(mono) < worst)
          v.lease_shortfall.emplace_back(a == key_acc.get() ? key_acc : tenant_acc, worst);
      }
      if (!v.lease_shortfall.empty()) return v;
    }
    if (worst > remaining) {
      double fit = 0;
      if (demand.output_usd_per_token > 0 && remaining > prompt_cost)
        fit = std::floor((remaining - prompt_cost) / demand.output_usd_per_token);
      if (fit < min_output_tokens && lease_short && mode == lease_mode::down_closed) {
        return refuse(
            limit_reason::budget,
            make_error(gateway_error::counters_unavailable,
                       "The budget of " + tightest->label_ +
                           " is shared by the gateway's nodes through its counters (Redis), which "
                           "this node cannot reach, and the share it holds cannot cover this "
                           "request. Retry after the delay in Retry-After.",
                       {}, 5));
      }
      if (fit < min_output_tokens) {
        const auto& b = *tightest->budget_;
        const double smallest = prompt_cost + min_output_tokens * demand.output_usd_per_token;
        std::string when =
            b.period == config::budget_period::total
                ? "It does not reset"
                : "It resets at " + config::format_rfc3339_utc(tightest->period_end_);
        return refuse(
            limit_reason::budget,
            make_error(gateway_error::budget_exhausted,
                       "The budget of " + tightest->label_ + " (USD " + usd(b.usd) + " " +
                           std::string{per(b.period)} + ") cannot cover this request: USD " +
                           usd(std::max(0.0, remaining)) + " remains, and even a " +
                           std::to_string(min_output_tokens) + "-token answer could cost USD " +
                           usd(smallest) + ". " + when + "; ask your administrator to raise it."));
      }
      out_tokens = static_cast<std::uint32_t>(std::min<double>(fit, wanted));
    }
    reserve = prompt_cost + out_tokens * demand.output_usd_per_token;
    // Under a budget the upstream must never produce more (paid) output than was reserved.
    if (demand.output_usd_per_token > 0 && (!demand.max_tokens || out_tokens < *demand.max_tokens))
      v.max_tokens = out_tokens;
  }

  // Every window counts the request, limited or not, so that a limit added later (a reload, an
  // admin change) applies to the minute already running.
  const auto bucket = rate_window::bucket_of(mono);
  for (auto* a : accounts) {
    if (a == nullptr) continue;
    a->requests_.add(mono, 1);
    a->tokens_.add(mono, demand.prompt_tokens);
    if (shared(*a)) {
      a->slices_[static_cast<std::size_t>(rate_kind::rpm)].used += a->rpm_ != 0 ? 1 : 0;
      a->slices_[static_cast<std::size_t>(rate_kind::tpm)].used +=
          a->tpm_ != 0 ? demand.prompt_tokens : 0;
    }
    if (a->budget_) {
      a->reserved_ += reserve;
      ++a->reservations_;
      if (a->lease_) a->lease_->last_used = mono;
    }
  }
  v.hold = std::make_shared<budget_hold>(key_acc, tenant_acc, reserve, demand.prompt_tokens, bucket,
                                         wall_, mono_);

  rate_headers();
  return v;
}

}  // namespace switchyard::actors
