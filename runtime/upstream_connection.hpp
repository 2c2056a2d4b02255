// One upstream connection, plain TCP or TLS, that outlives the attempts using it: the pool keeps it
// idle between exchanges. Its socket lives on the io_context's executor; each attempt binds its
// handlers to its own strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

namespace switchyard::runtime {

class upstream_connection {
 public:
  using tcp = boost::asio::ip::tcp;
  using tls_stream = boost::asio::ssl::stream<tcp::socket>;

  /// An unconnected connection whose socket runs on `io_executor`.
  explicit upstream_connection(boost::asio::any_io_executor io_executor)
      : plain_(std::move(io_executor)) {}
  upstream_connection(const upstream_connection&) = delete;
  upstream_connection& operator=(const upstream_connection&) = delete;
  ~upstream_connection() { close(); }

  /// The TCP socket (the lowest layer, also under TLS).
  tcp::socket& socket() noexcept { return tls_ ? tls_->next_layer() : plain_; }

  /// Wraps the connected socket in TLS; call once, after the TCP connect, before the handshake.
  tls_stream& start_tls(boost::asio::ssl::context& ctx) {
    tls_ = std::make_unique<tls_stream>(std::move(plain_), ctx);
    return *tls_;
  }

  /// The TLS stream, or nullptr for plain connections.
  tls_stream* tls() noexcept { return tls_.get(); }

  /// Reads some bytes; `handler(error_code, std::size_t)`.
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_)
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else
      plain_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  /// Writes all of `buffers`; `handler(error_code, std::size_t)`.
  template <class ConstBuffers, class Handler>
  void async_write(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_)
      boost::asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    else
      boost::asio::async_write(plain_, buffers, std::forward<Handler>(handler));
  }

  /// Closes the socket; pending operations complete with `operation_aborted`. No TLS
  /// close_notify: the peer learns from the TCP close, and a client never needs its answer.
  void close() noexcept;

  /// True while the socket is open.
  bool is_open() const noexcept { return tls_ ? tls_->next_layer().is_open() : plain_.is_open(); }

  /// For an idle pooled connection: true when it can still carry a request, i.e. the peer has
  /// neither closed it nor sent anything (a TLS alert, stray bytes) since the last response.
  bool idle_and_usable() noexcept;

  /// When it went back to the pool.
  std::chrono::steady_clock::time_point idle_since{};
  /// Exchanges completed on this connection.
  std::uint64_t exchanges = 0;

 private:
  tcp::socket plain_;
  std::unique_ptr<tls_stream> tls_;
};

}  // namespace switchyard::runtime
