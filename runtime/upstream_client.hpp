// The runtime's upstream transport: routes each attempt to the in-process mock or to the pooled
// HTTP/TLS client of its provider, on the strand of the request's client channel.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/io_context.hpp>

#include "actors/ports/upstream_transport.hpp"
#include "config/config.hpp"
#include "runtime/tls_context.hpp"
#include "runtime/upstream_pool.hpp"

namespace switchyard::runtime {

class upstream_client final : public actors::upstream_transport {
 public:
  /// One pool per non-mock provider of `cfg`, all sharing `tls`. `io` must outlive the client.
  upstream_client(boost::asio::io_context& io, const config::snapshot& cfg,
                  std::shared_ptr<tls_context> tls);
  ~upstream_client() override;

  /// Starts `spec` on the strand of `sink`, which must be a `client_channel`; otherwise the
  /// attempt fails at once (`protocol`). Never blocks.
  std::shared_ptr<actors::attempt_handle> start(
      actors::attempt_spec spec, std::shared_ptr<actors::response_sink> sink) override;

  /// The pool of `provider`, created on first use.
  std::shared_ptr<upstream_pool> pool_for(const config::provider_config& provider);

  /// Counters of the pool named `provider` (zeros when it has none).
  upstream_pool_stats stats(const std::string& provider) const;

  /// Closes every idle pooled connection (drain / shutdown).
  void close_idle();

  /// Hot reload, before the new routes are published: pools for the providers of `cfg` too, so
  /// their first requests are pooled. Nothing is retired.
  void prepare(const config::snapshot& cfg);

  /// Hot reload: the providers of `cfg` are the ones routed from now on. Pools of providers that
  /// left or moved are retired (their connections close as their exchanges end); an attempt of
  /// an older routing table that still names one gets a one-off pool that keeps nothing.
  void retain(const config::snapshot& cfg);

 private:
  static std::string pool_key(const config::provider_config& p);

  boost::asio::io_context& io_;
  std::shared_ptr<tls_context> tls_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<upstream_pool>> pools_;
  std::unordered_set<std::string> current_;  // pool keys of the providers routed now
};

}  // namespace switchyard::runtime
