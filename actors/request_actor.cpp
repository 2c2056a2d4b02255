// One request's life, and the committed-response rule: until an attempt commits (its first byte
// went to the client), any failure moves on to the next target; after commit there is no retry.
#include "actors/request_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/backoff.hpp"
#include "actors/cost.hpp"
#include "actors/messages.hpp"
#include "actors/provider_slot.hpp"
#include "actors/provisional_record.hpp"
#include "actors/record_id.hpp"
#include "actors/router.hpp"
#include "actors/usage_writer.hpp"
#include "protocols/upstream_request.hpp"

namespace switchyard::actors {

using protocols::gateway_error;
using protocols::make_error;

namespace {

using self_ptr = caf::stateful_actor<request_state>*;

// Self-sent: the hedge delay of attempt `id` passed; the backoff before a same-target retry did.
using hedge_atom = caf::atom_constant<caf::atom("hedge")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

void try_next(self_ptr self);

// The end of a hedged race: one hedge outcome per request that hedged and answered.
void count_hedge_outcome(request_state& st) {
  if (st.hedge_provider == nullptr || st.committed == nullptr) return;
  st.hedge_provider->health.count_hedge(st.committed_by_hedge ? hedge_outcome::won
                                                              : hedge_outcome::lost);
}

void finish(self_ptr self) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  if (st.racer && st.racer->handle) st.racer->handle->cancel();  // its slot frees with it
  st.racer.reset();
  st.current.reset();
  count_hedge_outcome(st);
  auto& rec = st.record;
  rec.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      st.args.ports.time->now() - st.args.ctx.received);
  if (st.committed != nullptr) rec.cost_usd = cost_usd(*st.committed->target, rec.usage);
  if (st.args.hold) {
    st.args.hold->settle(rec.cost_usd, std::uint64_t{rec.usage.prompt_tokens} +
                                           rec.usage.completion_tokens);
    st.args.hold.reset();
  }
  rec.finished_at = std::chrono::system_clock::now();
  if (st.args.ports.observer) st.args.ports.observer->on_request_done(rec);
  if (st.args.usage_writer && st.args.ports.journal) {
    // On disk before it is queued: a node killed from here on still stores it at its next start.
    auto ticket = st.args.ports.journal->append(rec);
    self->send(st.args.usage_writer, journaled_record{std::move(rec), ticket});
  } else if (st.args.usage_writer) {
    self->send(st.args.usage_writer, std::move(rec));
  }
  self->quit();
}

void answer_error(self_ptr self, const protocols::error_info& error) {
  auto& st = self->state;
  st.args.ctx.sink->send_error(error);
  st.record.status = protocols::http_status(error.code);
  st.record.error = error.message;
  finish(self);
}

// Every target failed or refused: the error says which way it went.
void give_up(self_ptr self) {
  auto& st = self->state;
  const auto& model = st.args.ctx.request.model;
  if (st.failures == 0 && st.refusals == 0 && st.encode_error) {
    answer_error(self, *st.encode_error);  // no target can take the request as sent
  } else if (st.failures == 0) {
    answer_error(self, make_error(gateway_error::overloaded,
                                  "Every provider serving `" + model +
                                      "` is at capacity. Retry after the delay in Retry-After.",
                                  {}, 1));
  } else if (st.timeouts == st.failures) {
    answer_error(self, make_error(gateway_error::upstream_timeout,
                                  "Every attempt to serve `" + model + "` timed out (last: " +
                                      st.last_failure + "). Retry later or raise the timeouts."));
  } else if (st.rate_limited == st.failures) {
    answer_error(self, make_error(gateway_error::rate_limited,
                                  "Every provider serving `" + model +
                                      "` is rate limiting the gateway. Retry after the delay in "
                                      "Retry-After.",
                                  {}, std::max<std::uint32_t>(st.retry_after_s, 1)));
  } else {
    answer_error(self, make_error(gateway_error::upstream_failed,
                                  std::to_string(st.failures) + " upstream attempt(s) to serve `" +
                                      model + "` failed (last: " + st.last_failure +
                                      "). Retry later."));
  }
}

void note_failure(self_ptr self, const attempt_event& ev) {
  auto& st = self->state;
  ++st.failures;
  if (is_timeout(ev.failure)) ++st.timeouts;
  if (ev.upstream_status == 429) {
    ++st.rate_limited;
    if (ev.retry_after_s > 0 && (st.retry_after_s == 0 || ev.retry_after_s < st.retry_after_s)) {
      st.retry_after_s = ev.retry_after_s;
    }
  }
  st.last_failure = "provider `" + st.current->target->provider->name + "`: " + to_string(ev.failure);
  if (ev.upstream_status != 0) st.last_failure += " " + std::to_string(ev.upstream_status);
  st.record.error = st.last_failure;
}

std::uint32_t& attempts_of(request_state& st, const config::model_config* model) {
  for (auto& [m, n] : st.model_attempts) {
    if (m == model) return n;
  }
  return st.model_attempts.emplace_back(model, 0).second;
}

// The attempt's final event, told to its provider's circuit, cooldown and estimates.
void settle(self_ptr self, request_state::attempt& a, const attempt_event& ev) {
  auto& health = a.target->stats->health;
  const bool finished = ev.kind == attempt_event::finished;
  if (!finished && ev.failure != attempt_failure::cancelled &&
      ev.failure != attempt_failure::lost_race && ev.failure != attempt_failure::none) {
    health.upstream_errors_total[static_cast<std::size_t>(ev.failure)].fetch_add(
        1, std::memory_order_relaxed);
  }
  const bool says_wait = ev.upstream_status == 429 || ev.upstream_status == 503;
  a.health.settle(self->state.args.ports.time->now(),
                  classify(ev.failure, ev.upstream_status, finished), ev.time_to_first_byte,
                  std::chrono::seconds{says_wait ? ev.retry_after_s : 0});
}

// When the running attempt has not answered after the model's hedge delay, race a second one.
void arm_hedge(self_ptr self) {
  auto& st = self->state;
  const auto& model = *st.route_plan.chosen->model;
  if (!model.hedge || st.hedges >= model.hedge->max || st.committed != nullptr || st.racer ||
      !st.current || st.record.attempts >= st.route_plan.max_attempts) {
    return;
  }
  std::chrono::microseconds delay = model.hedge->after;
  if (model.hedge->after_p95) {
    auto p95 = st.current->target->stats->health.ttfb().p95();
    if (!p95) return;  // no estimate yet: hedging on a guess would only add load
    delay = *p95;
  }
  self->delayed_send(self, delay, hedge_atom::value, st.current->id);
}

request_state::attempt launch(self_ptr self, const route_target* target, slot_ptr slot,
                              attempt_spec spec) {
  auto& st = self->state;
  ++attempts_of(st, target->model);
  spec.attempt_id = st.next_attempt_id++;
  if (st.args.usage_writer && st.args.ports.journal)
    journal_before_last_bytes(spec, st.args.ctx, st.args.ports.journal);
  ++st.record.attempts;
  request_state::attempt a{spec.attempt_id, std::move(slot), nullptr, target,
                           health_ticket{target->stats, st.args.ports.time->now()}};
  a.handle = st.args.ports.transport->start(std::move(spec), st.args.ctx.sink);
  return a;
}

void start_attempt(self_ptr self, const route_target* target, slot_ptr slot, attempt_spec spec) {
  auto& st = self->state;
  st.current = launch(self, target, std::move(slot), std::move(spec));
  arm_hedge(self);
}

// The hedge timer of attempt `id` fired: a second attempt on another target (the same one for a
// single-target plan), if nothing answered yet, the target has a hedge token and a free slot. A
// hedge never queues: waiting for a slot defeats its purpose.
void hedge(self_ptr self, std::uint32_t id) {
  auto& st = self->state;
  if (st.finished || st.client_gone || st.committed != nullptr || st.racer || !st.current ||
      st.current->id != id) {
    return;
  }
  const auto& targets = st.route_plan.targets;
  const bool next_in_plan = st.next_target < targets.size();
  if (!next_in_plan && targets.size() != 1) return;  // every other target was tried already
  const route_target* target = next_in_plan ? targets[st.next_target] : targets.front();
  if (!target->stats->health.try_hedge()) return;
  auto encoded = make_attempt_spec(st.args.ctx, *st.args.routes, *target, 0,
                                   caf::actor_cast<caf::actor>(self));
  if (!encoded.ok() || !try_admit_fast(*target->stats)) return;
  if (next_in_plan) ++st.next_target;  // a failover after this skips the target the hedge took
  ++st.hedges;
  st.record.hedged = true;
  st.hedge_provider = target->stats;
  st.racer =
      launch(self, target, std::make_shared<provider_slot>(target->provider_actor, target->stats),
             std::move(encoded).value());
  st.racer->hedge = true;
}

// A failed attempt before commit: the next target, the same one again after a backoff (a
// single-target plan), or the error — and every re-attempt is paid from the retry budget of the
// provider that failed, so retries cannot multiply the load on a sick upstream.
void after_failure(self_ptr self) {
  auto& st = self->state;
  if (st.client_gone) return finish(self);
  const auto& targets = st.route_plan.targets;
  const auto& model = *st.route_plan.chosen->model;
  if (st.record.attempts >= st.route_plan.max_attempts) return give_up(self);
  const auto now = st.args.ports.time->now();
  auto& failed = st.failed_on->health;
  if (st.next_target < targets.size()) {
    if (!failed.try_retry(now)) return give_up(self);
    failed.failovers_total.fetch_add(1, std::memory_order_relaxed);
    return try_next(self);
  }
  if (targets.size() != 1) return give_up(self);
  // Not before the target's Retry-After or ejection ends, and not later than the backoff's cap:
  // a longer wait is the client's to decide (the error carries Retry-After).
  const auto& health = targets.front()->stats->health;
  auto wait = std::chrono::duration_cast<clock::duration>(
      retry_backoff(model.retry_backoff, st.same_target_retries + 1, random_unit()));
  if (!health.available(now)) wait = std::max(wait, health.available_at() - now);
  if (wait > model.retry_backoff.max || !failed.try_retry(now)) return give_up(self);
  ++st.same_target_retries;
  failed.retries_total.fetch_add(1, std::memory_order_relaxed);
  st.next_target = 0;
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(wait),
                     retry_atom::value);
}

void try_next(self_ptr self) {
  auto& st = self->state;
  if (st.client_gone) return finish(self);
  const auto& targets = st.route_plan.targets;
  if (st.record.attempts >= st.route_plan.max_attempts || st.next_target >= targets.size()) {
    return give_up(self);
  }
  const route_target* target = targets[st.next_target++];
  // A fallback model's targets stay reachable after the primary used up its own attempts.
  if (attempts_of(st, target->model) >= target->model->max_attempts) return try_next(self);
  // Encoded before a slot is asked for: a target that cannot take the request holds none.
  auto encoded = make_attempt_spec(st.args.ctx, *st.args.routes, *target, 0,
                                   caf::actor_cast<caf::actor>(self));
  if (!encoded.ok()) {
    if (!st.encode_error) st.encode_error = encoded.error();
    return try_next(self);
  }
  if (try_admit_fast(*target->stats)) {  // a free slot and nobody waiting: no mailbox round trip
    return start_attempt(self, target,
                         std::make_shared<provider_slot>(target->provider_actor, target->stats),
                         std::move(encoded).value());
  }
  auto spec = std::make_shared<attempt_spec>(std::move(encoded).value());
  self->request(target->provider_actor, caf::infinite, acquire_atom::value)
      .then(
          [=](admission verdict, slot_ptr& slot) {
            if (self->state.finished) return;  // the slot is released with the message
            if (verdict == admission::admitted)
              return start_attempt(self, target, std::move(slot), std::move(*spec));
            ++self->state.refusals;
            try_next(self);
          },
          [=](caf::error&) {
            // The provider actor is gone (it is being restarted): treat as a refusal.
            if (self->state.finished) return;
            ++self->state.refusals;
            try_next(self);
          });
}

// Feeds the latency strategy's estimates (provider_stats::latency).
void observe_first_byte(const route_target& target, const attempt_event& ev) {
  if (target.stats && ev.time_to_first_byte.count() > 0)
    target.stats->latency.observe_ttft_ms(static_cast<double>(ev.time_to_first_byte.count()) / 1e3);
}

// Output tokens per second after the first byte, for a stream that produced some.
void observe_throughput(self_ptr self, const route_target& target) {
  auto& st = self->state;
  if (!target.stats || !st.record.stream || st.record.usage.completion_tokens == 0) return;
  const auto since_first = st.args.ports.time->now() - st.args.ctx.received -
                           std::chrono::microseconds{st.record.time_to_first_byte};
  const double seconds = std::chrono::duration<double>(since_first).count();
  if (seconds > 0)
    target.stats->latency.observe_tokens_per_s(st.record.usage.completion_tokens / seconds);
}

// The current attempt has the client's response.
void note_commit(self_ptr self, const attempt_event& ev) {
  auto& st = self->state;
  auto& rec = st.record;
  st.committed = st.current->target;
  st.committed_by_hedge = st.current->hedge;
  // The race is decided: the other attempt's upstream exchange closes now, not when it would
  // have tried to commit.
  if (st.racer && st.racer->handle) st.racer->handle->cancel();
  rec.provider = st.committed->provider->name;
  rec.upstream_model = st.committed->target->model;
  rec.status = ev.upstream_status != 0 ? ev.upstream_status : 200;
  rec.time_to_first_byte = std::chrono::duration_cast<std::chrono::microseconds>(
      st.args.ports.time->now() - st.args.ctx.received);
  observe_first_byte(*st.committed, ev);
}

void on_event(self_ptr self, attempt_event& ev) {
  auto& st = self->state;
  if (st.finished) return;
  const bool for_racer = st.racer && ev.attempt_id == st.racer->id;
  if (!for_racer && (!st.current || ev.attempt_id != st.current->id)) return;  // stale
  if (for_racer) {
    if (ev.kind == attempt_event::failed && !ev.was_committed) {
      settle(self, *st.racer, ev);  // the race goes on (or is decided) without it
      st.racer.reset();
      return;
    }
    std::swap(st.current, st.racer);  // it has the client's response: it is the request's now
  }
  auto& rec = st.record;
  if (ev.kind != attempt_event::committed) rec.upstream_time += ev.upstream_time;
  switch (ev.kind) {
    case attempt_event::committed:
      note_commit(self, ev);
      return;
    case attempt_event::finished:
      settle(self, *st.current, ev);
      // A whole answer's attempt reports its commit with its end, in one event.
      if (st.committed == nullptr && ev.was_committed) note_commit(self, ev);
      rec.usage = ev.usage;
      if (st.committed != nullptr) observe_throughput(self, *st.committed);
      if (ev.upstream_status != 0) rec.status = ev.upstream_status;
      rec.error.clear();
      return finish(self);
    case attempt_event::failed:
      settle(self, *st.current, ev);
      rec.usage = ev.usage;
      if (ev.was_committed || st.committed != nullptr) {
        // After commit there is no retry: the transport already ended the response.
        rec.stream_broken = ev.stream_broken;
        rec.error = std::string("after commit: ") + to_string(ev.failure);
        return finish(self);
      }
      if (ev.failure == attempt_failure::cancelled || ev.failure == attempt_failure::lost_race) {
        if (st.racer && !st.client_gone) {  // lost to its hedge, whose commit is on its way
          st.current = std::move(st.racer);
          st.racer.reset();
          return;
        }
        return finish(self);
      }
      note_failure(self, ev);
      if (st.racer) {  // the hedge already runs: it carries the request on
        st.current = std::move(st.racer);
        st.racer.reset();
        return;
      }
      st.failed_on = st.current->target->stats;
      st.current.reset();  // frees the slot before the next target is asked
      return after_failure(self);
  }
}

// A generous bound on the whole request, only a safety net against a lost event: the transport
// enforces the real timeouts.
std::chrono::milliseconds safety_deadline(const plan& p) {
  std::chrono::milliseconds total{2'000};
  const auto& model = *p.chosen->model;
  // A single-target plan retries its target (after a backoff each time); others try each once.
  const std::size_t attempts = p.targets.size() == 1
                                   ? model.max_attempts
                                   : std::min<std::size_t>(p.targets.size(), p.max_attempts);
  for (std::size_t i = 0; i < attempts; ++i) {
    const auto& prov = *p.targets[i % p.targets.size()]->provider;
    auto t = model.timeouts.total.value_or(prov.timeouts.total);
    if (t.count() <= 0) t = std::chrono::milliseconds{600'000};
    total += prov.queue_timeout + t;
    if (p.targets.size() == 1 && i > 0) total += model.retry_backoff.max;
  }
  return total;
}

// The safety net against a lost event: a request to ourselves that is never answered and times
// out after `d`. Not a delayed_send: CAF's clock would keep a scheduled message, and with it the
// finished actor's memory, until it fired (minutes later, for every request); a request's
// timeout is cancelled when the actor exits.
void arm_safety_net(self_ptr self, std::chrono::milliseconds d) {
  self->request(caf::actor_cast<caf::actor>(self), d, deadline_atom::value)
      .then([] {},
            [self](caf::error& err) {
              if (err != caf::sec::request_timeout) return;
              auto& st = self->state;
              if (st.finished) return;
              if (st.current && st.current->handle) st.current->handle->cancel();
              answer_error(self, make_error(gateway_error::upstream_timeout,
                                            "The request did not complete within the gateway's "
                                            "overall deadline. Retry later."));
            });
}

// The gateway started the first attempt on the ingress thread; from here on it is ours.
void adopt(self_ptr self, std::uint32_t id, slot_ptr& slot, attempt_handle_ptr& handle) {
  auto& st = self->state;
  st.awaiting_adoption = false;
  const route_target* target = st.route_plan.targets.front();
  ++attempts_of(st, target->model);
  st.next_target = 1;
  st.next_attempt_id = id + 1;
  ++st.record.attempts;
  st.current = request_state::attempt{id, std::move(slot), std::move(handle), target,
                                      health_ticket{target->stats, st.args.ports.time->now()}};
  if (st.client_gone) return st.current->handle->cancel();  // its final event finishes us
  arm_hedge(self);
}

}  // namespace

protocols::result<attempt_spec, protocols::error_info> make_attempt_spec(
    const request_context& ctx, const routing_table& routes, const route_target& target,
    std::uint32_t id, caf::actor listener) {
  const auto& req = ctx.request;
  const auto upstream = config::dialect_of(target.provider->type);
  protocols::upstream_target to;
  to.upstream = upstream;
  to.model = target.target->model;
  to.drop_unsupported = target.model->drop_unsupported;
  to.max_tokens = ctx.output_cap;
  to.legacy_max_tokens = target.provider->type != config::provider_type::openai;
  auto encoded = protocols::encode_upstream_request(req, to);
  if (!encoded.ok()) return std::move(encoded).error();
  attempt_spec spec;
  spec.attempt_id = id;
  spec.config = routes.config();
  spec.provider = target.provider;
  spec.kind = req.kind;
  spec.client_dialect = req.client;
  spec.upstream_dialect = upstream;
  spec.upstream_model = target.target->model;
  spec.target = target.target;
  spec.path = std::move(encoded.value().path);
  spec.body = std::move(encoded.value().body);
  spec.dropped = std::move(encoded.value().dropped);
  spec.stream = req.stream;
  spec.client_wants_usage = req.include_usage;
  spec.request_id = ctx.request_id;
  spec.listener = std::move(listener);
  const auto& mt = target.model->timeouts;
  if (mt.connect || mt.first_byte || mt.idle || mt.total) {
    auto t = target.provider->timeouts;
    t.connect = mt.connect.value_or(t.connect);
    t.first_byte = mt.first_byte.value_or(t.first_byte);
    t.idle = mt.idle.value_or(t.idle);
    t.total = mt.total.value_or(t.total);
    spec.timeouts = t;
  }
  return spec;
}

caf::behavior request_actor(caf::stateful_actor<request_state>* self, request_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  const auto& ctx = st.args.ctx;
  auto& rec = st.record;
  rec.request_id = ctx.request_id;
  rec.record_id = ctx.record_id.empty() ? new_record_id() : ctx.record_id;
  rec.tenant = ctx.tenant != nullptr ? ctx.tenant->name : std::string{};
  rec.key_prefix = ctx.key_prefix;
  rec.key_id = ctx.key_id;
  rec.model = ctx.request.model;
  rec.kind = ctx.request.kind;
  rec.client = ctx.request.client;
  rec.stream = ctx.request.stream;

  ctx.sink->set_listener(caf::actor_cast<caf::actor>(self));
  st.route_plan = std::move(st.args.route_plan);
  if (st.route_plan.error) {
    answer_error(self, *st.route_plan.error);
    return {};
  }
  arm_safety_net(self, safety_deadline(st.route_plan));
  if (st.args.first_attempt_started) {
    st.awaiting_adoption = true;
  } else {
    try_next(self);
  }
  return {
      [=](adopt_atom, std::uint32_t id, slot_ptr& slot, attempt_handle_ptr& handle) {
        adopt(self, id, slot, handle);
      },
      [=](attempt_event& ev) { on_event(self, ev); },
      [=](hedge_atom, std::uint32_t id) { hedge(self, id); },
      [=](retry_atom) {
        if (!self->state.finished) try_next(self);
      },
      [=](client_gone_atom) {
        auto& st = self->state;
        st.client_gone = true;
        st.record.client_gone = true;
        if (st.committed == nullptr) st.record.status = 499;  // nginx's "client closed request"
        if (st.awaiting_adoption) return;  // `adopt` cancels the attempt it receives
        if (st.racer && st.racer->handle) st.racer->handle->cancel();
        if (st.current && st.current->handle) {
          st.current->handle->cancel();  // its final event brings the usage, then we finish
        } else {
          finish(self);  // waiting for a slot: a late admission is dropped and its slot freed
        }
      },
      [=](deadline_atom) -> caf::response_promise {
        // The safety net's request to ourselves: never answered, so that it times out.
        self->state.safety_net = self->make_response_promise();
        return self->state.safety_net;
      },
  };
}

}  // namespace switchyard::actors
