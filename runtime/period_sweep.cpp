// The budget period timer (see period_sweep.hpp). The timer lives on a strand: `stop` comes from
// the process's main thread while handlers run on any I/O thread.
#include "runtime/period_sweep.hpp"

#include <boost/asio/post.hpp>

namespace switchyard::runtime {

period_sweep::period_sweep(boost::asio::io_context& io, actors::budget_book& book,
                           std::chrono::milliseconds every)
    : strand_(boost::asio::make_strand(io)), timer_(strand_), book_(book), every_(every) {}

std::shared_ptr<period_sweep> period_sweep::start(boost::asio::io_context& io,
                                                  actors::budget_book& book,
                                                  std::chrono::milliseconds every) {
  auto sweep = std::make_shared<period_sweep>(io, book, every);
  boost::asio::post(sweep->strand_, [sweep] { sweep->arm(); });
  return sweep;
}

void period_sweep::stop() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

void period_sweep::arm() {
  if (stopped_) return;
  timer_.expires_after(every_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->rolled_.fetch_add(self->book_.roll_periods(), std::memory_order_relaxed);
    self->arm();
  });
}

}  // namespace switchyard::runtime
