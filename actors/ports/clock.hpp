// Port: time, so that actor logic can be driven by a manual clock in tests.
#pragma once

#include <atomic>
#include <chrono>

namespace switchyard::actors {

/// A monotonic clock.
class clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~clock() = default;
  /// Now.
  virtual time_point now() const noexcept = 0;
};

/// The real steady clock.
class steady_clock final : public clock {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};

/// A clock that only moves when told to (tests).
class manual_clock final : public clock {
 public:
  time_point now() const noexcept override { return time_point{duration{ticks_.load()}}; }
  /// Moves time forward by `d`.
  void advance(duration d) noexcept { ticks_ += d.count(); }

 private:
  std::atomic<duration::rep> ticks_{0};
};

}  // namespace switchyard::actors
