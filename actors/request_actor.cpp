// One request's life, and the committed-response rule: until an attempt commits (its first byte
// went to the client), any failure moves on to the next target; after commit there is no retry.
#include "actors/request_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/cost.hpp"
#include "actors/messages.hpp"
#include "actors/provider_slot.hpp"
#include "actors/router.hpp"
#include "actors/usage_writer.hpp"
#include "protocols/upstream_request.hpp"

namespace switchyard::actors {

using protocols::gateway_error;
using protocols::make_error;

namespace {

using self_ptr = caf::stateful_actor<request_state>*;

void try_next(self_ptr self);

void finish(self_ptr self) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  st.current.reset();
  auto& rec = st.record;
  rec.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      st.args.ports.time->now() - st.args.ctx.received);
  if (st.committed != nullptr) rec.cost_usd = cost_usd(*st.committed->target, rec.usage);
  rec.finished_at = std::chrono::system_clock::now();
  if (st.args.ports.observer) st.args.ports.observer->on_request_done(rec);
  if (st.args.usage_writer) self->send(st.args.usage_writer, std::move(rec));
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

void start_attempt(self_ptr self, const route_target* target, slot_ptr slot, attempt_spec spec) {
  auto& st = self->state;
  spec.attempt_id = st.next_attempt_id++;
  ++st.record.attempts;
  st.current = request_state::attempt{spec.attempt_id, std::move(slot), nullptr, target};
  st.current->handle = st.args.ports.transport->start(std::move(spec), st.args.ctx.sink);
}

void try_next(self_ptr self) {
  auto& st = self->state;
  if (st.client_gone) return finish(self);
  const auto& targets = st.route_plan.targets;
  if (st.record.attempts >= st.route_plan.chosen->model->max_attempts ||
      st.next_target >= targets.size()) {
    return give_up(self);
  }
  const route_target* target = targets[st.next_target++];
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

// The current attempt has the client's response.
void note_commit(self_ptr self, const attempt_event& ev) {
  auto& st = self->state;
  auto& rec = st.record;
  st.committed = st.current->target;
  rec.provider = st.committed->provider->name;
  rec.upstream_model = st.committed->target->model;
  rec.status = ev.upstream_status != 0 ? ev.upstream_status : 200;
  rec.time_to_first_byte = std::chrono::duration_cast<std::chrono::microseconds>(
      st.args.ports.time->now() - st.args.ctx.received);
}

void on_event(self_ptr self, attempt_event& ev) {
  auto& st = self->state;
  if (st.finished || !st.current || ev.attempt_id != st.current->id) return;  // stale
  auto& rec = st.record;
  if (ev.kind != attempt_event::committed) rec.upstream_time += ev.upstream_time;
  switch (ev.kind) {
    case attempt_event::committed:
      note_commit(self, ev);
      return;
    case attempt_event::finished:
      // A whole answer's attempt reports its commit with its end, in one event.
      if (st.committed == nullptr && ev.was_committed) note_commit(self, ev);
      rec.usage = ev.usage;
      if (ev.upstream_status != 0) rec.status = ev.upstream_status;
      rec.error.clear();
      return finish(self);
    case attempt_event::failed:
      rec.usage = ev.usage;
      if (ev.was_committed || st.committed != nullptr) {
        // After commit there is no retry: the transport already ended the response.
        rec.stream_broken = ev.stream_broken;
        rec.error = std::string("after commit: ") + to_string(ev.failure);
        return finish(self);
      }
      if (ev.failure == attempt_failure::cancelled || ev.failure == attempt_failure::lost_race) {
        return finish(self);
      }
      note_failure(self, ev);
      st.current.reset();  // frees the slot before the next target is asked
      return try_next(self);
  }
}

// A generous bound on the whole request, only a safety net against a lost event: the transport
// enforces the real timeouts.
std::chrono::milliseconds safety_deadline(const plan& p) {
  std::chrono::milliseconds total{2'000};
  const std::size_t attempts = std::min<std::size_t>(p.targets.size(), p.chosen->model->max_attempts);
  for (std::size_t i = 0; i < attempts; ++i) {
    const auto& prov = *p.targets[i]->provider;
    auto t = prov.timeouts.total.count() > 0 ? prov.timeouts.total : std::chrono::milliseconds{600'000};
    total += prov.queue_timeout + t;
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
  st.next_target = 1;
  st.next_attempt_id = id + 1;
  ++st.record.attempts;
  st.current = request_state::attempt{id, std::move(slot), std::move(handle), target};
  if (st.client_gone) st.current->handle->cancel();  // its final event finishes us
}

}  // namespace

protocols::result<attempt_spec, protocols::error_info> make_attempt_spec(
    const request_context& ctx, const routing_table& routes, const route_target& target,
    std::uint32_t id, caf::actor listener) {
  const auto& req = ctx.request;
  const auto upstream = config::dialect_of(target.provider->type);
  auto encoded = protocols::encode_upstream_request(
      req, {upstream, target.target->model, target.model->drop_unsupported});
  if (!encoded.ok()) return std::move(encoded).error();
  attempt_spec spec;
  spec.attempt_id = id;
  spec.config = routes.config();
  spec.provider = target.provider;
  spec.kind = req.kind;
  spec.client_dialect = req.client;
  spec.upstream_dialect = upstream;
  spec.upstream_model = target.target->model;
  spec.path = std::move(encoded.value().path);
  spec.body = std::move(encoded.value().body);
  spec.dropped = std::move(encoded.value().dropped);
  spec.stream = req.stream;
  spec.client_wants_usage = req.include_usage;
  spec.request_id = ctx.request_id;
  spec.listener = std::move(listener);
  return spec;
}

caf::behavior request_actor(caf::stateful_actor<request_state>* self, request_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  const auto& ctx = st.args.ctx;
  auto& rec = st.record;
  rec.request_id = ctx.request_id;
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
      [=](client_gone_atom) {
        auto& st = self->state;
        st.client_gone = true;
        st.record.client_gone = true;
        if (st.committed == nullptr) st.record.status = 499;  // nginx's "client closed request"
        if (st.awaiting_adoption) return;  // `adopt` cancels the attempt it receives
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
