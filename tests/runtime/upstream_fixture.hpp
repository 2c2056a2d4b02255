// Shared scaffolding of the upstream transport tests: an io_context on two test threads, a CAF
// actor system whose scoped actor receives attempt events (with timeouts, so a test fails rather
// than hangs), and a config snapshot with providers pointing at test servers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

#include "actors/messages.hpp"
#include "actors/ports/upstream_transport.hpp"
#include "config/config.hpp"

namespace switchyard::runtime::upstream_test {

using namespace std::chrono_literals;
using actors::attempt_event;
using actors::attempt_failure;

/// An io_context run by `threads` test threads until destruction.
class io_runner {
 public:
  explicit io_runner(unsigned threads = 2) : guard_(io.get_executor()) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io.run(); });
  }
  ~io_runner() {
    guard_.reset();
    io.stop();
    for (auto& t : threads_) t.join();
  }
  io_runner(const io_runner&) = delete;
  io_runner& operator=(const io_runner&) = delete;

  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

/// A provider named `name` at http(s)://127.0.0.1:`port`/v1 with test-sized timeouts.
inline config::provider_config http_provider(const std::string& name, std::uint16_t port,
                                             bool tls = false,
                                             const std::string& host = "127.0.0.1") {
  config::provider_config p;
  p.name = name;
  p.type = config::provider_type::openai_compatible;
  p.base_url =
      std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port) + "/v1";
  p.endpoint.tls = tls;
  p.endpoint.host = host;
  p.endpoint.port = port;
  p.endpoint.base_path = "/v1";
  p.api_key = "sk-upstream-secret";
  p.max_idle_connections = 8;
  p.timeouts.connect = 2000ms;
  p.timeouts.first_byte = 2000ms;
  p.timeouts.idle = 2000ms;
  p.timeouts.total = 10000ms;
  p.headers["X-Team"] = "gateway-tests";
  return p;
}

/// A `mock` provider.
inline config::provider_config mock_provider(const std::string& name) {
  config::provider_config p;
  p.name = name;
  p.type = config::provider_type::mock;
  p.timeouts.connect = 2000ms;
  p.timeouts.first_byte = 2000ms;
  p.timeouts.idle = 2000ms;
  p.timeouts.total = 10000ms;
  return p;
}

inline std::shared_ptr<const config::snapshot> make_snapshot(
    std::vector<config::provider_config> ps) {
  auto snap = std::make_shared<config::snapshot>();
  snap->providers = std::move(ps);
  return snap;
}

inline const std::string chat_body =
    R"({"model":"up-model","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi there, how are you today?"}]})";
inline const std::string chat_stream_body =
    R"({"model":"up-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi there"}]})";

/// One line about `e`, for failure messages.
inline std::string describe(const attempt_event& e) {
  std::string s = e.kind == attempt_event::committed  ? "committed"
                  : e.kind == attempt_event::finished ? "finished"
                                                      : "failed";
  if (e.kind == attempt_event::failed)
    s += std::string(" ") + actors::to_string(e.failure) + " (" + e.detail + ")";
  s += " status=" + std::to_string(e.upstream_status);
  s += e.was_committed ? " committed" : " uncommitted";
  s += e.stream_broken ? " broken" : "";
  return s;
}

/// Everything one test needs to run attempts and watch their events.
struct event_fixture {
  event_fixture() : system(cfg), self(system) {}

  /// An attempt of `provider` in `snap`.
  actors::attempt_spec spec(const std::shared_ptr<const config::snapshot>& snap,
                            std::size_t provider, std::string body, bool stream = false,
                            bool wants_usage = false, std::uint32_t attempt_id = 1) {
    actors::attempt_spec s;
    s.attempt_id = attempt_id;
    s.config = snap;
    s.provider = &snap->providers.at(provider);
    s.kind = protocols::api_kind::chat_completions;
    s.upstream_model = "up-model";
    s.path = "/chat/completions";
    s.body = std::move(body);
    s.stream = stream;
    s.client_wants_usage = wants_usage;
    s.request_id = "req-" + std::to_string(attempt_id);
    s.listener = caf::actor_cast<caf::actor>(self);
    return s;
  }

  /// The next event, or nullopt after `timeout`.
  std::optional<attempt_event> next(std::chrono::milliseconds timeout = 5s) {
    std::optional<attempt_event> out;
    self->receive([&](const attempt_event& e) { out = e; }, caf::after(timeout) >> [] {});
    return out;
  }

  /// Events up to and including the final one (finished or failed); then checks that nothing
  /// else arrives for `quiet`: an attempt reports exactly one final event.
  std::vector<attempt_event> until_final(std::chrono::milliseconds timeout = 5s,
                                         std::chrono::milliseconds quiet = 100ms) {
    std::vector<attempt_event> events;
    for (;;) {
      auto e = next(timeout);
      if (!e) {
        FAIL("no final attempt event within the timeout");
        return events;
      }
      events.push_back(*e);
      if (e->kind != attempt_event::committed) break;
    }
    if (auto extra = next(quiet))
      FAIL_CHECK("an event after the final one: " << describe(*extra) << " (final was "
                                                  << describe(events.back()) << ")");
    return events;
  }

  caf::actor_system_config cfg;
  caf::actor_system system;
  caf::scoped_actor self;
};

/// The final event of `events` (the last one).
inline const attempt_event& final_of(const std::vector<attempt_event>& events) {
  REQUIRE_FALSE(events.empty());
  return events.back();
}

/// How many `committed` events `events` holds.
inline std::size_t commits_in(const std::vector<attempt_event>& events) {
  std::size_t n = 0;
  for (const auto& e : events) n += e.kind == attempt_event::committed ? 1 : 0;
  return n;
}

}  // namespace switchyard::runtime::upstream_test
