// One pooled upstream connection (see upstream_connection.hpp).
#include "runtime/upstream_connection.hpp"

#include <cerrno>

#include <openssl/ssl.h>
#include <sys/socket.h>

namespace switchyard::runtime {

void upstream_connection::close() noexcept {
  boost::system::error_code ec;
  // Marks the TLS connection as shut down without any I/O: OpenSSL otherwise flags the session
  // it produced as not resumable when it is freed, defeating the provider's session cache.
  if (tls_) SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  auto& s = socket();
  if (s.is_open()) {
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }
}

bool upstream_connection::idle_and_usable() noexcept {
  auto& s = socket();
  if (!s.is_open()) return false;
  // A non-blocking peek: EAGAIN means nothing arrived (alive); 0 means the peer closed; any byte
  // on an idle connection (an alert, a stray response) makes its framing untrustworthy.
  char probe = 0;
  ssize_t n = ::recv(s.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  return false;
}

}  // namespace switchyard::runtime
