// A FIFO gate of N slots: the mock's --max-concurrency, which makes it behave like a saturated
// provider (requests beyond N wait their turn, so latency grows with the queue).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace switchyard::mock {

/// Thread-safe. With 0 slots it never makes anyone wait.
class capacity_gate {
 public:
  explicit capacity_gate(std::uint32_t slots) : slots_(slots) {}

  capacity_gate(const capacity_gate&) = delete;
  capacity_gate& operator=(const capacity_gate&) = delete;

  /// True when the gate limits anything.
  bool limited() const noexcept { return slots_ != 0; }

  /// Takes a slot and returns true, or queues `grant` (called, outside the lock, from the
  /// `release()` that hands the slot over) and returns false.
  bool acquire_or_wait(std::function<void()> grant);

  /// Returns a slot: hands it to the oldest waiter, or frees it.
  void release();

  /// Forgets every waiter without granting it (the server is going away; the waiters' sessions
  /// die with its io_context instead of being kept alive by the queue).
  void abandon_waiters();

  /// Slots taken right now.
  std::uint32_t in_use() const;
  /// Requests waiting for a slot right now.
  std::size_t waiting() const;

 private:
  const std::uint32_t slots_;
  mutable std::mutex mu_;
  std::uint32_t in_use_ = 0;
  std::deque<std::function<void()>> waiters_;
};

}  // namespace switchyard::mock
