// TLS client context and per-provider session cache (see tls_context.hpp).
#include "runtime/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/ip/address.hpp>

namespace switchyard::runtime {

namespace {

// The SSL ex-data slot that points a connection at its provider's session cache.
int cache_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL calls this when a connection receives a session (TLS 1.2: after the handshake; TLS 1.3:
// with each NewSessionTicket, which arrives after the handshake). Returning 1 keeps the reference.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<tls_session_cache*>(SSL_get_ex_data(ssl, cache_index()));
  if (cache == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  cache->store(session);
  return 1;
}

}  // namespace

tls_session_cache::~tls_session_cache() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

void tls_session_cache::apply(SSL* ssl) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (session_ != nullptr) SSL_set_session(ssl, session_);  // takes its own reference
}

void tls_session_cache::store(SSL_SESSION* session) {
  SSL_SESSION* old = nullptr;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    old = session_;
    session_ = session;
  }
  if (old != nullptr) SSL_SESSION_free(old);
}

bool tls_session_cache::has_session() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return session_ != nullptr;
}

tls_context::tls_context() : ctx_(boost::asio::ssl::context::tls_client) {
  boost::system::error_code ec;
  ctx_.set_default_verify_paths(ec);
  if (ec) warning_ = "cannot load the system's trusted CA certificates: " + ec.message();
  ctx_.set_verify_mode(boost::asio::ssl::verify_peer, ec);
  SSL_CTX* native = ctx_.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Client-side caching only through our per-provider caches: OpenSSL's internal store is keyed
  // by nothing useful on the client.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, &on_new_session);
  cache_index();  // allocate the slot before any connection races for it
}

bool tls_context::add_certificate_authority(std::string_view pem, std::string& error) {
  boost::system::error_code ec;
  ctx_.add_certificate_authority(boost::asio::buffer(pem.data(), pem.size()), ec);
  if (ec) {
    error = "cannot load CA certificate: " + ec.message();
    return false;
  }
  return true;
}

void tls_context::prepare(SSL* ssl, const std::string& host, tls_session_cache& cache) {
  if (!is_ip_literal(host)) SSL_set_tlsext_host_name(ssl, host.c_str());
  SSL_set_ex_data(ssl, cache_index(), &cache);
  cache.apply(ssl);
}

bool is_ip_literal(const std::string& host) noexcept {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace switchyard::runtime
