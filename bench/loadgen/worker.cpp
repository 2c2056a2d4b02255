// A generator thread: open-loop dispatch from the schedule (or closed-loop re-issue), the
// connection pool and queue, deadlines, and recording every outcome.
#include "bench/loadgen/worker.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::loadgen {

namespace asio = boost::asio;

namespace {

// Deadlines and the per-second series are checked this often.
constexpr auto tick_period = std::chrono::milliseconds(10);
// Most requests dispatched in one go before the event loop gets to run I/O again.
constexpr int dispatch_batch = 256;
// Bound on the generator's queue; past it requests fail at once.
constexpr std::size_t max_queue = std::size_t{1} << 20;
constexpr std::int64_t ns_per_s = 1'000'000'000;

unsigned share_of(unsigned total, unsigned index, unsigned count) {
  return total / count + (index < total % count ? 1 : 0);
}

}  // namespace

worker::worker(run_shared& shared, unsigned index, unsigned count)
    : shared_(shared),
      index_(index),
      closed_loop_(shared.opts->closed.has_value()),
      lanes_(closed_loop_ ? share_of(*shared.opts->closed, index, count)
                          : share_of(shared.opts->connections, index, count)),
      ioc_(1),
      schedule_timer_(ioc_),
      tick_timer_(ioc_),
      schedule_(shared.opts->arrival, shared.opts->rate.value_or(1.0) / count,
                // Constant arrivals of the workers interleave: worker i is i/rate late.
                shared.opts->arrival == arrival_kind::constant
                    ? std::llround(index * 1e9 / shared.opts->rate.value_or(1.0))
                    : 0,
                shared.opts->seed, 2 * std::uint64_t{index}),
      mix_rng_(shared.opts->seed, 2 * std::uint64_t{index} + 1),
      deadline_span_ns_(static_cast<std::int64_t>(shared.opts->timeout_ms) * 1'000'000) {
  bucket_.reset(0);
}

worker::~worker() {
  for (auto& c : live_) c->shutdown();
}

void worker::run() {
  arm_tick();
  if (closed_loop_) {
    schedule_timer_.expires_at(shared_.t0);
    schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_closed_loop();
    });
  } else {
    next_due_ = schedule_.next();
    if (next_due_ >= shared_.end_ns) {
      schedule_done_ = true;
    } else {
      arm_schedule(next_due_);
    }
  }
  ioc_.run();
  if (!finished_) finish();
}

void worker::arm_schedule(std::int64_t at_ns) {
  schedule_timer_.expires_at(shared_.t0 + std::chrono::nanoseconds(at_ns));
  schedule_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_schedule();
  });
}

void worker::on_schedule() {
  if (finished_) return;
  const std::int64_t now = shared_.now_ns();
  int n = 0;
  while (next_due_ <= now && next_due_ < shared_.end_ns) {
    if (n == dispatch_batch) {
      // Far behind: let the event loop read responses before dispatching more. The timer is
      // already due, so it fires again right after the pending I/O.
      arm_schedule(next_due_);
      return;
    }
    const ticket t = make_ticket(next_due_, now);
    const std::int64_t lag = now - next_due_;
    bucket_at(now).lag.record(lag);
    if (t.counted) stats_.lag.record(lag);
    dispatch(t, now);
    next_due_ = schedule_.next();
    ++n;
  }
  if (next_due_ >= shared_.end_ns) {
    schedule_done_ = true;
    maybe_finish(now);
  } else {
    arm_schedule(next_due_);
  }
}

void worker::start_closed_loop() {
  const std::int64_t now = shared_.now_ns();
  for (unsigned i = 0; i < lanes_ && !finished_; ++i) dispatch(make_ticket(now, now), now);
}

void worker::arm_tick() {
  tick_timer_.expires_after(tick_period);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void worker::on_tick() {
  if (finished_) return;
  const std::int64_t now = shared_.now_ns();
  bucket_at(now);
  if (shared_.stop.load(std::memory_order_relaxed) ||
      shared_.unreachable.load(std::memory_order_relaxed)) {
    finish();
    return;
  }
  expire_overdue(now);
  // A safety net: every deadline has passed by now, so nothing can still be legitimately open.
  if (now > shared_.end_ns + deadline_span_ns_ + ns_per_s) {
    finish();
    return;
  }
  maybe_finish(now);
  if (!finished_) arm_tick();
}

ticket worker::make_ticket(std::int64_t scheduled_ns, std::int64_t now_ns) {
  ticket t;
  t.scheduled_ns = scheduled_ns;
  t.dispatched_ns = now_ns;
  t.shape = static_cast<std::uint32_t>(shared_.mix.index_of(shared_.mix.pick(mix_rng_)));
  t.counted = scheduled_ns >= shared_.warmup_ns;
  t.tag = (std::uint64_t{index_} << 48) | (next_tag_++ & 0xffffffffffffULL);
  if (t.counted) ++stats_.scheduled;
  return t;
}

void worker::dispatch(const ticket& t, std::int64_t now_ns) {
  if (!idle_.empty()) {
    connection* c = idle_.back();
    idle_.pop_back();
    hand_to(*c, t, now_ns);
    return;
  }
  if (live_.size() < lanes_) {
    if (t.counted) ++stats_.waited_for_connect;
    open_connection(t);
    return;
  }
  if (queue_.size() >= max_queue) {
    fail_unsent(t, error_kind::queue_timeout, "the generator's queue is full", now_ns);
    return;
  }
  queue_.push_back(t);
  if (t.counted) {
    ++stats_.queued;
    stats_.max_queue_depth = std::max<std::uint64_t>(stats_.max_queue_depth, queue_.size());
  }
}

void worker::hand_to(connection& c, const ticket& t, std::int64_t now_ns) {
  ++busy_;
  c.send(t);
}

void worker::open_connection(const ticket& t) {
  auto c = std::make_shared<connection>(*this, ioc_, shared_.tls);
  c->live_index = live_.size();
  live_.push_back(c);
  ++busy_;
  c->open(t);
}

void worker::note_sent(const ticket& t, std::int64_t now_ns) {
  ++bucket_at(now_ns).sent;
  if (t.counted) ++stats_.sent;
}

void worker::release(connection& c, std::int64_t now_ns) {
  if (!queue_.empty()) {
    const ticket t = queue_.front();
    queue_.pop_front();
    if (t.counted) stats_.queue_wait.record(now_ns - t.dispatched_ns);
    hand_to(c, t, now_ns);
    return;
  }
  idle_.push_back(&c);
}

void worker::drain_queue(std::int64_t now_ns) {
  while (!queue_.empty()) {
    if (!idle_.empty()) {
      connection* c = idle_.back();
      idle_.pop_back();
      release(*c, now_ns);
    } else if (live_.size() < lanes_) {
      const ticket t = queue_.front();
      queue_.pop_front();
      if (t.counted) stats_.queue_wait.record(now_ns - t.dispatched_ns);
      open_connection(t);
    } else {
      return;
    }
  }
}

void worker::remove_live(connection& c) {
  if (auto it = std::find(idle_.begin(), idle_.end(), &c); it != idle_.end()) idle_.erase(it);
  const std::size_t i = c.live_index;
  if (i >= live_.size() || live_[i].get() != &c) return;
  if (i + 1 != live_.size()) {
    live_[i] = std::move(live_.back());
    live_[i]->live_index = i;
  }
  live_.pop_back();
}

void worker::on_connect_result(bool ok, const std::string& message) {
  if (ok) {
    ++stats_.connections_opened;
    shared_.connect_ok.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ++stats_.connect_failures;
  {
    std::lock_guard lock(shared_.first_error_mutex);
    if (shared_.first_connect_error.empty()) shared_.first_connect_error = message;
  }
  const auto failed = shared_.connect_failed.fetch_add(1, std::memory_order_relaxed) + 1;
  if (failed >= unreachable_after_failures &&
      shared_.connect_ok.load(std::memory_order_relaxed) == 0) {
    shared_.unreachable.store(true, std::memory_order_relaxed);
  }
}

void worker::on_exchange(connection& c, const exchange_result& r, bool reusable) {
  const std::int64_t now = r.end_ns;
  --busy_;
  record(r, &c.tracker());
  if (reusable) {
    release(c, now);
  } else {
    remove_live(c);
    drain_queue(now);
  }
  if (closed_loop_ && !scheduling_over(now) && !finished_) dispatch(make_ticket(now, now), now);
  maybe_finish(now);
}

void worker::on_idle_closed(connection& c, bool peer_close) {
  if (peer_close) ++stats_.peer_closes;
  remove_live(c);
}

void worker::record(const exchange_result& r, const stream_tracker* tracker) {
  const std::int64_t start = r.t.scheduled_ns;
  const bool ok = r.error == error_kind::none;
  const bool is_2xx = r.status >= 200 && r.status < 300;
  second_bucket& b = bucket_at(r.end_ns);
  if (ok) {
    ++b.completed;
    b.latency.record(r.end_ns - start);
  }
  if (!ok || !is_2xx) ++b.errors;
  const bool first_token = r.sse && tracker != nullptr && tracker->first_content_ns() >= 0;
  if (first_token) b.ttft.record(tracker->first_content_ns() - start);
  if (!r.t.counted) return;

  stats_.bytes_sent += r.bytes_out;
  stats_.bytes_received += r.bytes_in;
  if (r.status != 0) {
    ++stats_.status[r.status < stats_.status.size() ? r.status : 0];
    stats_.ttfb.record(r.headers_ns - start);
  }
  if (ok) {
    ++stats_.completed;
    if (is_2xx) ++stats_.ok;
    stats_.latency.record(r.end_ns - start);
    (is_2xx ? stats_.latency_ok : stats_.latency_rejected).record(r.end_ns - start);
  } else {
    stats_.add_error(r.error, r.error_message);
  }
  if (r.not_event_stream) ++stats_.not_event_stream;
  if (r.body_facts.has_usage) {
    ++stats_.usage_reports;
    stats_.prompt_tokens += r.body_facts.prompt_tokens;
    stats_.completion_tokens += r.body_facts.completion_tokens;
  }
  if (r.sse && tracker != nullptr) {
    ++stats_.streams;
    ++stats_.stream_ends[static_cast<std::size_t>(r.end)];
    stats_.content_chunks += tracker->content_chunks();
    if (tracker->malformed()) ++stats_.malformed_streams;
    if (first_token) stats_.ttft.record(tracker->first_content_ns() - start);
    if (ok) stats_.total.record(r.end_ns - start);
    if (tracker->has_usage()) {
      ++stats_.usage_reports;
      stats_.prompt_tokens += tracker->prompt_tokens();
      stats_.completion_tokens += tracker->completion_tokens();
    }
  }
}

void worker::fail_unsent(const ticket& t, error_kind kind, const char* message,
                         std::int64_t now_ns) {
  exchange_result r;
  r.t = t;
  r.error = kind;
  r.error_message = message;
  r.end_ns = now_ns;
  r.stream_request = shared_.templates[t.shape].stream;
  record(r, nullptr);
}

void worker::expire_overdue(std::int64_t now_ns) {
  while (!queue_.empty() && queue_.front().scheduled_ns + deadline_span_ns_ <= now_ns) {
    const ticket t = queue_.front();
    queue_.pop_front();
    fail_unsent(t, error_kind::queue_timeout,
                "no connection became free within the request timeout", now_ns);
  }
  // Backwards, because a failed connection is swapped with the last one and removed.
  for (std::size_t i = live_.size(); i-- > 0;) {
    if (i >= live_.size()) continue;
    std::shared_ptr<connection> c = live_[i];  // keeps it alive through its own failure
    const auto st = c->current_state();
    if ((st == connection::state::connecting || st == connection::state::busy) &&
        c->deadline_ns() <= now_ns) {
      c->expire(now_ns);
    }
  }
}

second_bucket& worker::bucket_at(std::int64_t now_ns) {
  const std::int64_t s = now_ns < 0 ? 0 : now_ns / ns_per_s;
  if (s > bucket_.second) {
    bucket_.in_flight = busy_;
    bucket_.queue = queue_.size();
    shared_.series->submit(index_, bucket_, s);
    bucket_.reset(s);
  }
  return bucket_;
}

bool worker::scheduling_over(std::int64_t now_ns) const noexcept {
  if (shared_.stop.load(std::memory_order_relaxed)) return true;
  return closed_loop_ ? now_ns >= shared_.end_ns : schedule_done_;
}

void worker::maybe_finish(std::int64_t now_ns) {
  if (!finished_ && scheduling_over(now_ns) && outstanding() == 0) finish();
}

void worker::finish() {
  if (finished_) return;
  finished_ = true;
  // Whatever is still open was abandoned (interrupted, or the target is unreachable).
  for (const auto& t : queue_) {
    if (t.counted) ++stats_.unfinished;
  }
  for (const auto& c : live_) {
    const auto st = c->current_state();
    if ((st == connection::state::connecting || st == connection::state::busy) &&
        c->in_flight_ticket().counted) {
      ++stats_.unfinished;
    }
    c->shutdown();
  }
  live_.clear();
  idle_.clear();
  queue_.clear();
  busy_ = 0;
  schedule_timer_.cancel();
  tick_timer_.cancel();
  bucket_.in_flight = 0;
  bucket_.queue = 0;
  shared_.series->submit(index_, bucket_, bucket_.second + 1);
  shared_.series->finish(index_);
}

}  // namespace switchyard::loadgen
