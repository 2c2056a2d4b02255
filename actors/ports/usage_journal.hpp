// Port: the write-ahead journal of usage records. Every finished record is appended here, by the
// thread that finishes its request, before the usage writer gets it; the writer hands the record's
// ticket back once the store holds it. What the journal still holds at start (the node was killed,
// or its store was down when it stopped) is stored again: stores key on `record_id`, so a record
// stored before the crash is not stored twice. The runtime's implementation keeps it in files
// (runtime/usage_journal.hpp); without a journal, records live in memory only until stored.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "actors/ports/request_observer.hpp"

namespace switchyard::actors {

/// Where a journaled record sits, handed back to the journal once the record is stored.
struct journal_ticket {
  std::uint64_t segment = 0;  ///< 0: the record is not in the journal (append failed)
};

/// A record read back from the journal at start, with its ticket.
struct journaled_record {
  request_record record;
  journal_ticket ticket;
};

/// Figures of the journal, read by the metrics exporter.
struct journal_stats {
  std::atomic<std::int64_t> records{0};               ///< journaled records not yet stored
  std::atomic<std::uint64_t> replayed_total{0};       ///< records read back at start and stored
  std::atomic<std::uint64_t> append_errors_total{0};  ///< records that could not be journaled
  std::atomic<std::uint64_t> corrupt_total{0};  ///< entries skipped at start (checksum mismatch)
};

class usage_journal {
 public:
  virtual ~usage_journal() = default;

  /// Appends a finished record. Thread-safe, never throws, never waits on the store. A ticket
  /// with segment 0 means the record could not be journaled (counted; it is still stored from
  /// memory).
  virtual journal_ticket append(const request_record& record) noexcept = 0;

  /// Appends a provisional entry: what is known of a record before its response's last bytes
  /// go out. A later `append` of the same `record_id` supersedes it; only when none follows (the
  /// node died in between) is it what the next start stores. Not counted as waiting.
  virtual void append_provisional(const request_record& record) noexcept = 0;

  /// The usage writer stored the records of `tickets`.
  virtual void stored(std::span<const journal_ticket> tickets) noexcept = 0;

  /// What the journal held at start: the latest entry of every record id, in journal order.
  /// Called once; later calls return nothing.
  virtual std::vector<journaled_record> take_leftovers() = 0;

  /// Every record of the segments that still hold unstored records, read back (the latest entry
  /// per record id), with new tickets that replace the old ones (a late `stored` of an old
  /// ticket is ignored). For the usage writer, which let records past its memory bound go
  /// (they were on disk) and has room again. Records already stored come back too: stores
  /// ignore a record id they hold.
  virtual std::vector<journaled_record> reread_unstored() { return {}; }

  virtual const journal_stats& stats() const noexcept = 0;
};

}  // namespace switchyard::actors
