// Port: calendar time, for what happens at UTC boundaries (budget periods, key expiry). Separate
// from the monotonic `clock`: tests move each one on its own.
#pragma once

#include <atomic>
#include <chrono>

namespace switchyard::actors {

/// A wall clock (UTC).
class wall_clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~wall_clock() = default;
  /// Now.
  virtual time_point now() const noexcept = 0;
};

/// The system's clock.
class system_wall_clock final : public wall_clock {
 public:
  time_point now() const noexcept override { return std::chrono::system_clock::now(); }
};

/// A wall clock that only moves when told to (tests).
class manual_wall_clock final : public wall_clock {
 public:
  explicit manual_wall_clock(time_point start) : ticks_(start.time_since_epoch().count()) {}
  time_point now() const noexcept override {
    return time_point{time_point::duration{ticks_.load()}};
  }
  /// Sets the time to `t`.
  void set(time_point t) noexcept { ticks_ = t.time_since_epoch().count(); }
  /// Moves time forward by `d`.
  void advance(time_point::duration d) noexcept { ticks_ += d.count(); }

 private:
  std::atomic<time_point::duration::rep> ticks_;
};

}  // namespace switchyard::actors
