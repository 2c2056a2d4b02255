// Budget leases and ejection broadcasts over Redis (see counters_service.hpp and
// docs/architecture.md, "Cluster counters").
#include "runtime/counters_service.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cmath>

#include "actors/budget_lease.hpp"
#include "runtime/lease_scripts.hpp"
#include "runtime/process.hpp"
#include "runtime/rate_script.hpp"

namespace switchyard::runtime {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_queued_publishes = 1000;
// A slice is shared by `k` × live nodes: the last dollars are spread, not taken by one node.
constexpr double slice_divisor = 2;

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Seconds the shared keys of a period outlive it (a day of slack for late reports); 0 = keep
// (period `total`).
long long key_ttl_seconds(const actors::lease_exchange& ex, config::wall_time now) {
  if (ex.period_end == config::wall_time::max()) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(ex.period_end - now).count();
  return std::max<long long>(left, 0) + 86'400;
}

}  // namespace

const char* to_string(counters_op op) noexcept {
  switch (op) {
    case counters_op::acquire:
      return "acquire";
    case counters_op::report:
      return "report";
    case counters_op::release:
      return "release";
    case counters_op::publish:
      return "publish";
    case counters_op::subscribe:
      return "subscribe";
    case counters_op::ping:
      return "ping";
    case counters_op::script_load:
      return "script_load";
    case counters_op::rate_take:
      return "rate_take";
  }
  return "unknown";
}

counters_service::counters_service(options o, std::shared_ptr<const actors::wall_clock> wall,
                                   std::shared_ptr<const actors::clock> mono)
    : options_(std::move(o)), wall_(std::move(wall)), mono_(std::move(mono)) {}

counters_service::~counters_service() {
  stop();
}

void counters_service::count(std::string_view op) noexcept {
  for (std::size_t i = 0; i < counters_op_count; ++i) {
    if (op == to_string(static_cast<counters_op>(i))) {
      stats_.operations[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

std::string counters_service::start(ejection_handler on_ejection) {
  on_ejection_ = std::move(on_ejection);
  std::string error;
  {
    redis_client probe(options_.endpoint, options_.client,
                       [this](std::string_view op) { count(op); });
    auto pong = probe.command("ping", {"PING"}, error);
    if (pong && pong->is_error()) error = "redis at " + probe.where() + ": " + pong->text;
    stats_.up.store(pong && !pong->is_error(), std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> guard{mutex_};
    started_ = true;
  }
  worker_ = std::thread([this] { run_worker(); });
  subscriber_ = std::thread([this] { run_subscriber(); });
  return error;
}

void counters_service::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (subscriber_.joinable()) subscriber_.join();
}

void counters_service::top_up(
    std::vector<std::pair<std::shared_ptr<actors::limit_account>, double>> shortfall,
    std::function<void(bool answered)> done) {
  enqueue(job{std::move(shortfall), {}, std::move(done), steady::now()});
}

void counters_service::take_rates(std::vector<actors::rate_need> needs,
                                  std::function<void(bool answered)> done) {
  enqueue(job{{}, std::move(needs), std::move(done), steady::now()});
}

void counters_service::enqueue(job j) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!stopping_ && started_) {
      jobs_.push_back(std::move(j));
      wake_.notify_one();
      return;
    }
  }
  (j.rates.empty() ? stats_.lease_waits_unreachable : stats_.rate_waits_unreachable)
      .fetch_add(1, std::memory_order_relaxed);
  j.done(false);  // not running: nobody would ever answer
}

void counters_service::publish_ejection(const std::string& provider, milliseconds duration) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (stopping_ || publishes_.size() >= max_queued_publishes) return;
  publishes_.push_back(format_ejection({options_.cluster.node_id, provider, duration}));
  wake_.notify_one();
}

bool counters_service::sleep_unless_stopping(milliseconds d) {
  std::unique_lock<std::mutex> lock{mutex_};
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void counters_service::track(const account_ptr& a) {
  auto [it, added] = tracked_.try_emplace(a.get());
  if (added || it->second.account.expired()) it->second = tracked{a, {}, {}};
}

counters_service::call counters_service::make_call(account_ptr account, actors::lease_exchange ex,
                                                   bool acquire, double want, double need) const {
  call c;
  c.account = std::move(account);
  c.acquire = acquire;
  const auto base = budget_key_base(ex.counter_id, ex.period_start);
  c.eval.keys = {base + ":spent", base + ":leases", base + ":expiry"};
  const auto& node = options_.cluster.node_id;
  const auto ttl = std::to_string(options_.cluster.lease_ttl.count());
  const auto key_ttl = std::to_string(key_ttl_seconds(ex, wall_->now()));
  if (acquire) {
    const auto sizing = actors::size_lease(ex.limit);
    ex.need = need;
    c.eval.script = &acquire_script();
    c.eval.args = {node,
                   number(std::max(want, need)),
                   number(need),
                   number(sizing.floor),
                   number(slice_divisor),
                   ttl,
                   number(ex.limit),
                   number(ex.seed),
                   key_ttl,
                   number(ex.reported)};
  } else if (ex.released > 0) {
    c.eval.script = &release_script();
    c.eval.args = {node, number(ex.reported), number(ex.released), number(ex.seed), key_ttl, ttl};
  } else {
    c.eval.script = &report_script();
    c.eval.args = {node, number(ex.reported), ttl, number(ex.seed), key_ttl};
  }
  c.exchange = std::move(ex);
  return c;
}

bool counters_service::exchange(redis_client& client, std::vector<call>& calls) {
  if (calls.empty()) return true;
  std::vector<redis_eval> evals;
  evals.reserve(calls.size());
  for (const auto& c : calls) evals.push_back(c.eval);
  std::string error;
  auto replies = client.eval(evals, error);
  stats_.up.store(client.up(), std::memory_order_relaxed);
  if (!replies) {
    for (auto& c : calls) c.account->fail_lease_exchange(c.exchange);
    return false;
  }
  const auto now = mono_->now();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto& c = calls[i];
    const auto& r = (*replies)[i];
    actors::lease_answer a;
    a.ttl = options_.cluster.lease_ttl;
    a.hold_off = options_.cluster.report_interval;
    std::optional<double> own, spent, granted;
    if (c.acquire) {
      granted = r.number_at(0);
      own = r.number_at(1);
      spent = r.number_at(2);
    } else {
      granted = 0.0;
      own = r.number_at(0);
      spent = r.number_at(1);
    }
    if (!granted || !own || !spent) {
      // A script error (or a foreign value in our keys): nothing is known to have changed but
      // the spend may have been counted; keep it unreported rather than lose it.
      log_line("error", "counters: the " + c.eval.script->name + " script failed for " +
                            c.exchange.counter_id + ": " +
                            (r.is_error() ? r.text : std::string{"unexpected answer"}));
      c.account->fail_lease_exchange(c.exchange);
      continue;
    }
    a.granted = *granted;
    a.own = *own;
    a.spent = *spent;
    c.account->end_lease_exchange(c.exchange, a, now);
    auto it = tracked_.find(c.account.get());
    if (it != tracked_.end()) {
      it->second.renewed = c.exchange.sent_at;
      // The pool is nearly spent: background top-ups pause for a while (requests that do not
      // fit still ask, each at most once per `report_interval`).
      const bool short_pool =
          c.acquire &&
          (*granted < c.exchange.need ||
           (c.exchange.need == 0 && *granted < actors::size_lease(c.exchange.limit).low_water));
      if (short_pool) it->second.pool_short_until = now + options_.cluster.lease_ttl / 3;
    }
  }
  return true;
}

void counters_service::serve(redis_client& client, job& j) {
  if (steady::now() - j.queued > options_.wait_limit) {
    (j.rates.empty() ? stats_.lease_waits_unreachable : stats_.rate_waits_unreachable)
        .fetch_add(1, std::memory_order_relaxed);
    j.done(false);
    return;
  }
  if (!j.rates.empty()) return serve_rates(client, j);
  std::vector<call> calls;
  const auto wall = wall_->now();
  const auto mono = mono_->now();
  for (auto& [account, need] : j.shortfall) {  // `need`: the room the request needs
    if (!account) continue;
    track(account);
    auto ex = account->begin_lease_exchange(wall, mono, true, {});
    if (!ex) continue;  // its budget is gone
    if (ex->valid && ex->room >= need) {
      account->fail_lease_exchange(*ex);  // an earlier top-up covered it: nothing to send
      continue;
    }
    const double want = actors::size_lease(ex->limit).want;
    // Ask for what is missing now plus a slice, so that the next requests do not wait.
    const double missing = std::max(0.0, need - std::max(ex->room, 0.0));
    calls.push_back(make_call(account, std::move(*ex), true, want + missing, missing));
  }
  const bool answered = exchange(client, calls);
  (answered ? stats_.lease_waits_answered : stats_.lease_waits_unreachable)
      .fetch_add(1, std::memory_order_relaxed);
  j.done(answered);
}

void counters_service::serve_rates(redis_client& client, job& j) {
  std::vector<std::pair<account_ptr, actors::rate_exchange>> takes;
  const auto mono = mono_->now();
  for (auto& n : j.rates) {
    if (!n.account) continue;
    track(n.account);
    // Nullopt: an earlier job's take already gave this slice the room (or the limit is gone).
    if (auto ex = n.account->begin_rate_exchange(n.kind, n.need, mono))
      takes.emplace_back(n.account, std::move(*ex));
  }
  const bool answered = exchange_rates(client, takes);
  (answered ? stats_.rate_waits_answered : stats_.rate_waits_unreachable)
      .fetch_add(1, std::memory_order_relaxed);
  j.done(answered);
}

void counters_service::give_back_rates(redis_client& client, bool final) {
  std::vector<std::pair<account_ptr, actors::rate_exchange>> takes;
  // At stop every slice counts as ended: the other nodes can use its rest at once.
  const auto mono = final ? actors::clock::time_point::max() : mono_->now();
  for (auto& [ptr, t] : tracked_) {
    auto account = t.account.lock();
    if (!account) continue;  // tick() forgets it
    for (auto kind : {actors::rate_kind::rpm, actors::rate_kind::tpm}) {
      if (auto ex = account->begin_rate_exchange(kind, 0, mono))
        takes.emplace_back(account, std::move(*ex));
    }
  }
  exchange_rates(client, takes);
}

bool counters_service::exchange_rates(
    redis_client& client, std::vector<std::pair<account_ptr, actors::rate_exchange>>& takes) {
  if (takes.empty()) return true;
  std::vector<redis_eval> evals;
  evals.reserve(takes.size());
  for (const auto& [account, ex] : takes) {
    redis_eval e;
    e.script = &rate_take_script();
    e.keys = {rate_window_key(ex.counter_id, actors::to_string(ex.kind))};
    e.args = {std::to_string(ex.want), std::to_string(ex.need), std::to_string(ex.limit),
              std::to_string(ex.back_second), std::to_string(ex.back_amount)};
    evals.push_back(std::move(e));
  }
  std::string error;
  auto replies = client.eval(evals, error);
  stats_.up.store(client.up(), std::memory_order_relaxed);
  if (!replies) {
    for (auto& [account, ex] : takes) account->fail_rate_exchange(ex);
    return false;
  }
  const auto now = mono_->now();
  for (std::size_t i = 0; i < takes.size(); ++i) {
    auto& [account, ex] = takes[i];
    const auto& r = (*replies)[i];
    auto granted = r.number_at(0), second = r.number_at(1), used = r.number_at(2),
         wait = r.number_at(3);
    if (!granted || !second || !used || !wait || *granted < 0 || *used < 0 || *wait < 0) {
      log_line("error", "counters: the rate_take script failed for " + ex.counter_id + ": " +
                            (r.is_error() ? r.text : std::string{"unexpected answer"}));
      account->fail_rate_exchange(ex);
      continue;
    }
    actors::rate_answer a;
    a.granted = static_cast<std::uint64_t>(*granted);
    a.second = static_cast<std::int64_t>(*second);
    a.window_used = static_cast<std::uint64_t>(*used);
    a.wait = milliseconds{static_cast<std::int64_t>(*wait)};
    account->end_rate_exchange(ex, a, now);
  }
  return true;
}

void counters_service::tick(redis_client& client, bool final) {
  std::vector<call> calls;
  const auto wall = wall_->now();
  const auto mono = mono_->now();
  const auto ttl = options_.cluster.lease_ttl;
  double held = 0;
  std::int64_t leased = 0;
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    auto account = it->second.account.lock();
    if (!account) {
      it = tracked_.erase(it);
      continue;
    }
    auto& t = it->second;
    ++it;
    // Not used for a TTL: return the lease rather than renew it forever. At stop: return all.
    const auto idle_before = final ? actors::clock::time_point::max() : mono - ttl;
    auto ex = account->begin_lease_exchange(wall, mono, true, idle_before);
    if (!ex) continue;
    const bool idle = final || ex->last_used < idle_before;
    held += std::max(ex->held - ex->released, 0.0);
    if (ex->held - ex->released > 0) ++leased;
    const auto sizing = actors::size_lease(ex->limit);
    if (ex->released > 0) {
      calls.push_back(make_call(account, std::move(*ex), false, 0, 0));
    } else if (!idle && !final && (ex->room < sizing.low_water || !ex->valid) &&
               mono >= t.pool_short_until) {
      calls.push_back(make_call(account, std::move(*ex), true, sizing.want, 0));
    } else if (ex->reported > 0 || (ex->held > 0 && mono - t.renewed >= ttl / 3)) {
      calls.push_back(make_call(account, std::move(*ex), false, 0, 0));
    } else {
      account->fail_lease_exchange(*ex);  // nothing to say
    }
  }
  stats_.leases_held_micro_usd.store(static_cast<std::int64_t>(std::llround(held * 1e6)),
                                     std::memory_order_relaxed);
  stats_.leased_accounts.store(leased, std::memory_order_relaxed);
  if (!calls.empty()) {
    exchange(client, calls);
  } else if (!client.up()) {
    // Nothing to exchange, but `up` must recover without traffic: ping (within the backoff).
    std::string error;
    auto pong = client.command("ping", {"PING"}, error);
    stats_.up.store(pong && !pong->is_error(), std::memory_order_relaxed);
  }
}

void counters_service::publish(redis_client& client, std::deque<std::string>& payloads) {
  while (!payloads.empty()) {
    std::string error;
    auto r = client.command("publish", {"PUBLISH", std::string{ejection_channel}, payloads.front()},
                            error);
    stats_.up.store(client.up(), std::memory_order_relaxed);
    if (!r) {
      // Redis is unreachable: an ejection announced late would be wrong (it is measured from
      // now), so the others are dropped with it.
      log_line("warning", "counters: cannot broadcast " + std::to_string(payloads.size()) +
                              " provider ejection(s): " + error);
      payloads.clear();
      return;
    }
    stats_.ejections_published.fetch_add(1, std::memory_order_relaxed);
    payloads.pop_front();
  }
}

void counters_service::run_worker() {
  redis_client client(options_.endpoint, options_.client,
                      [this](std::string_view op) { count(op); });
  auto next_tick = steady::now() + options_.cluster.report_interval;
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    wake_.wait_until(lock, next_tick,
                     [this] { return stopping_ || !jobs_.empty() || !publishes_.empty(); });
    if (stopping_) break;
    auto jobs = std::move(jobs_);
    jobs_.clear();
    auto payloads = std::move(publishes_);
    publishes_.clear();
    lock.unlock();
    // Ejections first: they are the most time-critical, and one round trip each.
    publish(client, payloads);
    for (auto& j : jobs) serve(client, j);
    if (steady::now() >= next_tick) {
      tick(client, false);
      give_back_rates(client, false);
      next_tick = steady::now() + options_.cluster.report_interval;
    }
    lock.lock();
  }
  auto jobs = std::move(jobs_);
  jobs_.clear();
  lock.unlock();
  for (auto& j : jobs) {
    stats_.lease_waits_unreachable.fetch_add(1, std::memory_order_relaxed);
    j.done(false);
  }
  // Return what is free and report what was spent, so the other nodes can use it now rather
  // than after the TTL.
  tick(client, true);
  give_back_rates(client, true);
}

void counters_service::run_subscriber() {
  auto backoff = options_.client.backoff_min;
  while (!stopping_flag()) {
    std::string error;
    redisContext* c = redis_connect(options_.endpoint, options_.client.connect_timeout, error);
    if (c != nullptr) {
      count("subscribe");
      auto* reply = static_cast<redisReply*>(
          redisCommand(c, "SUBSCRIBE %b", ejection_channel.data(), ejection_channel.size()));
      if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
        error = "redis at " + options_.endpoint.where() + ": cannot subscribe to " +
                std::string{ejection_channel};
        if (reply != nullptr) freeReplyObject(reply);
        redisFree(c);
        c = nullptr;
      } else {
        freeReplyObject(reply);
      }
    }
    if (c == nullptr) {
      if (!sleep_unless_stopping(backoff)) return;
      backoff = std::min(backoff * 2, options_.client.backoff_max);
      continue;
    }
    backoff = options_.client.backoff_min;
    listen(c);
    redisFree(c);
  }
}

void counters_service::listen(redisContext* c) {
  // Replies are read from the socket when poll says so; a short poll timeout lets `stop` end
  // the thread. Nothing is ever written on this connection after SUBSCRIBE.
  while (!stopping_flag()) {
    void* raw = nullptr;
    if (redisReaderGetReply(c->reader, &raw) != REDIS_OK) return;
    if (raw != nullptr) {
      auto* reply = static_cast<redisReply*>(raw);
      auto v = to_value(reply);
      freeReplyObject(reply);
      if (v.type == redis_value::kind::array && v.elements.size() == 3 &&
          v.elements[0].text == "message")
        deliver(v.elements[2].text);
      continue;
    }
    pollfd pfd{c->fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 200);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    if (redisBufferRead(c) != REDIS_OK) return;  // the connection is gone: reconnect
  }
}

void counters_service::deliver(const std::string& payload) {
  auto m = parse_ejection(payload);
  if (!m) {
    stats_.ejections_malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (m->node_id == options_.cluster.node_id) return;  // our own, already applied
  stats_.ejections_received.fetch_add(1, std::memory_order_relaxed);
  if (on_ejection_) on_ejection_(m->provider, m->duration);
}

bool counters_service::stopping_flag() {
  std::lock_guard<std::mutex> guard{mutex_};
  return stopping_;
}

}  // namespace switchyard::runtime
