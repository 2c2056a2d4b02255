// The usage writer's batching (see usage_writer.hpp).
#include "actors/usage_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "actors/journal_replay.hpp"
#include "actors/mailbox_size.hpp"
#include "actors/messages.hpp"

namespace switchyard::actors {

namespace {

struct usage_writer_state {
  std::shared_ptr<usage_store> store;
  std::shared_ptr<usage_writer_stats> stats;
  usage_writer_options options;
  std::vector<request_record> pending;
  std::vector<journal_ticket> tickets;     // of `pending`, index for index
  std::shared_ptr<usage_journal> journal;  // may be null
  bool tick_armed = false;
  /// Journaled records were let go past `max_pending`: read them back once there is room.
  bool left_on_disk = false;
  std::uint64_t failures_in_a_row = 0;

  static inline const char* name = "usage_writer";
};

using writer_ptr = caf::stateful_actor<usage_writer_state>*;

// The records let go past the memory bound are read back from the journal and stored straight
// from there, not queued: the bound holds. If the store fails again, they wait on disk for the
// next time everything in memory is written.
void take_back(writer_ptr self) {
  auto& st = self->state;
  st.left_on_disk = false;
  auto records = st.journal->reread_unstored();
  const std::size_t n = records.size();
  std::string error;
  auto refused =
      store_journaled(std::move(records), *st.journal, *st.store, st.options.batch_size, error);
  st.stats->written_total.fetch_add(n - refused.size(), std::memory_order_relaxed);
  if (!refused.empty()) st.left_on_disk = true;
}

// Writes what waits, a batch at a time; stops at the first failure, keeping the rest. True when
// nothing waits any more.
bool write_pending(writer_ptr self) {
  auto& st = self->state;
  std::size_t done = 0;
  std::string error;
  bool ok = true;
  while (done < st.pending.size()) {
    const std::size_t n = std::min(st.options.batch_size, st.pending.size() - done);
    if (!st.store->append(std::span<const request_record>{st.pending.data() + done, n}, error)) {
      ok = false;
      break;
    }
    if (st.journal)
      st.journal->stored(std::span<const journal_ticket>{st.tickets.data() + done, n});
    done += n;
    st.stats->written_total.fetch_add(n, std::memory_order_relaxed);
  }
  st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<std::ptrdiff_t>(done));
  st.tickets.erase(st.tickets.begin(), st.tickets.begin() + static_cast<std::ptrdiff_t>(done));
  st.stats->pending.store(static_cast<std::int64_t>(st.pending.size()), std::memory_order_relaxed);
  st.stats->failing.store(!ok, std::memory_order_relaxed);
  if (ok) {
    st.failures_in_a_row = 0;
    if (st.left_on_disk && st.journal) take_back(self);
    return true;
  }
  st.stats->write_errors_total.fetch_add(1, std::memory_order_relaxed);
  // One line when the store starts failing, then one per hundred attempts: not one per tick.
  if (st.failures_in_a_row++ % 100 == 0)
    std::fprintf(stderr, "switchyard: error: usage records not stored (%zu waiting, retrying): %s\n",
                 st.pending.size(), error.c_str());
  return false;
}

void arm_tick(writer_ptr self) {
  auto& st = self->state;
  if (st.tick_armed) return;
  st.tick_armed = true;
  // Anonymous: a reply to the tick (flush answers a bool) must not come back to us.
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), st.options.flush_interval,
                         flush_atom::value);
}

// Queues one record, and writes when a batch is full.
void enqueue(writer_ptr self, request_record&& rec, journal_ticket ticket) {
  auto& st = self->state;
  // Sampled here, the only safe place: a writer behind a slow store backs up first here.
  st.stats->mailbox_depth.store(mailbox_size(self), std::memory_order_relaxed);
  if (st.pending.size() >= st.options.max_pending) {
    // A journaled record is not lost: it stays on disk, read back once everything in memory
    // is stored (or at the next start).
    if (ticket.segment == 0)
      st.stats->dropped_total.fetch_add(1, std::memory_order_relaxed);
    else
      st.left_on_disk = true;
    return;
  }
  st.pending.push_back(std::move(rec));
  st.tickets.push_back(ticket);
  st.stats->pending.store(static_cast<std::int64_t>(st.pending.size()), std::memory_order_relaxed);
  if (st.pending.size() >= st.options.batch_size) write_pending(self);
  if (!st.pending.empty()) arm_tick(self);
}

caf::behavior usage_writer(writer_ptr self, std::shared_ptr<usage_store> store,
                           std::shared_ptr<usage_writer_stats> stats, usage_writer_options options,
                           std::shared_ptr<usage_journal> journal) {
  auto& st = self->state;
  st.journal = std::move(journal);
  st.store = std::move(store);
  st.stats = std::move(stats);
  st.options = options;
  st.stats->alive.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor(
      [stats = st.stats] { stats->alive.fetch_sub(1, std::memory_order_relaxed); });
  st.options.batch_size = std::max<std::size_t>(st.options.batch_size, 1);
  return {
      [=](request_record& rec) { enqueue(self, std::move(rec), journal_ticket{}); },
      [=](journaled_record& j) { enqueue(self, std::move(j.record), j.ticket); },
      [=](lookup_atom, const std::string& id, const std::string& key_id) -> usage_lookup {
        auto& st = self->state;
        // Not written yet: the newest waiting record wins, as the store's newest row would.
        for (auto it = st.pending.rbegin(); it != st.pending.rend(); ++it)
          if (it->request_id == id && it->key_id == key_id) return {true, *it};
        std::string error;
        auto rec = st.store->find(id, key_id, error);
        if (!rec) return {};
        return {true, std::move(*rec)};
      },
      [=](flush_atom) -> bool {
        auto& st = self->state;
        st.tick_armed = false;
        const bool all = write_pending(self);
        if (!all) arm_tick(self);
        return all;
      },
  };
}

}  // namespace

caf::actor spawn_usage_writer(caf::actor_system& system, std::shared_ptr<usage_store> store,
                              std::shared_ptr<usage_writer_stats> stats,
                              usage_writer_options options,
                              std::shared_ptr<usage_journal> journal) {
  stats->spool_limit.store(options.max_pending, std::memory_order_relaxed);
  return system.spawn<caf::detached>(usage_writer, std::move(store), std::move(stats), options,
                                     std::move(journal));
}

}  // namespace switchyard::actors
