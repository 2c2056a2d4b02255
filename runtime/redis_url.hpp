// `counters: redis://[user[:password]@]host[:port][/db]` parsed into what a connection needs.
// The password never leaves this struct: `where()` names host and port only, for logs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/result.hpp"

namespace switchyard::runtime {

struct redis_endpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      ///< empty = AUTH with the password only (or no AUTH)
  std::string password;  ///< empty = no AUTH
  unsigned db = 0;

  /// "host:port", safe to log.
  std::string where() const;
};

/// Parses a `redis://` URL. Errors never quote the URL (it may hold a password). `rediss://` is
/// refused: this build's client has no TLS.
protocols::result<redis_endpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace switchyard::runtime
