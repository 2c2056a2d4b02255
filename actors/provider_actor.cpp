// Provider admission: the bounded queue, its deadlines, and slots for waiters. The in-flight
// count is shared with the lock-free fast path in actors/admission.hpp.
#include "actors/provider_actor.hpp"

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/mailbox_size.hpp"
#include "actors/messages.hpp"
#include "actors/provider_slot.hpp"
#include "actors/provider_supervisor.hpp"  // snapshot_ptr as a message type

namespace switchyard::actors {

namespace {

using self_ptr = caf::stateful_actor<provider_state>*;

slot_ptr slot_of(self_ptr self) {
  return std::make_shared<provider_slot>(caf::actor_cast<caf::actor>(self), self->state.args.stats);
}

void publish_queue(self_ptr self) {
  self->state.args.stats->queued.store(static_cast<std::uint32_t>(self->state.queue.size()));
}

void schedule_wake_up(self_ptr self) {
  auto& st = self->state;
  if (st.wake_up_pending || st.queue.empty()) return;
  st.wake_up_pending = true;
  auto wait = st.queue.front().deadline - st.args.time->now();
  if (wait < clock::duration::zero()) wait = clock::duration::zero();
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(wait),
                     expire_atom::value);
}

// Answers every waiter whose deadline has passed.
void expire_waiters(self_ptr self) {
  auto& st = self->state;
  const auto now = st.args.time->now();
  while (!st.queue.empty() && st.queue.front().deadline <= now) {
    auto promise = std::move(st.queue.front().promise);
    st.queue.pop_front();
    // Figures first: whoever gets the reply may read them at once.
    st.args.stats->queue_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    publish_queue(self);
    promise.deliver(admission::queue_timeout, slot_ptr{});
  }
}

// Hands free slots to waiters, oldest first.
void admit_waiters(self_ptr self) {
  auto& st = self->state;
  expire_waiters(self);
  while (!st.queue.empty() && try_admit_waiter(*st.args.stats)) {
    auto promise = std::move(st.queue.front().promise);
    st.queue.pop_front();
    publish_queue(self);
    promise.deliver(admission::admitted, slot_of(self));
  }
}

// The mailbox's depth for the metrics: cheap (CAF keeps the count), and only safe from here.
void sample_mailbox(caf::stateful_actor<provider_state>* self) {
  self->state.args.stats->mailbox_depth.store(static_cast<std::uint32_t>(mailbox_size(self)),
                                              std::memory_order_relaxed);
}

}  // namespace

caf::behavior provider_actor(caf::stateful_actor<provider_state>* self, provider_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.max_queue = st.args.provider->max_queue;
  st.args.stats->limit.store(st.args.provider->max_in_flight);
  st.args.stats->queued.store(0);  // a restarted actor starts with no waiters
  // Live-actor gauge: counted up here, down by a functor that runs however the actor ends. A
  // count, not a flag: the successor may start before its predecessor's functor has run.
  st.args.stats->alive.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor(
      [stats = st.args.stats] { stats->alive.fetch_sub(1, std::memory_order_relaxed); });
  return {
      [=](acquire_atom) -> caf::result<admission, slot_ptr> {
        auto& st = self->state;
        sample_mailbox(self);
        if (!st.args.provider->enabled) return {admission::disabled, slot_ptr{}};
        if (try_admit_fast(*st.args.stats)) return {admission::admitted, slot_of(self)};
        if (st.queue.size() < st.max_queue) {
          auto promise = self->make_response_promise();
          st.queue.push_back({promise, st.args.time->now() + st.args.provider->queue_timeout});
          publish_queue(self);
          // A slot released between the failed fast path and publish_queue saw no waiter and did
          // not tell us: retry now, so that release is never lost.
          admit_waiters(self);
          schedule_wake_up(self);
          return promise;
        }
        st.args.stats->rejected_total.fetch_add(1, std::memory_order_relaxed);
        return {admission::overloaded, slot_ptr{}};
      },
      [=](release_atom) {
        sample_mailbox(self);
        admit_waiters(self);
      },
      [=](expire_atom) {
        self->state.wake_up_pending = false;
        expire_waiters(self);
        schedule_wake_up(self);
      },
      [=](reconfigure_atom, config::snapshot_ptr config, std::size_t index) {
        auto& st = self->state;
        if (index >= config->providers.size()) return;  // the supervisor never sends one
        st.args.provider = &config->providers[index];
        st.args.config = std::move(config);
        st.max_queue = st.args.provider->max_queue;
        st.args.stats->limit.store(st.args.provider->max_in_flight);
        if (!st.args.provider->enabled) {
          // As if they had asked now: a disabled provider admits nobody.
          while (!st.queue.empty()) {
            auto promise = std::move(st.queue.front().promise);
            st.queue.pop_front();
            publish_queue(self);
            promise.deliver(admission::disabled, slot_ptr{});
          }
          return;
        }
        admit_waiters(self);  // a raised limit frees slots for those waiting at once
      },
  };
}

}  // namespace switchyard::actors
