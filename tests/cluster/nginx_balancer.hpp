// nginx as the cluster's load balancer: a private instance (its own prefix directory, config, pid
// file and logs in a temp dir) on a free loopback port, round-robin over the gateway nodes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "harness.hpp"

namespace switchyard::ctest {

/// The nginx.conf of the balancer: `upstreams` round-robin, a node that refuses connections is
/// skipped for `fail_timeout` and the request goes to the next one (nginx never re-sends a POST
/// that reached a node: an answer cut by a dying node is the client's 502, not a double spend).
std::string balancer_config(const std::vector<std::uint16_t>& upstreams, std::uint16_t listen,
                            const std::filesystem::path& prefix, bool as_root);

class nginx_balancer {
 public:
  /// Starts nginx in `dir`/nginx in front of `upstreams`; returns once it accepts connections.
  nginx_balancer(const itest::temp_dir& dir, std::vector<std::uint16_t> upstreams);
  ~nginx_balancer();
  nginx_balancer(const nginx_balancer&) = delete;
  nginx_balancer& operator=(const nginx_balancer&) = delete;

  std::uint16_t port() const { return port_; }
  /// nginx's error log (upstream failures it saw, e.g. "connect() failed (111").
  std::string error_log() const;

 private:
  std::filesystem::path prefix_;
  std::uint16_t port_ = 0;
  std::unique_ptr<itest::process> proc_;
};

}  // namespace switchyard::ctest
