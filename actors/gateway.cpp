// The control plane's front door: the actor tree, and request actors whose crashes become clean
// 500s. Request actors are supervised by a termination hook instead of a supervisor actor: one
// supervisor mailbox would serialize every request of the node (see docs/architecture.md).
#include "actors/gateway.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/health_filter.hpp"
#include "actors/journal_replay.hpp"
#include "actors/lease_admission.hpp"
#include "actors/provider_diff.hpp"
#include "actors/provider_slot.hpp"
#include "actors/provider_supervisor.hpp"
#include "actors/provisional_record.hpp"
#include "actors/record_id.hpp"
#include "actors/router.hpp"
#include "actors/request_actor.hpp"

namespace switchyard::actors {

namespace {

// The worst case a request may cost: its prompt estimate and output cap at the highest prices
// among the targets its plan may try.
spend_demand demand_of(const request_context& ctx, const plan& p) {
  spend_demand d;
  d.prompt_tokens = prompt_estimate(ctx.body_bytes, ctx.request.prompt_tokens_estimate);
  if (ctx.request.kind == protocols::api_kind::chat_completions) {
    d.max_tokens = ctx.request.max_tokens;
  } else {
    d.max_tokens = 0;  // embeddings produce no output tokens
  }
  for (const auto* t : p.targets) {
    d.input_usd_per_token = std::max(d.input_usd_per_token, t->target->input_usd_per_mtok / 1e6);
    d.output_usd_per_token =
        std::max(d.output_usd_per_token, t->target->output_usd_per_mtok / 1e6);
  }
  return d;
}

// A key's own `allowed_models` narrows its tenant's: a model outside it is as unknown to the key
// as one the tenant may not use.
std::optional<protocols::error_info> key_model_error(const request_context& ctx) {
  if (ctx.key == nullptr || ctx.key->allowed_models.empty()) return std::nullopt;
  const auto& allowed = ctx.key->allowed_models;
  if (std::find(allowed.begin(), allowed.end(), ctx.request.model) != allowed.end())
    return std::nullopt;
  return protocols::make_error(protocols::gateway_error::model_not_found,
                               "The model `" + ctx.request.model +
                                   "` does not exist or you do not have access to it. GET "
                                   "/v1/models lists yours.",
                               "model");
}

// Reads back the spend of every budget's current period, so a restart does not start from zero.
std::string seed_spend(budget_book& book, usage_store& store) {
  for (const auto& s : book.seed_requests()) {
    std::string error;
    auto spent = store.spend_since(s.tenant, s.key_id, s.since, error);
    if (!spent) return error.empty() ? "the usage store cannot sum spend" : error;
    auto account = s.key_id.empty() ? book.tenant_account(s.tenant) : book.key_account(s.key_id);
    if (account) account->seed_spend(*spent);
  }
  return {};
}

}  // namespace

gateway::gateway(caf::actor_system& system, config::snapshot_ptr config, ports p)
    : system_(system),
      config_(std::move(config)),
      ports_(std::move(p)),
      population_(std::make_shared<request_population>()),
      routes_(std::make_shared<routing_slot>()),
      usage_stats_(std::make_shared<usage_writer_stats>()) {
  if (!ports_.time) ports_.time = std::make_shared<steady_clock>();
  if (!ports_.wall) ports_.wall = std::make_shared<system_wall_clock>();
  budgets_ = std::make_shared<budget_book>(*config_, ports_.wall, ports_.time);
  if (ports_.leases) budgets_->enable_leases();
  // Before the usage writer exists, so the store has a single user (its port contract); the
  // journal's leftovers first, so that the spend read back includes them.
  std::vector<journaled_record> unstored;
  if (ports_.usage && ports_.journal) {
    std::string error;
    unstored =
        replay_leftovers(*ports_.journal, *ports_.usage, usage_writer_options{}.batch_size, error);
    // Budgets would start without the spend of those records: as when the spend cannot be read.
    if (!unstored.empty() && !budgets_->seed_requests().empty())
      seed_error_ = "the journal's records could not be stored: " + error;
  }
  if (ports_.usage && seed_error_.empty()) seed_error_ = seed_spend(*budgets_, *ports_.usage);
  if (ports_.usage) {
    usage_writer_options spool;
    spool.max_pending = config_->server.usage_spool_records;
    usage_writer_ = spawn_usage_writer(system_, ports_.usage, usage_stats_, spool, ports_.journal);
    for (auto& r : unstored) caf::anon_send(usage_writer_, std::move(r));
  }
  std::vector<std::shared_ptr<provider_stats>> stats;
  for (const auto& prov : config_->providers) stats.push_back(make_provider_stats(prov));
  provider_supervisor_ =
      system_.spawn(provider_supervisor,
                    provider_supervisor_args{config_, std::move(stats), ports_.time, routes_});
  // Wait for the first routing snapshot, so that `submit` never sees an empty one.
  caf::scoped_actor self{system_};
  self->request(provider_supervisor_, caf::infinite, caf::get_atom::value)
      .receive([](const routing_table_ptr&) {}, [](const caf::error&) {});
}

gateway::~gateway() { stop(); }

void gateway::submit(request_context ctx) {
  if (ctx.record_id.empty()) ctx.record_id = new_record_id();
  population_->in_flight.fetch_add(1, std::memory_order_relaxed);
  population_->started_total.fetch_add(1, std::memory_order_relaxed);
  dispatch(std::move(ctx), lease_mode::wait);
}

void gateway::dispatch(request_context ctx, lease_mode mode, bool rates_answered) {
  auto sink = ctx.sink;
  auto population = population_;
  auto routes = routes_->load(std::memory_order_acquire);

  // Speculative first attempt: when the plan is clear and its first target has a free slot, start
  // that attempt here, on the ingress thread, instead of after a hop to an actor thread and a hop
  // back. The request actor adopts it (its first message) and owns every decision after.
  const route_target* first = nullptr;
  slot_ptr first_slot;
  attempt_spec first_spec;
  plan_options options;
  options.controls = &ctx.request.controls;
  options.prompt_tokens = ctx.request.prompt_tokens_estimate;
  options.max_tokens = ctx.request.max_tokens;
  options.key_policy = ctx.key != nullptr ? &ctx.key->policy : nullptr;
  auto p = make_plan(*routes, ctx.request.model, ctx.tenant, options);  // the actor uses it too
  apply_health(p, ports_.time->now());  // ejected providers out, unless all are
  std::shared_ptr<budget_hold> hold;
  if (!p.error) p.error = key_model_error(ctx);
  if (!p.error && ctx.tenant != nullptr) p.error = counters_down_refusal(ports_.leases.get(), ctx);
  if (!p.error && ctx.tenant != nullptr) {
    // Before any attempt starts: the reservation decides what may be sent (its output cap).
    auto verdict =
        budgets_->admit(*ctx.tenant, ctx.key_id, demand_of(ctx, p), mode, rates_answered);
    if (!verdict.lease_shortfall.empty()) {
      // The request does not fit this node's leases: wait for a top-up off this thread.
      if (ports_.leases->up())
        return wait_for_leases(std::move(ctx), std::move(verdict.lease_shortfall));
      return dispatch(std::move(ctx), down_mode(*ports_.leases));
    }
    if (!verdict.rate_shortfall.empty()) {
      // The shared rate windows' slices are too small: take new ones off this thread.
      if (ports_.leases->up())
        return wait_for_rates(std::move(ctx), std::move(verdict.rate_shortfall));
      return dispatch(std::move(ctx), down_mode(*ports_.leases));
    }
    if (!verdict.headers.empty()) sink->set_response_headers(std::move(verdict.headers));
    if (verdict.error) {
      p.error = std::move(verdict.error);  // the actor answers it, and records it
    } else {
      ctx.output_cap = verdict.max_tokens;
      hold = std::move(verdict.hold);
    }
  }
  // Only on the ingress thread: from the lease source's thread (a request that waited for a
  // top-up), `adopt` could reach the actor after the attempt's first events, which it would
  // drop as stale. The actor starts the attempt itself then.
  if (!p.error && mode == lease_mode::wait && !rates_answered) {
    // A target that cannot take the request as sent is left to the actor, which explains it.
    auto spec = make_attempt_spec(ctx, *routes, *p.targets.front(), 1, caf::actor{});
    if (spec.ok() && try_admit_fast(*p.targets.front()->stats)) {
      first = p.targets.front();
      first_slot = std::make_shared<provider_slot>(first->provider_actor, first->stats);
      first_spec = std::move(spec).value();
      if (usage_writer_ && ports_.journal)
        journal_before_last_bytes(first_spec, ctx, ports_.journal);
    }
  }

  request_args args{std::move(ctx), std::move(routes), std::move(p),
                    ports_,         first != nullptr,  usage_writer_, std::move(hold)};
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

void gateway::wait_for_leases(
    request_context ctx, std::vector<std::pair<std::shared_ptr<limit_account>, double>> shortfall) {
  auto waiting = std::make_shared<request_context>(std::move(ctx));
  auto leases = ports_.leases;
  // The source answers within a bounded time (its own timeouts), on its thread: admission runs
  // there again, and the request actor starts the first attempt.
  leases->top_up(std::move(shortfall), [this, waiting, leases](bool answered) {
    dispatch(std::move(*waiting), answered ? lease_mode::final : down_mode(*leases));
  });
}

void gateway::wait_for_rates(request_context ctx, std::vector<rate_need> shortfall) {
  auto waiting = std::make_shared<request_context>(std::move(ctx));
  auto leases = ports_.leases;
  // As for leases: a bounded wait, answered on the source's thread, where admission runs again.
  leases->take_rates(std::move(shortfall), [this, waiting, leases](bool answered) {
    // Answered: admission again, leases still free to ask for a top-up (mode `wait`).
    if (answered) return dispatch(std::move(*waiting), lease_mode::wait, true);
    dispatch(std::move(*waiting), down_mode(*leases));
  });
}

bool gateway::reload(config::snapshot_ptr next, std::chrono::milliseconds timeout) {
  bool done = false;
  caf::scoped_actor self{system_};
  self->request(provider_supervisor_, timeout, reload_atom::value, std::move(next))
      .receive([&](const routing_table_ptr&) { done = true; }, [](const caf::error&) {});
  return done;
}

std::vector<std::shared_ptr<provider_stats>> gateway::provider_stats_list() const {
  return routes()->stats();
}

routing_table_ptr gateway::routes() const {
  return routes_->load(std::memory_order_acquire);
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
