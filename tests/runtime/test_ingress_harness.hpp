// Test support for the ingress tests: a small config, and the real server on port 0 in front of
// a fake control plane (or the real one).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/gateway.hpp"
#include "config/config.hpp"
#include "config/key_hash.hpp"
#include "runtime/metrics.hpp"
#include "runtime/server.hpp"
#include "runtime/upstream_factory.hpp"
#include "test_ingress_client.hpp"

namespace switchyard::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

inline constexpr const char* key_a = "sk-test-team-a-0123456789";
inline constexpr const char* key_b = "sk-test-team-b-9876543210";

/// Two tenants (team-a may use m1 only, team-b every model), two models on one mock provider.
inline std::shared_ptr<config::snapshot> make_ingress_config() {
  auto c = std::make_shared<config::snapshot>();
  c->source = "test";
  c->server.listen_host = "127.0.0.1";
  c->server.listen_port = 0;
  c->server.io_threads = 2;
  c->server.max_header_bytes = 4096;
  c->server.max_body_bytes = 64 * 1024;
  c->server.read_timeout = 5s;
  c->server.idle_timeout = 5s;
  c->server.write_timeout = 5s;
  config::provider_config p;
  p.name = "p1";
  p.type = config::provider_type::mock;
  c->providers.push_back(p);
  for (const char* name : {"m1", "m2"}) {
    config::model_config m;
    m.name = name;
    config::target_config t;
    t.provider = "p1";
    t.model = std::string{name} + "-upstream";
    m.targets.push_back(t);
    c->models.push_back(m);
  }
  config::tenant_config a;
  a.name = "team-a";
  a.keys.push_back({config::sha256_hex(key_a), config::visible_prefix(key_a)});
  a.allowed_models = {"m1"};
  c->tenants.push_back(a);
  config::tenant_config b;
  b.name = "team-b";
  b.keys.push_back({config::sha256_hex(key_b), config::visible_prefix(key_b)});
  c->tenants.push_back(b);
  return c;
}

/// An actor system for one test (CAF 0.17 cannot destroy a function-static one at exit).
struct test_actors {
  caf::actor_system_config cfg;
  caf::actor_system system;
  test_actors() : system(configure(cfg)) {}

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", std::size_t{2});
    return c;
  }
};

/// Forwards finished-request records to the metrics and keeps them for the test to wait on.
class recording_observer final : public actors::request_observer {
 public:
  explicit recording_observer(std::shared_ptr<runtime::metrics> next) : next_(std::move(next)) {}
  void on_request_done(const actors::request_record& r) override {
    next_->on_request_done(r);
    std::lock_guard<std::mutex> guard{mutex_};
    records_.push_back(r);
    cv_.notify_all();
  }
  /// The next record, or nullopt after `timeout`.
  std::optional<actors::request_record> next(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> lock{mutex_};
    if (!cv_.wait_for(lock, timeout, [&] { return !records_.empty(); })) return std::nullopt;
    auto r = std::move(records_.front());
    records_.pop_front();
    return r;
  }

 private:
  std::shared_ptr<runtime::metrics> next_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<actors::request_record> records_;
};

/// Selects the real control plane (gateway + upstream transport) in `test_server`.
struct with_gateway_t {};
inline constexpr with_gateway_t with_gateway{};

/// The real server on an ephemeral port, run by its own I/O threads; submitted requests are
/// queued for the test (or handed to `on_submit` when given).
class test_server {
 public:
  explicit test_server(std::shared_ptr<const config::snapshot> cfg,
                       std::function<void(actors::request_context)> on_submit = {},
                       unsigned threads = 2)
      : config_(std::move(cfg)), work_(net::make_work_guard(io_)) {
    server_options opts;
    opts.config = config_;
    opts.exporter = std::make_shared<runtime::metrics>(*config_);
    if (on_submit) {
      opts.submit = std::move(on_submit);
    } else {
      opts.submit = [this](actors::request_context ctx) {
        std::lock_guard<std::mutex> guard{mutex_};
        submitted_.push_back(std::move(ctx));
        cv_.notify_all();
      };
    }
    exporter_ = opts.exporter;
    server_ = std::make_shared<runtime::server>(io_, std::move(opts));
    exporter_->attach(nullptr, &server_->stats());
    auto ec = server_->listen();
    if (ec) throw std::runtime_error("listen failed: " + ec.message());
    server_->start();
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  /// The server in front of the real control plane: a gateway on the test actor system and the
  /// runtime's upstream transport (mock providers answer in-process).
  test_server(std::shared_ptr<const config::snapshot> cfg, with_gateway_t, unsigned threads = 2)
      : config_(std::move(cfg)), work_(net::make_work_guard(io_)) {
    exporter_ = std::make_shared<runtime::metrics>(*config_);
    observer_ = std::make_shared<recording_observer>(exporter_);
    transport_ = runtime::make_upstream_transport(io_, *config_);
    actors_ = std::make_unique<test_actors>();
    gateway_ = std::make_unique<actors::gateway>(
        actors_->system, config_, actors::gateway::ports{transport_, observer_, nullptr});
    server_options opts;
    opts.config = config_;
    opts.exporter = exporter_;
    opts.submit = [gw = gateway_.get()](actors::request_context ctx) {
      gw->submit(std::move(ctx));
    };
    server_ = std::make_shared<runtime::server>(io_, std::move(opts));
    exporter_->attach(gateway_.get(), &server_->stats());
    auto ec = server_->listen();
    if (ec) throw std::runtime_error("listen failed: " + ec.message());
    server_->start();
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~test_server() {
    if (gateway_) {
      // Let responses finish before their I/O stops (tests wait for their requests' records, so
      // no request actor is left by then).
      auto idle = std::make_shared<std::promise<void>>();
      server_->drain([idle] { idle->set_value(); });
      idle->get_future().wait_for(5s);
    }
    server_->close_all();
    {
      std::lock_guard<std::mutex> guard{mutex_};
      submitted_.clear();
    }
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    if (gateway_) {
      gateway_->stop();
      gateway_.reset();
      actors_.reset();  // waits for every actor, which releases its channels while io_ exists
    }
  }

  unsigned short port() const { return server_->local_endpoint().port(); }
  runtime::server& server() { return *server_; }
  runtime::metrics& exporter() { return *exporter_; }
  /// Records of finished requests (real control plane only).
  recording_observer& records() { return *observer_; }

  /// The next request handed to the control plane, or nullopt after `timeout`.
  std::optional<actors::request_context> next_request(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> lock{mutex_};
    if (!cv_.wait_for(lock, timeout, [&] { return !submitted_.empty(); })) return std::nullopt;
    auto ctx = std::move(submitted_.front());
    submitted_.pop_front();
    return ctx;
  }

  std::size_t pending_requests() {
    std::lock_guard<std::mutex> guard{mutex_};
    return submitted_.size();
  }

 private:
  using server_options = runtime::server_options;
  std::shared_ptr<const config::snapshot> config_;
  net::io_context io_;  // outlives the actors: they hold channels bound to its objects
  std::unique_ptr<test_actors> actors_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::shared_ptr<runtime::metrics> exporter_;
  std::shared_ptr<recording_observer> observer_;
  std::shared_ptr<actors::upstream_transport> transport_;
  std::unique_ptr<actors::gateway> gateway_;
  std::shared_ptr<runtime::server> server_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<actors::request_context> submitted_;
};

/// Runs `f` on `ex` (a channel's strand) and waits for it.
template <class Executor, class F>
void on_strand(const Executor& ex, F&& f) {
  std::promise<void> done;
  net::dispatch(ex, [&] {
    f();
    done.set_value();
  });
  if (done.get_future().wait_for(5s) != std::future_status::ready)
    throw std::runtime_error("strand task did not run");
}

}  // namespace switchyard::test
