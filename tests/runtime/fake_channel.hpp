// A client_channel fake for upstream tests: lives on its own strand, records everything written
// to it (and every call made off the strand), and can refuse stream writes until released.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "runtime/client_channel.hpp"

namespace switchyard::runtime::upstream_test {

class fake_channel final : public client_channel {
 public:
  static constexpr std::uint32_t nobody = 0xffffffffu;

  /// What the channel has seen, copied under its lock.
  struct record {
    std::uint32_t winner = nobody;  // attempt id that won try_commit
    unsigned status = 0;            // send_full status
    std::string content_type;
    std::string body;                   // send_full body
    std::vector<header_field> headers;  // of send_full or begin_stream
    bool stream_begun = false;
    bool stream_ended = false;
    std::string stream;  // all write_stream bytes
    std::size_t stream_writes = 0;
    std::size_t writes_while_refused = 0;  // writes made while a resume was outstanding
    std::size_t off_strand_calls = 0;
    std::size_t calls_after_end = 0;  // writes after end_stream / send_full
    bool error_sent = false;
  };

  explicit fake_channel(boost::asio::io_context& io) : strand_(boost::asio::make_strand(io)) {}

  boost::asio::any_io_executor executor() const override { return strand_; }

  bool try_commit(std::uint32_t attempt_id) override {
    std::uint32_t expected = nobody;
    const bool won = winner_.compare_exchange_strong(expected, attempt_id);
    if (won) changed([&] { rec_.winner = attempt_id; });
    return won;
  }

  void send_error(const protocols::error_info&) override {
    if (try_commit(error_attempt)) changed([&] { rec_.error_sent = true; });
  }

  void set_listener(const caf::actor&) override {}

  void send_full(unsigned status, std::string_view content_type, std::string body,
                 std::vector<header_field> extra) override {
    changed([&] {
      note_call();
      if (rec_.status != 0 || rec_.stream_begun) ++rec_.calls_after_end;
      rec_.status = status;
      rec_.content_type = std::string(content_type);
      rec_.body = std::move(body);
      rec_.headers = std::move(extra);
    });
  }

  void begin_stream(std::vector<header_field> extra) override {
    changed([&] {
      note_call();
      rec_.stream_begun = true;
      rec_.headers = std::move(extra);
    });
  }

  bool write_stream(std::string bytes, std::function<void()> resume) override {
    bool accept = true;
    changed([&] {
      note_call();
      if (rec_.stream_ended) ++rec_.calls_after_end;
      if (resume_) ++rec_.writes_while_refused;
      rec_.stream += bytes;
      ++rec_.stream_writes;
      if (gone_) {
        accept = false;
        return;
      }
      if (refusing_) {
        resume_ = std::move(resume);
        accept = false;
      }
    });
    return accept;
  }

  void end_stream() override {
    changed([&] {
      note_call();
      if (rec_.stream_ended) ++rec_.calls_after_end;
      rec_.stream_ended = true;
    });
  }

  bool client_gone() const override { return gone_.load(); }

  // ---- test controls ----

  /// Stream writes return false (and keep their resume) while refusing.
  void set_refusing(bool refusing) {
    changed([&] { refusing_ = refusing; });
  }

  /// Stops refusing and, on the strand, calls the pending resume (if any).
  void release() {
    boost::asio::post(strand_, [this] {
      std::function<void()> resume;
      changed([&] {
        refusing_ = false;
        resume = std::move(resume_);
        resume_ = nullptr;
      });
      if (resume) resume();
    });
  }

  /// The client disconnects: writes fail and a pending resume is dropped, like the real session.
  void disconnect() {
    changed([&] {
      gone_ = true;
      resume_ = nullptr;
    });
  }

  /// Marks the response as taken by attempt `id` (another attempt of the same request).
  void commit_to_other(std::uint32_t id) { try_commit(id); }

  /// True while a stream write is waiting for resume.
  bool waiting_for_resume() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return static_cast<bool>(resume_);
  }

  record snapshot() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return rec_;
  }

  /// Waits until `pred(record)` holds; false on timeout.
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    std::unique_lock<std::mutex> lock{mutex_};
    return cv_.wait_for(lock, timeout, [&] { return pred(rec_); });
  }

 private:
  template <class F>
  void changed(F f) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      f();
    }
    cv_.notify_all();
  }

  void note_call() {
    if (!strand_.running_in_this_thread()) ++rec_.off_strand_calls;
  }

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::atomic<std::uint32_t> winner_{nobody};
  std::atomic<bool> gone_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  record rec_;
  bool refusing_ = false;
  std::function<void()> resume_;
};

/// The value of header `name` in `headers`, or "" when absent.
inline std::string header_value(const std::vector<header_field>& headers, const std::string& name) {
  for (const auto& h : headers)
    if (h.name == name) return h.value;
  return {};
}

}  // namespace switchyard::runtime::upstream_test
