// The usage journal on disk (the port is actors/ports/usage_journal.hpp): segment files
// `journal-<20-digit sequence>.log` in `server.spool_dir`, framed as journal_codec.hpp says.
//
// Every append is one write(2) to the active segment, opened O_APPEND, under a mutex (the
// sequence and the per-segment counts must agree with the file). The active segment rotates when
// it reaches `segment_bytes`; a sealed segment is deleted once every record in it is stored, and
// the active one is emptied whenever everything it holds is stored. A `lock` file (flock) keeps
// a second gateway out of the directory: each node needs its own.
//
// Durability: a write(2) that returned is in the page cache, so it survives the process being
// killed (SIGKILL, OOM); surviving a power loss or kernel crash needs `fsync` (fdatasync after
// every append, at a large cost per record).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/ports/usage_journal.hpp"
#include "protocols/result.hpp"

namespace switchyard::runtime {

struct journal_options {
  std::filesystem::path dir;               ///< created (0700) if missing
  std::uint64_t segment_bytes = 8u << 20;  ///< rotate past this size
  bool fsync = false;                      ///< fdatasync after every append
};

class file_journal final : public actors::usage_journal {
 public:
  /// Takes the directory's lock and reads back what earlier runs left (see take_leftovers),
  /// logging every torn or damaged entry. The error is log-safe.
  static protocols::result<std::shared_ptr<file_journal>, std::string> open(
      const journal_options& options);

  /// Deletes the segments when every record in them was stored; otherwise leaves them for the
  /// next start.
  ~file_journal() override;
  file_journal(const file_journal&) = delete;
  file_journal& operator=(const file_journal&) = delete;

  actors::journal_ticket append(const actors::request_record& record) noexcept override;
  void append_provisional(const actors::request_record& record) noexcept override;
  void stored(std::span<const actors::journal_ticket> tickets) noexcept override;
  std::vector<actors::journaled_record> take_leftovers() override;
  std::vector<actors::journaled_record> reread_unstored() override;
  const actors::journal_stats& stats() const noexcept override { return stats_; }

  /// The segment files present now, oldest first (tests).
  std::vector<std::filesystem::path> segment_files() const;

 private:
  struct segment {
    std::uint64_t appended = 0;     // final records written to it
    std::uint64_t stored = 0;       // of those, stored
    std::uint64_t provisional = 0;  // provisional entries no final record superseded yet
    std::vector<std::filesystem::path> files;
  };

  explicit file_journal(journal_options options) : options_(std::move(options)) {}
  bool open_active(std::string& error);   // mutex_ held (or not yet shared)
  void retire_if_done(std::uint64_t id);  // mutex_ held
  bool done(const segment& s) const noexcept {
    return s.stored >= s.appended && s.provisional == 0;
  }
  // Writes one frame to the active segment; for a final record (`provisional` false) fills
  // `ticket`. `record_id` resolves (or opens) a provisional entry.
  bool write_frame(const std::string& frame, const std::string& record_id, bool provisional,
                   actors::journal_ticket& ticket) noexcept;

  journal_options options_;
  actors::journal_stats stats_;
  mutable std::mutex mutex_;
  int lock_fd_ = -1;
  int active_fd_ = -1;
  std::uint64_t active_id_ = 0;  // the key of the active segment in `segments_`
  std::uint64_t active_bytes_ = 0;
  std::uint64_t next_file_seq_ = 1;  // file names sort in append order
  std::uint64_t next_id_ = 1;
  std::uint64_t leftover_id_ = 0;              // the segment of what earlier runs left; 0 = none
  std::map<std::uint64_t, segment> segments_;  // every segment not yet deleted (active included)
  std::vector<actors::journaled_record> leftovers_;
  /// Provisional entries not yet superseded: record id -> the segment holding the entry.
  std::unordered_map<std::string, std::uint64_t> provisional_;
  std::uint64_t failures_in_a_row_ = 0;
};

}  // namespace switchyard::runtime
