// The runtime's upstream transport (see upstream_client.hpp).
#include "runtime/upstream_client.hpp"

#include <utility>

#include "runtime/attempt_base.hpp"
#include "runtime/client_channel.hpp"
#include "runtime/http_exchange.hpp"
#include "runtime/mock_exchange.hpp"

namespace switchyard::runtime {

upstream_client::upstream_client(boost::asio::io_context& io, const config::snapshot& cfg,
                                 std::shared_ptr<tls_context> tls)
    : io_(io), tls_(std::move(tls)) {
  retain(cfg);
}

upstream_client::~upstream_client() {
  close_idle();
}

std::string upstream_client::pool_key(const config::provider_config& p) {
  // A reload may point a provider name at another endpoint, or resize its pool: never reuse
  // its old connections.
  return p.name + '\n' + p.base_url + '\n' + std::to_string(p.max_idle_connections);
}

std::shared_ptr<upstream_pool> upstream_client::pool_for(const config::provider_config& p) {
  const std::string key = pool_key(p);
  auto make = [&] {
    return std::make_shared<upstream_pool>(io_, p.name, p.endpoint, p.max_idle_connections, tls_);
  };
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (current_.count(key) != 0) {
      auto& pool = pools_[key];
      if (!pool) pool = make();
      return pool;
    }
  }
  // A provider no longer routed (an attempt of an older routing table): served, but not pooled.
  auto once = make();
  once->retire();
  return once;
}

void upstream_client::prepare(const config::snapshot& cfg) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (const auto& p : cfg.providers)
      if (p.type != config::provider_type::mock) current_.insert(pool_key(p));
  }
  for (const auto& p : cfg.providers)
    if (p.type != config::provider_type::mock) pool_for(p);
}

void upstream_client::retain(const config::snapshot& cfg) {
  std::vector<std::shared_ptr<upstream_pool>> gone;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    current_.clear();
    for (const auto& p : cfg.providers)
      if (p.type != config::provider_type::mock) current_.insert(pool_key(p));
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (current_.count(it->first) != 0) {
        ++it;
        continue;
      }
      gone.push_back(std::move(it->second));
      it = pools_.erase(it);
    }
  }
  for (auto& pool : gone) pool->retire();  // outside our lock: each takes its own
  prepare(cfg);                            // opens the pools not created yet
}

upstream_pool_stats upstream_client::stats(const std::string& provider) const {
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [key, pool] : pools_)
    if (pool->provider_name() == provider) return pool->stats();
  return {};
}

void upstream_client::close_idle() {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [key, pool] : pools_) pool->close_idle();
}

std::shared_ptr<actors::attempt_handle> upstream_client::start(
    actors::attempt_spec spec, std::shared_ptr<actors::response_sink> sink) {
  auto channel = std::dynamic_pointer_cast<client_channel>(sink);
  if (!channel) return reject_attempt(spec, "the response sink is not a runtime client_channel");
  if (spec.provider == nullptr) return reject_attempt(spec, "the attempt names no provider");
  if (spec.provider->type == config::provider_type::mock)
    return launch_attempt(std::make_shared<mock_exchange>(std::move(spec), std::move(channel)));
  auto pool = pool_for(*spec.provider);
  return launch_attempt(
      std::make_shared<http_exchange>(std::move(spec), std::move(channel), std::move(pool)));
}

}  // namespace switchyard::runtime
