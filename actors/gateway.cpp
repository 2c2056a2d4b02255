// The control plane's front door: the actor tree, and request actors whose crashes become clean
// 500s. Request actors are supervised by a termination hook instead of a supervisor actor: one
// supervisor mailbox would serialize every request of the node (see docs/architecture.md).
#include "actors/gateway.hpp"

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/health_filter.hpp"
#include "actors/provider_slot.hpp"
#include "actors/provider_supervisor.hpp"
#include "actors/router.hpp"
#include "actors/request_actor.hpp"

namespace switchyard::actors {

gateway::gateway(caf::actor_system& system, config::snapshot_ptr config, ports p)
    : system_(system),
      config_(std::move(config)),
      ports_(std::move(p)),
      population_(std::make_shared<request_population>()),
      routes_(std::make_shared<routing_slot>()),
      usage_stats_(std::make_shared<usage_writer_stats>()) {
  if (!ports_.time) ports_.time = std::make_shared<steady_clock>();
  if (ports_.usage) usage_writer_ = spawn_usage_writer(system_, ports_.usage, usage_stats_);
  for (const auto& prov : config_->providers) {
    auto s = std::make_shared<provider_stats>();
    s->name = prov.name;
    s->limit = prov.max_in_flight;  // before any provider actor runs: the fast path reads it
    s->health.configure(prov);
    stats_.push_back(std::move(s));
  }
  provider_supervisor_ = system_.spawn(
      provider_supervisor, provider_supervisor_args{config_, stats_, ports_.time, routes_});
  // Wait for the first routing snapshot, so that `submit` never sees an empty one.
  caf::scoped_actor self{system_};
  self->request(provider_supervisor_, caf::infinite, caf::get_atom::value)
      .receive([](const routing_table_ptr&) {}, [](const caf::error&) {});
}

gateway::~gateway() { stop(); }

void gateway::submit(request_context ctx) {
  auto sink = ctx.sink;
  auto population = population_;
  population->in_flight.fetch_add(1, std::memory_order_relaxed);
  population->started_total.fetch_add(1, std::memory_order_relaxed);
  auto routes = routes_->load(std::memory_order_acquire);

  // Speculative first attempt: when the plan is clear and its first target has a free slot, start
  // that attempt here, on the ingress thread, instead of after a hop to an actor thread and a hop
  // back. The request actor adopts it (its first message) and owns every decision after.
  const route_target* first = nullptr;
  slot_ptr first_slot;
  attempt_spec first_spec;
  auto p = make_plan(*routes, ctx.request.model, ctx.tenant);  // the actor uses it too
  apply_health(p, ports_.time->now());  // ejected providers out, unless all are
  if (!p.error) {
    // A target that cannot take the request as sent is left to the actor, which explains it.
    auto spec = make_attempt_spec(ctx, *routes, *p.targets.front(), 1, caf::actor{});
    if (spec.ok() && try_admit_fast(*p.targets.front()->stats)) {
      first = p.targets.front();
      first_slot = std::make_shared<provider_slot>(first->provider_actor, first->stats);
      first_spec = std::move(spec).value();
    }
  }

  request_args args{std::move(ctx), std::move(routes), std::move(p),
                    ports_,         first != nullptr,  usage_writer_};
  // With the first attempt started here, the `adopt` message below is what schedules the actor:
  // spawned lazily, it wakes an actor thread once instead of twice.
  auto actor = first != nullptr ? system_.spawn<caf::lazy_init>(request_actor, std::move(args))
                                : system_.spawn(request_actor, std::move(args));
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor(
      [sink, population](const caf::error& reason) {
        population->in_flight.fetch_sub(1, std::memory_order_relaxed);
        if (!reason) return;  // a normal exit: the request answered for itself
        population->crashed_total.fetch_add(1, std::memory_order_relaxed);
        // The reason stays out of the body: it is internal detail, CAF logs it.
        sink->send_error(protocols::make_error(
            protocols::gateway_error::internal,
            "The gateway failed while handling this request. It was not billed; retry it."));
      });
  if (first != nullptr) {
    // `start` sends no event before it returns (port contract), so `adopt` is always the
    // actor's first message about this attempt.
    first_spec.listener = actor;
    auto handle = ports_.transport->start(std::move(first_spec), sink);
    caf::anon_send(actor, adopt_atom::value, std::uint32_t{1}, std::move(first_slot),
                   std::move(handle));
  }
}

caf::actor gateway::provider_actor_for_test(std::size_t index) const {
  return routes_->load(std::memory_order_acquire)->provider_actors().at(index);
}

namespace {

// Asks the usage writer once and hands the answer to `done`. Its state comes in as spawn
// arguments, not lambda captures: CAF 0.17 dereferences a null argument tuple for a spawned
// lambda without arguments (UBSan reports it).
void usage_lookup_actor(caf::event_based_actor* self, caf::actor writer, std::string request_id,
                        std::string key_id,
                        std::function<void(std::optional<request_record>)> done) {
  self->request(writer, std::chrono::seconds(10), lookup_atom::value, std::move(request_id),
                std::move(key_id))
      .then(
          [done](usage_lookup& r) {
            done(r.found ? std::optional<request_record>{std::move(r.record)} : std::nullopt);
          },
          [done](caf::error&) { done(std::nullopt); });
}

}  // namespace

void gateway::find_usage(std::string request_id, std::string key_id,
                         std::function<void(std::optional<request_record>)> done) {
  if (!usage_writer_) {
    done(std::nullopt);
    return;
  }
  // A short-lived actor asks the writer (whose thread may be busy writing) so that the caller,
  // an I/O thread, never waits.
  system_.spawn(usage_lookup_actor, usage_writer_, std::move(request_id), std::move(key_id),
                std::move(done));
}

bool gateway::stop(std::chrono::milliseconds flush_timeout) {
  bool stored = true;
  if (usage_writer_) {
    caf::scoped_actor self{system_};
    stored = false;
    self->request(usage_writer_, flush_timeout, flush_atom::value)
        .receive([&](bool all) { stored = all; }, [](const caf::error&) {});
    caf::anon_send_exit(usage_writer_, caf::exit_reason::user_shutdown);
    usage_writer_ = nullptr;
  }
  if (provider_supervisor_) {
    caf::anon_send_exit(provider_supervisor_, caf::exit_reason::user_shutdown);
    provider_supervisor_ = nullptr;
  }
  return stored;
}

}  // namespace switchyard::actors
