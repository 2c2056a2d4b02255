// Builds the transport behind the control plane's upstream port: the pooled HTTP/TLS client for
// `openai` and `openai-compatible` providers, the in-process simulator for `mock` ones.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "runtime/upstream_client.hpp"

namespace switchyard::runtime {

/// A transport for every provider in `cfg`. Attempts run on the strand of the request's
/// `client_channel`; the sink passed to `start` must be one. The runtime keeps the concrete type
/// to tell it about reloads (`retain`).
std::shared_ptr<upstream_client> make_upstream_transport(boost::asio::io_context& io,
                                                         const config::snapshot& cfg);

}  // namespace switchyard::runtime
