// The FIFO slot gate behind --max-concurrency.
#include "bench/mock_provider/capacity_gate.hpp"

#include <utility>

namespace switchyard::mock {

bool capacity_gate::acquire_or_wait(std::function<void()> grant) {
  if (slots_ == 0) return true;
  std::lock_guard lock(mu_);
  if (in_use_ < slots_) {
    ++in_use_;
    return true;
  }
  waiters_.push_back(std::move(grant));
  return false;
}

void capacity_gate::release() {
  if (slots_ == 0) return;
  std::function<void()> next;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      if (in_use_ > 0) --in_use_;
      return;
    }
    // The slot passes straight to the waiter: in_use_ stays the same.
    next = std::move(waiters_.front());
    waiters_.pop_front();
  }
  next();
}

void capacity_gate::abandon_waiters() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(waiters_);
  }
}

std::uint32_t capacity_gate::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::size_t capacity_gate::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace switchyard::mock
