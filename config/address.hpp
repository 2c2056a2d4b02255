// Parsing of the network addresses a configuration names: the ingress `listen: host:port` and
// the upstream `base_url`. Pure string work, no resolution: names are checked for shape only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "protocols/result.hpp"

namespace switchyard::config {

/// A parsed `listen:` value.
struct listen_address {
  std::string host;        ///< name or address, IPv6 without brackets
  std::uint16_t port = 0;  ///< 0 = any free port
};

/// True for a syntactically valid host: a DNS name, a dotted IPv4 address, or (when
/// `allow_ipv6`) an IPv6 address without brackets.
bool valid_host(std::string_view host, bool allow_ipv6);

/// Parses `host:port` (IPv6 as `[addr]:port`), port 0..65535. The error says what is expected.
protocols::result<listen_address, std::string> parse_listen(std::string_view text);

/// Parses an `http://` or `https://` URL with a host, an optional port (default 80 / 443) and an
/// optional path, kept without its trailing slash. Rejects user info, query and fragment.
protocols::result<url, std::string> parse_base_url(std::string_view text);

}  // namespace switchyard::config
