// The usage writer: every finished request's record, batched into its usage store. A detached
// actor (its own thread), because a store may block on disk or network. Nothing is dropped while
// the spool has room: a failed batch is kept and written again on the next flush.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include "actors/ports/request_observer.hpp"
#include "actors/ports/usage_journal.hpp"
#include "actors/ports/usage_store.hpp"

namespace switchyard::actors {

using flush_atom = caf::atom_constant<caf::atom("flush")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;

/// The answer to a lookup: the record when `found`.
struct usage_lookup {
  bool found = false;
  request_record record;
};

/// Figures of the usage writer, read by the metrics exporter.
struct usage_writer_stats {
  std::atomic<std::uint64_t> written_total{0};       ///< records stored
  std::atomic<std::uint64_t> write_errors_total{0};  ///< failed batch writes (records kept)
  std::atomic<std::uint64_t> dropped_total{0};       ///< records lost to a full spool
  std::atomic<std::int64_t> pending{0};              ///< records waiting to be written
  std::atomic<bool> failing{false};         ///< the last write failed (cleared by a success)
  std::atomic<std::uint64_t> spool_limit{0};  ///< `usage_writer_options::max_pending`
  std::atomic<std::uint64_t> mailbox_depth{0};  ///< messages waiting, sampled at each record
  std::atomic<std::uint32_t> alive{0};           ///< 1 while the writer runs
};

/// How the usage writer batches.
struct usage_writer_options {
  std::size_t batch_size = 256;                         ///< write as soon as this many wait
  std::chrono::milliseconds flush_interval{200};        ///< else at least this often
  std::size_t max_pending = 1'000'000;                  ///< spool bound while the store fails
};

/// Spawns the writer (detached). Messages: `request_record` (queue it), `journaled_record` (queue
/// it; once stored, its ticket goes back to `journal`), `flush_atom` (write what
/// waits now; as a request, answers `true` once nothing waits or `false` when the store failed),
/// `(lookup_atom, request_id, key_id)` (answers a `usage_lookup`: the newest record of that
/// request made with that key, whether still waiting or stored).
caf::actor spawn_usage_writer(caf::actor_system& system, std::shared_ptr<usage_store> store,
                              std::shared_ptr<usage_writer_stats> stats,
                              usage_writer_options options = {},
                              std::shared_ptr<usage_journal> journal = nullptr);

}  // namespace switchyard::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::request_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::usage_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::journaled_record)
