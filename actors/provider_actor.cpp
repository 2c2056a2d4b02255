// Provider admission: slots, the bounded queue and its deadlines.
#include "actors/provider_actor.hpp"

#include <deque>
#include <tuple>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/provider_slot.hpp"

namespace switchyard::actors {

namespace {

using self_ptr = caf::stateful_actor<provider_state>*;

void publish(self_ptr self) {
  auto& st = self->state;
  st.args.stats->in_flight.store(st.in_flight, std::memory_order_relaxed);
  st.args.stats->queued.store(static_cast<std::uint32_t>(st.queue.size()), std::memory_order_relaxed);
}

slot_ptr new_slot(self_ptr self) {
  ++self->state.in_flight;
  self->state.args.stats->admitted_total.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<provider_slot>(caf::actor_cast<caf::actor>(self));
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
    publish(self);
    promise.deliver(admission::queue_timeout, slot_ptr{});
  }
}

// Hands freed slots to waiters, oldest first.
void admit_waiters(self_ptr self) {
  auto& st = self->state;
  expire_waiters(self);
  while (!st.queue.empty() && st.in_flight < st.limit) {
    auto promise = std::move(st.queue.front().promise);
    st.queue.pop_front();
    auto slot = new_slot(self);
    publish(self);
    promise.deliver(admission::admitted, std::move(slot));
  }
}

}  // namespace

caf::behavior provider_actor(caf::stateful_actor<provider_state>* self, provider_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.limit = st.args.provider->max_in_flight;
  st.max_queue = st.args.provider->max_queue;
  st.args.stats->limit.store(st.limit, std::memory_order_relaxed);
  publish(self);
  return {
      [=](acquire_atom) -> caf::result<admission, slot_ptr> {
        auto& st = self->state;
        if (!st.args.provider->enabled) return {admission::disabled, slot_ptr{}};
        if (st.in_flight < st.limit && st.queue.empty()) {
          auto slot = new_slot(self);
          publish(self);
          return {admission::admitted, std::move(slot)};
        }
        if (st.queue.size() < st.max_queue) {
          auto promise = self->make_response_promise();
          st.queue.push_back({promise, st.args.time->now() + st.args.provider->queue_timeout});
          schedule_wake_up(self);
          publish(self);
          return promise;
        }
        st.args.stats->rejected_total.fetch_add(1, std::memory_order_relaxed);
        return {admission::overloaded, slot_ptr{}};
      },
      [=](release_atom) {
        auto& st = self->state;
        if (st.in_flight > 0) --st.in_flight;
        admit_waiters(self);
        publish(self);
      },
      [=](expire_atom) {
        self->state.wake_up_pending = false;
        expire_waiters(self);
        schedule_wake_up(self);
        publish(self);
      },
  };
}

}  // namespace switchyard::actors
