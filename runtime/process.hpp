// The process around the gateway: thread pools (Asio I/O and CAF scheduler), signals, graceful
// drain and orderly shutdown, and the one-line stderr log every runtime part writes to.
#pragma once

#include <iosfwd>
#include <string_view>

#include "config/config.hpp"

namespace switchyard::runtime {

/// Writes `switchyard: <level>: <message>` as one line to stderr. Thread-safe; callers never pass
/// a credential.
void log_line(std::string_view level, std::string_view message) noexcept;

/// Lines of a level below `least` ("debug" < "info" < "warning" < "error") are not written from
/// now on. The default is info.
void set_log_level(config::log_level least) noexcept;

/// `host:port`, with brackets around an IPv6 host.
std::string format_host_port(std::string_view host, unsigned port);

/// Runs the gateway for `config` until SIGTERM or SIGINT, then drains: stops accepting, answers
/// /health/ready with 503, closes idle connections, waits up to `server.drain_timeout` for
/// in-flight requests, closes the rest, stops the I/O threads and the control plane. A second
/// signal exits at once with code 1. Prints `switchyard listening on HOST:PORT` to `out` once
/// bound. Returns the exit code (0 after a drain, 1 when the listener cannot be set up).
int run_gateway(const config::snapshot_ptr& config, std::ostream& out);

}  // namespace switchyard::runtime
