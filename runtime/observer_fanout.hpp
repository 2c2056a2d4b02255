// Hands each finished request to several observers (metrics, access log) through the control
// plane's single observer port.
#pragma once

#include <memory>
#include <vector>

#include "actors/ports/request_observer.hpp"

namespace switchyard::runtime {

/// Calls every observer, in order.
class observer_fanout final : public actors::request_observer {
 public:
  explicit observer_fanout(std::vector<std::shared_ptr<actors::request_observer>> observers)
      : observers_(std::move(observers)) {}

  void on_request_done(const actors::request_record& record) override {
    for (const auto& o : observers_) o->on_request_done(record);
  }

  /// The non-null entries of `observers` as one observer: null for none, the entry itself for
  /// one (no indirection), else a fan-out.
  static std::shared_ptr<actors::request_observer> combine(
      std::vector<std::shared_ptr<actors::request_observer>> observers) {
    std::erase(observers, nullptr);
    if (observers.empty()) return nullptr;
    if (observers.size() == 1) return observers.front();
    return std::make_shared<observer_fanout>(std::move(observers));
  }

 private:
  std::vector<std::shared_ptr<actors::request_observer>> observers_;
};

}  // namespace switchyard::runtime
