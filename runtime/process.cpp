// Process orchestration. Signals are blocked in every thread and taken by one dedicated thread
// with sigwait, so a second signal exits even when every I/O thread is busy.
#include "runtime/process.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "actors/gateway.hpp"
#include "actors/routing_table.hpp"
#include "config/loader.hpp"
#include "runtime/admin_http.hpp"
#include "runtime/budget_follow.hpp"
#include "runtime/cluster_wiring.hpp"
#include "runtime/config_reload.hpp"
#include "runtime/access_log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/observer_fanout.hpp"
#include "runtime/period_sweep.hpp"
#include "runtime/server.hpp"
#include "runtime/pg_listener.hpp"
#include "runtime/pg_usage_store.hpp"
#include "runtime/storage_open.hpp"
#include "runtime/upstream_factory.hpp"
#include "runtime/usage_journal.hpp"

namespace switchyard::runtime {

namespace net = boost::asio;

namespace {

// After the drain, request actors still settle and record; give them this long before the
// control plane is stopped, and the actor system as long again to wind down.
constexpr std::chrono::seconds settle_grace{5};

unsigned or_cores(unsigned configured) {
  if (configured != 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Polls `done` until it holds or `limit` passed. Shutdown only: nothing to wake us otherwise.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::steady_clock::duration limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

const char* signal_name(int sig) {
  return sig == SIGINT    ? "SIGINT"
         : sig == SIGTERM ? "SIGTERM"
         : sig == SIGHUP  ? "SIGHUP"
                          : "signal";
}

void run_io(net::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      log_line("error", std::string{"unexpected exception on an I/O thread: "} + e.what());
    } catch (...) {
      log_line("error", "unexpected exception on an I/O thread");
    }
  }
}

// The admin store (same database as the usage records) and the live config it merges into.
struct admin_parts {
  std::shared_ptr<admin_api> api;
  std::shared_ptr<live_config> live;
};

std::optional<admin_parts> open_admin(const config::snapshot_ptr& config) {
  std::string error;
  auto store = open_admin_store(config->storage, node_origin(), error);
  if (!store) {
    log_line("error", error);
    return std::nullopt;
  }
  std::vector<std::string> warnings;
  auto effective = merge_from(*config, *store, warnings, error);
  if (!effective) {
    log_line("error", "cannot read the admin store: " + error);
    return std::nullopt;
  }
  for (const auto& w : warnings) log_line("warning", w);
  auto live = std::make_shared<live_config>(std::move(effective));
  return admin_parts{std::make_shared<admin_api>(std::move(store), config, live), live};
}

// The listener of admin changes made elsewhere, for a PostgreSQL store; null for SQLite (one
// node per file: every change is made here, or by the CLI, applied at SIGHUP).
std::unique_ptr<pg_listener> start_admin_listener(const config::snapshot& config,
                                                  const std::shared_ptr<admin_frontend>& frontend) {
  if (!is_postgres_url(config.storage)) return nullptr;
  std::weak_ptr<admin_frontend> weak = frontend;
  return std::make_unique<pg_listener>(config.storage, node_origin(), [weak] {
    if (auto f = weak.lock())
      f->run([](admin_api& api) {
        std::string error;
        if (!api.publish(error))
          log_line("error", "an admin change from another node was not applied yet: " + error);
      });
  });
}

// `switchyard_storage_up`: PostgreSQL is up while the listener is connected and the usage
// store's last operation reached it; SQLite while its writes succeed.
std::function<bool()> storage_probe(const std::shared_ptr<actors::usage_store>& usage,
                                    const pg_listener* listener, const actors::gateway* gw) {
  if (auto pg = std::dynamic_pointer_cast<pg_usage_store>(usage))
    return [pg, listener] {
      return pg->up().load(std::memory_order_relaxed) &&
             (listener == nullptr || listener->up().load(std::memory_order_relaxed));
    };
  return [gw] { return !gw->usage_stats().failing.load(std::memory_order_relaxed); };
}

// SIGHUP: loads the config file again and applies it (see config_reload.hpp), or logs why not.
// Runs on the main thread, which only waits for signals otherwise.
void reload_config(const config::snapshot& started, actors::gateway& gw, upstream_client& upstream,
                   metrics* exporter, admin_frontend& admin, counters_service* counters) {
  const std::string& path = started.source;
  auto loaded = config::load_file(path);
  if (!loaded) {
    log_line("error", "SIGHUP: configuration refused, the running one keeps serving: " +
                          loaded.error().to_string());
    return;
  }
  auto next = loaded.value();
  const auto routed = gw.routes()->config();
  auto check = check_reload(started, *routed, *next);
  for (const auto& w : check.warnings) log_line("warning", "SIGHUP: " + w);
  for (const auto& w : next->warnings) log_line("warning", w);
  // Series and pools first: a request on a new model or provider may start and finish right
  // after the routes change. (When the supervisor does not answer in time it may still apply the
  // change later, so neither is rolled back: extra series and pools are harmless.)
  if (exporter) exporter->reload(*next);
  upstream.prepare(*next);
  if (!gw.reload(next)) {
    log_line("error",
             "SIGHUP: the routes were not reloaded (the control plane did not answer); "
             "the running configuration keeps serving");
    return;
  }
  for (const auto& c : check.changes) log_line("info", "SIGHUP: " + c);
  // Providers added by the reload announce their ejections to the cluster too.
  if (counters) announce_ejections(*counters, gw);
  // After the new routes are out: pools of providers that left or moved close as they idle.
  upstream.retain(*next);
  // Tenants and keys: on the admin worker, serialized with admin changes.
  admin.run([next](admin_api& api) {
    std::string error;
    if (api.reload(next, error))
      log_line("info", "SIGHUP: configuration reloaded from " + next->source);
    else
      log_line("error", "SIGHUP: routes reloaded, but tenants and keys were not: " + error);
  });
}

std::atomic<config::log_level> least_level{config::log_level::info};

config::log_level level_of(std::string_view level) noexcept {
  if (level == "debug") return config::log_level::debug;
  if (level == "warning") return config::log_level::warning;
  if (level == "error") return config::log_level::error;
  return config::log_level::info;
}

}  // namespace

void set_log_level(config::log_level least) noexcept {
  least_level.store(least, std::memory_order_relaxed);
}

void log_line(std::string_view level, std::string_view message) noexcept {
  if (level_of(level) < least_level.load(std::memory_order_relaxed)) return;
  try {
    std::string line;
    line.reserve(message.size() + level.size() + 16);
    line += "switchyard: ";
    line += level;
    line += ": ";
    for (char c : message) line.push_back(c == '\n' || c == '\r' ? ' ' : c);  // one event, one line
    line.push_back('\n');
    // One write(2) per line: lines from different threads never interleave.
    auto rc = ::write(STDERR_FILENO, line.data(), line.size());
    (void)rc;
  } catch (...) {
  }
}

std::string format_host_port(std::string_view host, unsigned port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

int run_gateway(const config::snapshot_ptr& config, std::ostream& out) {
  // Block the shutdown signals before any thread exists, so that every thread inherits the mask
  // and only the signal thread below ever sees them.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGHUP);  // reload; see the signal thread
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const auto& limits = config->server;
  set_log_level(limits.observability.log_level);
  const unsigned io_threads = or_cores(limits.io_threads);
  const unsigned actor_threads = or_cores(limits.actor_threads);

  caf::actor_system_config caf_config;
  caf_config.set("scheduler.max-threads", static_cast<std::size_t>(actor_threads));
  caf_config.set("scheduler.policy", caf::atom("sharing"));
  caf_config.set("logger.file-verbosity", caf::atom("quiet"));
  caf_config.set("logger.console-verbosity", caf::atom("quiet"));
  // The I/O context outlives the actor system: actors hold response channels, whose sessions,
  // sockets and timers belong to it. The system is destroyed explicitly, once its actors are done.
  net::io_context io{static_cast<int>(io_threads)};
  auto system_holder = std::make_unique<caf::actor_system>(caf_config);
  auto& system = *system_holder;
  auto transport = make_upstream_transport(io, *config);
  // `server.metrics: false` takes the exporter out of the request path and /metrics answers 404.
  auto exporter = limits.metrics ? std::make_shared<metrics>(*config) : nullptr;
  auto access = access_log::open(limits.observability);
  if (!access.ok()) {
    log_line("error", access.error());
    return 1;
  }
  auto usage = open_usage_store(config->storage);
  if (!usage.ok()) {
    log_line("error", usage.error());
    return 1;
  }
  // Before the gateway: what an earlier run left in the journal is stored as the gateway starts.
  journal_options spool;
  spool.dir = limits.spool_dir;
  spool.fsync = limits.spool_fsync;
  auto journal = file_journal::open(spool);
  if (!journal.ok()) {
    log_line("error", journal.error());
    return 1;
  }
  auto admin = open_admin(config);
  if (!admin) return 1;
  auto counters = open_counters(*config);
  if (!counters.ok()) {
    log_line("error", counters.error());
    return 1;
  }
  auto observer = observer_fanout::combine({exporter, access.value()});
  auto gateway = std::make_unique<actors::gateway>(
      system, config,
      actors::gateway::ports{transport, observer, nullptr, usage.value(), nullptr, journal.value(),
                             counters.value()});
  auto* gw = gateway.get();
  counters_stopper stop_counters_first{counters.value()};
  if (!gateway->budget_seed_error().empty()) {
    // Serving with budgets restarted from zero would let them be overspent: fail closed.
    log_line("error", "cannot rebuild budget spend: " + gateway->budget_seed_error());
    gateway->stop();
    return 1;
  }
  // Before the admin worker runs: every later publish reconfigures the budget book first.
  admin->api->on_publish(follow_budgets(gw->budgets()));
  {
    // The gateway's book holds the config file's tenants; this adds the stored ones (and seeds
    // their budgets) before the first request.
    std::string error;
    if (!admin->api->publish(error)) {
      log_line("error", "cannot read the admin store: " + error);
      gateway->stop();
      return 1;
    }
  }
  auto frontend = std::make_shared<admin_frontend>(system, admin->api, gw);
  // PostgreSQL: changes made on other nodes are applied here through the same publish as a local
  // one (store re-read, budget book reconfigured, live config swapped), on the admin worker.
  auto listener = start_admin_listener(*config, frontend);
  auto srv = std::make_shared<server>(
      io, server_options{config, [gw](actors::request_context ctx) { gw->submit(std::move(ctx)); },
                         [gw](std::string id, std::string key_id, auto done) {
                           gw->find_usage(std::move(id), std::move(key_id), std::move(done));
                         },
                         exporter, &gw->budgets(), admin->live,
                         [frontend](admin_request req, std::function<void(admin_response)> done) {
                           frontend->handle(std::move(req), std::move(done));
                         },
                         &gw->usage_stats(), access.value()});
  if (counters.value()) start_counters(*counters.value(), *gw);
  if (exporter) {
    if (counters.value()) exporter->attach_counters(&counters.value()->stats());
    exporter->attach_storage_up(storage_probe(usage.value(), listener.get(), gw));
    exporter->attach(gw, &srv->stats());
    exporter->attach_actor_system(&system);
    exporter->attach_access_log(access.value().get());
  }

  if (auto ec = srv->listen()) {
    log_line("error", "cannot listen on " +
                          format_host_port(limits.listen_host, limits.listen_port) + ": " +
                          ec.message());
    gateway->stop();
    return 1;
  }
  out << "switchyard listening on "
      << format_host_port(limits.listen_host, srv->local_endpoint().port()) << std::endl;
  srv->start();
  log_line("info", std::to_string(io_threads) + " I/O thread(s), " + std::to_string(actor_threads) +
                       " actor thread(s), " + std::to_string(config->providers.size()) +
                       " provider(s), " + std::to_string(config->models.size()) + " model(s)");

  auto work = net::make_work_guard(io);
  auto sweep = period_sweep::start(io, gw->budgets());
  std::vector<std::thread> threads;
  threads.reserve(io_threads);
  for (unsigned i = 0; i < io_threads; ++i) threads.emplace_back([&io] { run_io(io); });

  std::mutex mutex;
  std::condition_variable cv;
  bool signalled = false;
  int first_signal = 0;
  bool drained = false;
  std::uint64_t reloads_requested = 0;

  // The signal thread touches this frame only until its shutdown notification; afterwards it
  // only waits for a second SIGINT/SIGTERM, which ends the process at once (SIGHUP then stays
  // blocked and pending: no reload during a drain).
  std::thread([&shutdown_signals, &mutex, &cv, &signalled, &first_signal, &reloads_requested] {
    int sig = 0;
    for (;;) {
      sigwait(&shutdown_signals, &sig);
      if (sig != SIGHUP) break;
      std::lock_guard<std::mutex> guard{mutex};
      ++reloads_requested;
      cv.notify_all();
    }
    {
      std::lock_guard<std::mutex> guard{mutex};
      signalled = true;
      first_signal = sig;
      cv.notify_all();
    }
    sigset_t again;
    sigemptyset(&again);
    sigaddset(&again, SIGINT);
    sigaddset(&again, SIGTERM);
    sigwait(&again, &sig);
    log_line("error", std::string{"received "} + signal_name(sig) + " again, exiting now");
    std::_Exit(1);
  }).detach();

  std::unique_lock<std::mutex> lock{mutex};
  std::uint64_t reloads_done = 0;
  for (;;) {
    cv.wait(lock, [&] { return signalled || reloads_requested != reloads_done; });
    if (signalled) break;
    reloads_done = reloads_requested;  // several SIGHUPs in a row: one reload reads the file
    lock.unlock();
    reload_config(*config, *gw, *transport, exporter.get(), *frontend, counters.value().get());
    lock.lock();
  }
  log_line("info", std::string{"received "} + signal_name(first_signal) + ", draining for up to " +
                       std::to_string(limits.drain_timeout.count()) +
                       " ms (send it again to exit at once)");
  srv->drain([&] {
    std::lock_guard<std::mutex> guard{mutex};
    drained = true;
    cv.notify_all();
  });
  if (!cv.wait_for(lock, limits.drain_timeout, [&] { return drained; })) {
    log_line("warning", "drain timeout: closing " +
                            std::to_string(srv->stats().connections_open.load()) +
                            " connection(s) still open");
    srv->close_all();
  }
  lock.unlock();

  // Requests that were answered may still be settling; closed ones hear their client is gone.
  if (!wait_until([&] { return gw->requests().in_flight.load() <= 0; }, settle_grace))
    log_line("warning", std::to_string(gw->requests().in_flight.load()) +
                            " request(s) still in flight after the drain; stopping anyway");
  sweep->stop();
  work.reset();
  io.stop();
  for (auto& t : threads) t.join();
  // Every request has settled: report the last spend and return the leases' free part.
  if (counters.value()) counters.value()->stop();
  if (!gateway->stop())
    log_line("error", "usage records still waiting at exit were not stored (" +
                          std::to_string(gw->usage_stats().pending.load()) + ")");
  if (listener) listener->stop();
  frontend->stop();
  if (!wait_until([&] { return system.registry().running() == 0; }, settle_grace)) {
    // Destroying the system would wait for them forever (their I/O is stopped): end here.
    log_line("warning", std::to_string(system.registry().running()) +
                            " actor(s) still running; exiting without them");
    out.flush();
    if (access.value()) access.value()->flush();
    std::_Exit(0);
  }
  if (access.value()) access.value()->flush();
  gateway.reset();
  system_holder.reset();  // actors release their channels while the I/O objects still exist
  srv.reset();
  log_line("info", "stopped");
  return 0;
}

}  // namespace switchyard::runtime
