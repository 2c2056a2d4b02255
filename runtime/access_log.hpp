// The JSON access log: one line per finished request, written by a background thread so that an
// actor thread never blocks on a slow disk or a full stderr pipe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "actors/ports/request_observer.hpp"
#include "config/config.hpp"
#include "protocols/result.hpp"

namespace switchyard::runtime {

/// One access-log line for `record`, without the newline: a JSON object with the request id,
/// time, tenant, key prefix, route, model, provider, upstream model, status, attempts, tokens,
/// cost, latencies and error. Never holds a key: the record carries only the key's prefix.
std::string format_access_log_line(const actors::request_record& record);

/// Writes access-log lines to a descriptor. Thread-safe.
class access_log final : public actors::request_observer {
 public:
  /// Lines waiting for the writer beyond this are dropped (and counted).
  static constexpr std::size_t max_queued_lines = 100'000;

  /// Opens the target of `config` (a file is created or appended to, mode 0640). Null for
  /// `off`; an error names the path and the reason.
  static protocols::result<std::shared_ptr<access_log>, std::string> open(
      const config::observability_config& config);

  /// Writes to `fd`, closing it at destruction when `owned`.
  access_log(int fd, bool owned);
  ~access_log() override;
  access_log(const access_log&) = delete;
  access_log& operator=(const access_log&) = delete;

  void on_request_done(const actors::request_record& record) override;

  /// Lines lost because the writer fell `max_queued_lines` behind, or to a failed write.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  /// Lines written.
  std::uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }

  /// Waits until every queued line is written, at most `limit` (a writer stuck on a full pipe
  /// must not hang the shutdown). False when lines were still waiting.
  bool flush(std::chrono::milliseconds limit = std::chrono::seconds(5));

 private:
  void run();

  int fd_;
  bool owned_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> written_{0};
  std::thread writer_;
};

}  // namespace switchyard::runtime
