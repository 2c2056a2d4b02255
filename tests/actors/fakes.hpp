// Fake ports for actor tests: a sink, a transport and an observer that record what the actors do,
// plus a small config builder. Waiting is on condition variables with a deadline, never sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/gateway.hpp"
#include "actors/messages.hpp"
#include "config/config.hpp"

namespace switchyard::test {

using namespace std::chrono_literals;

/// Waits on `cv` until `pred()` or a generous deadline; false means the test should fail.
template <class Pred>
bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Pred pred) {
  return cv.wait_for(lock, 10s, pred);
}

class fake_sink final : public actors::response_sink {
 public:
  bool try_commit(std::uint32_t attempt_id) override {
    std::uint32_t none = 0xffffffff;
    return committed_.compare_exchange_strong(none, attempt_id);
  }
  void send_error(const protocols::error_info& error) override {
    std::lock_guard<std::mutex> g(mutex_);
    if (!try_commit(error_attempt)) return;
    errors_.push_back(error);
    cv_.notify_all();
  }
  void set_listener(const caf::actor& listener) override {
    bool gone = false;
    {
      std::lock_guard<std::mutex> g(mutex_);
      listener_ = listener;
      gone = gone_;
    }
    if (gone) caf::anon_send(listener, actors::client_gone_atom::value);  // the port's contract
  }
  /// The client disconnects.
  void disconnect() {
    caf::actor l;
    {
      std::lock_guard<std::mutex> g(mutex_);
      gone_ = true;
      l = listener_;
    }
    if (l) caf::anon_send(l, actors::client_gone_atom::value);
  }
  std::optional<protocols::error_info> wait_error() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!wait_until(cv_, lock, [&] { return !errors_.empty(); })) return std::nullopt;
    return errors_.front();
  }
  std::size_t error_count() {
    std::lock_guard<std::mutex> g(mutex_);
    return errors_.size();
  }
  std::uint32_t committed() const { return committed_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<protocols::error_info> errors_;
  caf::actor listener_;
  bool gone_ = false;
  std::atomic<std::uint32_t> committed_{0xffffffff};
};

/// Set once by `attempt_handle::cancel`; tests wait on it.
struct cancel_signal {
  std::mutex mutex;
  std::condition_variable cv;
  bool cancelled = false;

  void fire() {
    std::lock_guard<std::mutex> g(mutex);
    cancelled = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex);
    return wait_until(cv, lock, [&] { return cancelled; });
  }
  bool fired() {
    std::lock_guard<std::mutex> g(mutex);
    return cancelled;
  }
};

/// One attempt the control plane started; the test plays the upstream by sending its events.
struct started_attempt {
  actors::attempt_spec spec;
  std::shared_ptr<actors::response_sink> sink;
  std::shared_ptr<cancel_signal> cancelled;

  void send(actors::attempt_event ev) const {
    ev.attempt_id = spec.attempt_id;
    caf::anon_send(spec.listener, std::move(ev));
  }
  /// Commits (wins the sink) and finishes with `usage`.
  void succeed(protocols::usage u = {}) const {
    sink->try_commit(spec.attempt_id);
    send({actors::attempt_event::committed});
    actors::attempt_event done{actors::attempt_event::finished};
    done.upstream_status = 200;
    done.usage = u;
    send(done);
  }
  void fail(actors::attempt_failure f, unsigned status = 0, std::uint32_t retry_after = 0) const {
    actors::attempt_event ev{actors::attempt_event::failed};
    ev.failure = f;
    ev.upstream_status = status;
    ev.retry_after_s = retry_after;
    send(ev);
  }
};

class fake_transport final : public actors::upstream_transport {
 public:
  class handle final : public actors::attempt_handle {
   public:
    explicit handle(std::shared_ptr<cancel_signal> signal) : signal_(std::move(signal)) {}
    void cancel() override { signal_->fire(); }

   private:
    std::shared_ptr<cancel_signal> signal_;
  };

  /// When set, `start` throws (simulates a bug inside the request actor's turn).
  std::atomic<bool> throw_on_start{false};

  std::shared_ptr<actors::attempt_handle> start(actors::attempt_spec spec,
                                                std::shared_ptr<actors::response_sink> sink) override {
    if (throw_on_start) throw std::runtime_error("injected transport bug");
    auto flag = std::make_shared<cancel_signal>();
    std::lock_guard<std::mutex> g(mutex_);
    attempts_.push_back({std::move(spec), std::move(sink), flag});
    cv_.notify_all();
    return std::make_shared<handle>(flag);
  }

  /// The `n`-th attempt started (0-based), waiting for it.
  std::optional<started_attempt> wait_attempt(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!wait_until(cv_, lock, [&] { return attempts_.size() > n; })) return std::nullopt;
    return attempts_[n];
  }
  std::size_t count() {
    std::lock_guard<std::mutex> g(mutex_);
    return attempts_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<started_attempt> attempts_;
};

class fake_observer final : public actors::request_observer {
 public:
  void on_request_done(const actors::request_record& record) override {
    std::lock_guard<std::mutex> g(mutex_);
    records_.push_back(record);
    cv_.notify_all();
  }
  std::optional<actors::request_record> wait_record(std::size_t n = 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!wait_until(cv_, lock, [&] { return records_.size() > n; })) return std::nullopt;
    return records_[n];
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<actors::request_record> records_;
};

/// Builds a config snapshot in code: providers "a", "b", "c" and models over them.
struct config_builder {
  config::snapshot s;

  config_builder& provider(const std::string& name, std::uint32_t max_in_flight = 8,
                           std::uint32_t max_queue = 0, bool enabled = true) {
    config::provider_config p;
    p.name = name;
    p.type = config::provider_type::openai_compatible;
    p.max_in_flight = max_in_flight;
    p.max_queue = max_queue;
    p.enabled = enabled;
    p.queue_timeout = 100ms;
    p.timeouts.total = 1000ms;
    s.providers.push_back(p);
    return *this;
  }
  config_builder& model(const std::string& name, const std::vector<std::string>& providers,
                        std::uint32_t max_attempts = 3) {
    config::model_config m;
    m.name = name;
    m.max_attempts = max_attempts;
    for (const auto& prov : providers) {
      config::target_config t;
      t.provider = prov;
      t.model = prov + "-model";
      t.input_usd_per_mtok = 1.0;
      t.output_usd_per_mtok = 2.0;
      for (std::size_t i = 0; i < s.providers.size(); ++i) {
        if (s.providers[i].name == prov) t.provider_index = i;
      }
      m.targets.push_back(t);
    }
    s.models.push_back(m);
    return *this;
  }
  config_builder& tenant(const std::string& name, std::vector<std::string> allowed = {}) {
    config::tenant_config t;
    t.name = name;
    t.allowed_models = std::move(allowed);
    s.tenants.push_back(t);
    return *this;
  }
  config::snapshot_ptr build() { return std::make_shared<const config::snapshot>(s); }
};

/// A minimal decoded request for `model`. The transport is fake, so only what the request actor
/// reads is filled in; the JSON is a real parsed document for `encode_openai_upstream`.
protocols::inbound_request make_request(const std::string& model, bool stream = false);

}  // namespace switchyard::test
