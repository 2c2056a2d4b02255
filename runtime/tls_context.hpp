// The TLS client context every upstream connection shares (peer verification, TLS 1.2+), and the
// per-provider session cache that lets a new connection resume instead of a full handshake.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

namespace switchyard::runtime {

/// The latest resumable TLS session of one provider. Thread-safe.
class tls_session_cache {
 public:
  tls_session_cache() = default;
  ~tls_session_cache();
  tls_session_cache(const tls_session_cache&) = delete;
  tls_session_cache& operator=(const tls_session_cache&) = delete;

  /// Offers the cached session (if any) to `ssl`, a connection before its handshake.
  void apply(SSL* ssl) const;
  /// Replaces the cached session; takes ownership of one reference to `session`.
  void store(SSL_SESSION* session);
  /// True when a session is cached.
  bool has_session() const;

 private:
  mutable std::mutex mutex_;
  SSL_SESSION* session_ = nullptr;
};

/// `ssl::context` for upstream clients: system trust store, `verify_peer`, TLS 1.2 minimum and
/// client-side session caching through `tls_session_cache`. Shared by all providers.
class tls_context {
 public:
  tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// The Asio context to build `ssl::stream`s from.
  boost::asio::ssl::context& native() noexcept { return ctx_; }

  /// Trusts the PEM certificate(s) in `pem` in addition to the system store (private CAs,
  /// self-signed test servers). False with `error` set when the PEM does not parse.
  bool add_certificate_authority(std::string_view pem, std::string& error);

  /// Prepares `ssl` (a new connection to `host`) before its handshake: SNI (for names, not IP
  /// literals), a resumable session from `cache`, and routes new sessions back into `cache`.
  /// `cache` must outlive `ssl`.
  static void prepare(SSL* ssl, const std::string& host, tls_session_cache& cache);

  /// Why the system trust store could not be loaded; empty when it was.
  const std::string& warning() const noexcept { return warning_; }

 private:
  boost::asio::ssl::context ctx_;
  std::string warning_;
};

/// True when `host` is an IPv4 or IPv6 literal (no SNI is sent for those, per RFC 6066).
bool is_ip_literal(const std::string& host) noexcept;

}  // namespace switchyard::runtime
