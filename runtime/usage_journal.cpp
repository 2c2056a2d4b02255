// The usage journal on disk (see usage_journal.hpp).
#include "runtime/usage_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "runtime/journal_codec.hpp"
#include "runtime/process.hpp"

namespace switchyard::runtime {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view prefix = "journal-";
constexpr std::string_view suffix = ".log";
constexpr std::size_t seq_digits = 20;

std::string errno_text() {
  return std::strerror(errno);
}

// The sequence number of a segment file name, or 0 when `name` is not one.
std::uint64_t sequence_of(const std::string& name) {
  if (name.size() != prefix.size() + seq_digits + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return 0;
  std::uint64_t seq = 0;
  for (std::size_t i = prefix.size(); i < prefix.size() + seq_digits; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    seq = seq * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return seq;
}

std::string file_name(std::uint64_t seq) {
  std::string digits = std::to_string(seq);
  return std::string{prefix} + std::string(seq_digits - digits.size(), '0') + digits +
         std::string{suffix};
}

// The segment files in `dir`, oldest first.
std::vector<std::pair<std::uint64_t, fs::path>> list_segments(const fs::path& dir,
                                                              std::error_code& ec) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    if (auto seq = sequence_of(it->path().filename().string()); seq != 0)
      found.emplace_back(seq, it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

bool read_file(const fs::path& path, std::string& bytes) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return false;
  std::ostringstream all;
  all << in.rdbuf();
  bytes = std::move(all).str();
  return !in.bad();
}

void remove_files(const std::vector<fs::path>& files) {
  for (const auto& f : files) {
    std::error_code ec;
    fs::remove(f, ec);
    if (ec) log_line("warning", "usage journal: cannot delete " + f.string() + ": " + ec.message());
  }
}

}  // namespace

protocols::result<std::shared_ptr<file_journal>, std::string> file_journal::open(
    const journal_options& options) {
  const std::string where = "spool_dir " + options.dir.string() + ": ";
  std::error_code ec;
  if (!fs::exists(options.dir, ec)) {
    fs::create_directories(options.dir, ec);
    if (!ec) fs::permissions(options.dir, fs::perms::owner_all, ec);  // records name tenants
    if (ec) return where + "cannot create it: " + ec.message();
  }
  std::shared_ptr<file_journal> j{new file_journal(options)};
  const auto lock_path = options.dir / "lock";
  j->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (j->lock_fd_ < 0) return where + "cannot open its lock file: " + errno_text();
  if (::flock(j->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return where + "another running gateway uses this directory (each node needs its own)";
    return where + "cannot lock it: " + errno_text();
  }

  auto old = list_segments(options.dir, ec);
  if (ec) return where + "cannot list it: " + ec.message();
  // The latest entry of every record id wins: a final record supersedes its provisional entry.
  std::unordered_map<std::string, std::size_t> index;
  std::vector<bool> provisional;  // of `leftovers_`: the latest entry is a provisional one
  std::vector<fs::path> old_files;
  for (const auto& [seq, path] : old) {
    j->next_file_seq_ = seq + 1;
    old_files.push_back(path);
    std::string bytes;
    if (!read_file(path, bytes))
      return where + "cannot read " + path.string() + ": " + errno_text();
    auto found = journal::scan(bytes);
    for (const auto& p : found.problems)
      log_line("error", "usage journal " + path.string() + ": " + p);
    if (found.torn_bytes != 0)
      log_line("info", "usage journal " + path.string() + ": an incomplete last entry (" +
                           std::to_string(found.torn_bytes) +
                           " bytes, written when the process was killed) is ignored");
    j->stats_.corrupt_total.fetch_add(found.corrupt, std::memory_order_relaxed);
    if (found.corrupt != 0) {
      // The segment goes once its good entries are stored; a copy stays for inspection.
      auto copy = path;
      copy += ".damaged";
      std::error_code copy_error;
      fs::copy_file(path, copy, fs::copy_options::overwrite_existing, copy_error);
      log_line("error", "usage journal " + path.string() + ": " +
                            (copy_error ? "cannot keep a copy: " + copy_error.message()
                                        : "a copy is kept as " + copy.string()));
    }
    for (auto& e : found.entries) {
      const std::string id = e.record.record_id;
      if (!id.empty()) {
        auto [at, fresh] = index.try_emplace(id, j->leftovers_.size());
        if (!fresh) {
          j->leftovers_[at->second].record = std::move(e.record);
          provisional[at->second] = e.kind == journal::entry_kind::provisional;
          continue;
        }
      }
      j->leftovers_.push_back({std::move(e.record), {}});
      provisional.push_back(e.kind == journal::entry_kind::provisional);
    }
  }
  if (j->leftovers_.empty()) {
    remove_files(old_files);
  } else {
    // One segment for everything read back: its files go once the last of them is stored.
    const std::uint64_t id = j->leftover_id_ = j->next_id_++;
    j->segments_[id] = segment{j->leftovers_.size(), 0, 0, std::move(old_files)};
    for (auto& l : j->leftovers_) l.ticket.segment = id;
    j->stats_.records.store(static_cast<std::int64_t>(j->leftovers_.size()));
    const auto announced = std::count(provisional.begin(), provisional.end(), true);
    log_line("info", "usage journal: " + std::to_string(j->leftovers_.size()) +
                         " record(s) from an earlier run will be stored again (once each); " +
                         std::to_string(announced) +
                         " of them provisional (the node stopped between a response's last "
                         "bytes and its full record)");
  }
  std::string error;
  if (!j->open_active(error)) return where + error;
  return j;
}

bool file_journal::open_active(std::string& error) {
  const auto path = options_.dir / file_name(next_file_seq_++);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + path.string() + ": " + errno_text();
    return false;
  }
  active_fd_ = fd;
  active_bytes_ = 0;
  active_id_ = next_id_++;
  segments_[active_id_] = segment{0, 0, 0, {path}};
  return true;
}

file_journal::~file_journal() {
  if (active_fd_ >= 0) ::close(active_fd_);
  bool all_stored = true;
  for (const auto& [id, s] : segments_) all_stored = all_stored && done(s);
  if (all_stored)
    for (const auto& [id, s] : segments_) remove_files(s.files);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void file_journal::retire_if_done(std::uint64_t id) {
  auto it = segments_.find(id);
  if (it == segments_.end() || !done(it->second)) return;
  if (id != active_id_) {
    remove_files(it->second.files);
    segments_.erase(it);
  } else if (active_bytes_ != 0 && ::ftruncate(active_fd_, 0) == 0) {
    // Everything the active segment holds is stored: start it over rather than let the next
    // start replay what is already stored.
    active_bytes_ = 0;
    it->second.appended = it->second.stored = 0;
  }
}

bool file_journal::write_frame(const std::string& frame, const std::string& record_id,
                               bool provisional, actors::journal_ticket& ticket) noexcept {
  std::lock_guard<std::mutex> guard{mutex_};
  if (active_fd_ < 0) return false;
  if (active_bytes_ != 0 && active_bytes_ + frame.size() > options_.segment_bytes) {
    // Rotate: the sealed segment is deleted once its last record is stored.
    std::string error;
    const int sealed_fd = active_fd_;
    const std::uint64_t sealed = active_id_;
    if (open_active(error)) {
      ::close(sealed_fd);
      retire_if_done(sealed);
    } else if (failures_in_a_row_++ % 100 == 0) {
      log_line("error", "usage journal: cannot rotate, appending to the full segment: " + error);
    }
  }
  const ssize_t n = ::write(active_fd_, frame.data(), frame.size());
  if (n != static_cast<ssize_t>(frame.size())) {
    const std::string why = n < 0 ? errno_text() : "short write (disk full?)";
    // A partial frame would hide every later one from the next start: cut it off.
    if (n > 0 && ::ftruncate(active_fd_, static_cast<off_t>(active_bytes_)) != 0) {
      std::string error;
      const int broken = active_fd_;
      if (open_active(error)) ::close(broken);
    }
    if (failures_in_a_row_++ % 100 == 0)
      log_line("error",
               "usage journal: a record could not be written (kept in memory only): " + why);
    return false;
  }
  failures_in_a_row_ = 0;
  active_bytes_ += frame.size();
  if (options_.fsync) ::fdatasync(active_fd_);
  if (provisional) {
    // Its segment stays until the final record is journaled (or, the node dying first, until
    // the next start stores the provisional entry).
    if (!record_id.empty() && provisional_.try_emplace(record_id, active_id_).second)
      ++segments_[active_id_].provisional;
    return true;
  }
  ++segments_[active_id_].appended;
  ticket.segment = active_id_;
  stats_.records.fetch_add(1, std::memory_order_relaxed);
  if (auto it = provisional_.find(record_id); it != provisional_.end()) {
    const std::uint64_t held = it->second;
    provisional_.erase(it);
    --segments_[held].provisional;
    if (held != active_id_) retire_if_done(held);
  }
  return true;
}

actors::journal_ticket file_journal::append(const actors::request_record& record) noexcept {
  actors::journal_ticket ticket;
  try {
    // Encoded before the lock, into a buffer each thread keeps.
    thread_local std::string frame;
    frame.clear();
    if (journal::append_frame(frame, record, journal::entry_kind::final) &&
        write_frame(frame, record.record_id, false, ticket))
      return ticket;
  } catch (...) {
  }
  stats_.append_errors_total.fetch_add(1, std::memory_order_relaxed);
  return ticket;
}

void file_journal::append_provisional(const actors::request_record& record) noexcept {
  try {
    thread_local std::string frame;
    frame.clear();
    actors::journal_ticket unused;
    if (journal::append_frame(frame, record, journal::entry_kind::provisional) &&
        write_frame(frame, record.record_id, true, unused))
      return;
  } catch (...) {
  }
  stats_.append_errors_total.fetch_add(1, std::memory_order_relaxed);
}

void file_journal::stored(std::span<const actors::journal_ticket> tickets) noexcept {
  std::lock_guard<std::mutex> guard{mutex_};
  std::uint64_t last = 0;
  for (const auto& t : tickets) {
    if (t.segment == 0) continue;
    auto it = segments_.find(t.segment);
    if (it == segments_.end()) continue;
    ++it->second.stored;
    stats_.records.fetch_sub(1, std::memory_order_relaxed);
    if (t.segment == leftover_id_) stats_.replayed_total.fetch_add(1, std::memory_order_relaxed);
    // A batch's tickets come mostly in runs of one segment: retire at each change of run.
    if (last != 0 && last != t.segment) retire_if_done(last);
    last = t.segment;
  }
  if (last != 0) retire_if_done(last);
}

std::vector<actors::journaled_record> file_journal::take_leftovers() {
  std::lock_guard<std::mutex> guard{mutex_};
  return std::exchange(leftovers_, {});
}

std::vector<actors::journaled_record> file_journal::reread_unstored() {
  std::vector<std::uint64_t> ids;
  std::vector<fs::path> files;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    // The active segment is sealed first when it holds unstored records: a sealed file no longer
    // changes, so it can be read without the lock (appends go on meanwhile).
    const auto& active = segments_[active_id_];
    if (active.stored < active.appended) {
      std::string error;
      const int sealed_fd = active_fd_;
      if (!open_active(error)) {
        log_line("error", "usage journal: cannot rotate to read records back: " + error);
        return {};
      }
      ::close(sealed_fd);
    }
    for (const auto& [id, s] : segments_) {
      if (id == active_id_ || s.stored >= s.appended) continue;
      ids.push_back(id);
      files.insert(files.end(), s.files.begin(), s.files.end());
    }
  }
  if (ids.empty()) return {};
  // A segment whose last records are stored meanwhile is deleted under our feet: what it held
  // is stored, so a file that is gone is simply skipped.
  std::vector<actors::journaled_record> records;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& path : files) {
    std::string bytes;
    if (!fs::exists(path)) continue;
    if (!read_file(path, bytes)) {
      log_line("error", "usage journal: cannot read " + path.string() +
                            " back; its records wait for the next start: " + errno_text());
      return {};
    }
    for (auto& e : journal::scan(bytes).entries) {
      auto [at, fresh] = index.try_emplace(e.record.record_id, records.size());
      if (!fresh && !e.record.record_id.empty())
        records[at->second].record = std::move(e.record);
      else
        records.push_back({std::move(e.record), {}});
    }
  }
  std::lock_guard<std::mutex> guard{mutex_};
  // The segments read become one, whose tickets the records carry from now on.
  segment merged;
  merged.appended = records.size();
  std::int64_t outstanding = 0;
  const std::uint64_t id = next_id_++;
  for (auto old : ids) {
    auto it = segments_.find(old);
    if (it == segments_.end()) continue;
    outstanding += static_cast<std::int64_t>(it->second.appended - it->second.stored);
    merged.provisional += it->second.provisional;
    merged.files.insert(merged.files.end(), it->second.files.begin(), it->second.files.end());
    segments_.erase(it);
    for (auto& [record_id, held] : provisional_)
      if (held == old) held = id;
  }
  for (auto& r : records) r.ticket.segment = id;
  stats_.records.fetch_add(static_cast<std::int64_t>(records.size()) - outstanding,
                           std::memory_order_relaxed);
  segments_[id] = std::move(merged);
  retire_if_done(id);  // nothing to read back after all
  return records;
}

std::vector<fs::path> file_journal::segment_files() const {
  std::error_code ec;
  std::vector<fs::path> out;
  for (auto& [seq, path] : list_segments(options_.dir, ec)) out.push_back(std::move(path));
  return out;
}

}  // namespace switchyard::runtime
