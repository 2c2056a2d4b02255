// Starts budget periods on time. A budget's period otherwise moves on only when its account is
// next touched (a request, a settlement); this timer rolls every account of the book once a
// second, so an idle tenant's spend drops to zero at the UTC boundary like any other's, and
// whatever reads the account later (metrics, GET /v1/key, a reload) finds the new period. One
// timer on the I/O threads for the whole book, never one per account.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "actors/budget_book.hpp"

namespace switchyard::runtime {

class period_sweep : public std::enable_shared_from_this<period_sweep> {
 public:
  /// Sweeps `book` (which must outlive the I/O context's handlers) every `every`, from now.
  static std::shared_ptr<period_sweep> start(
      boost::asio::io_context& io, actors::budget_book& book,
      std::chrono::milliseconds every = std::chrono::seconds(1));

  /// Stops sweeping. Any thread; idempotent.
  void stop();

  /// Accounts that started a new period at a sweep (not at a request), since start.
  std::uint64_t rolled_total() const noexcept { return rolled_.load(std::memory_order_relaxed); }

  period_sweep(boost::asio::io_context& io, actors::budget_book& book,
               std::chrono::milliseconds every);

 private:
  void arm();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;  // used on `strand_` only
  actors::budget_book& book_;
  std::chrono::milliseconds every_;
  bool stopped_ = false;  // on `strand_`
  std::atomic<std::uint64_t> rolled_{0};
};

}  // namespace switchyard::runtime
