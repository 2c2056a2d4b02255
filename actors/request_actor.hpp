// The request actor: one per in-flight request. Owns the request's life: plan → acquire a provider
// slot → attempt → fail over before commit → finish → record. Bytes never pass through it; it
// hears only attempt events.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/behavior.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/gateway.hpp"
#include "actors/health_ticket.hpp"
#include "actors/messages.hpp"
#include "actors/router.hpp"
#include "actors/routing_table.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"

namespace switchyard::actors {

/// Spawn arguments of a request actor.
struct request_args {
  request_context ctx;
  routing_table_ptr routes;
  /// `make_plan` of the request over `routes`, made once by the gateway.
  plan route_plan;
  gateway::ports ports;  ///< `ports.time` is never null here
  /// The gateway already started the first attempt on the ingress thread (see `gateway::submit`):
  /// the actor starts none itself and waits for `(adopt_atom, …)`.
  bool first_attempt_started = false;
  /// Receives the request's record when it ends; null when usage is not stored.
  caf::actor usage_writer;
  /// The request's budget reservation (null when it needs none): settled with the real cost when
  /// the request ends, released if the actor dies first.
  std::shared_ptr<budget_hold> hold;
};

struct request_state {
  struct attempt {
    std::uint32_t id = 0;
    slot_ptr slot;  // released (to the provider actor) when the attempt is dropped
    std::shared_ptr<attempt_handle> handle;
    const route_target* target = nullptr;
    health_ticket health;  // reports the outcome to the provider's circuit (see settle)
    bool hedge = false;    // started by the hedge timer
  };

  request_args args;
  plan route_plan;
  std::size_t next_target = 0;
  std::uint32_t next_attempt_id = 1;
  std::optional<attempt> current;
  /// A second attempt racing `current` before commit (a hedge, or the loser of one).
  std::optional<attempt> racer;
  std::uint32_t hedges = 0;
  bool committed_by_hedge = false;
  std::shared_ptr<provider_stats> hedge_provider;  // where the hedge went, for its outcome
  std::uint32_t same_target_retries = 0;
  /// The provider of the last failed attempt: its retry budget pays for the next one.
  std::shared_ptr<provider_stats> failed_on;
  const route_target* committed = nullptr;
  /// Attempts started per model: a plan with fallback `models` spans several, each bounded by
  /// its own `max_attempts`.
  std::vector<std::pair<const config::model_config*, std::uint32_t>> model_attempts;

  // What went wrong so far, to pick the final error when every target failed.
  std::uint32_t failures = 0;
  std::uint32_t timeouts = 0;
  std::uint32_t rate_limited = 0;
  std::uint32_t refusals = 0;
  std::uint32_t retry_after_s = 0;
  std::string last_failure;
  /// Why the first target that could not take the request as sent refused it (a field its
  /// dialect cannot honour); the answer when no target could.
  std::optional<protocols::error_info> encode_error;

  bool client_gone = false;
  bool awaiting_adoption = false;  // the first attempt runs, its handle is on its way
  bool finished = false;
  request_record record;
  caf::response_promise safety_net;  // the never-answered request behind the safety deadline

  static inline const char* name = "request";
};

/// The attempt `id` of `ctx` against `target`, reporting to `listener`, with the request encoded
/// for the target's dialect. An error (400 naming a field the target cannot honour, unless its
/// model drops such fields) means this target cannot serve the request as sent.
protocols::result<attempt_spec, protocols::error_info> make_attempt_spec(
    const request_context& ctx, const routing_table& routes, const route_target& target,
    std::uint32_t id, caf::actor listener);

/// The request actor's behavior. Messages: `attempt_event` (from the transport),
/// `client_gone_atom` (from the sink), `deadline_atom` (self-sent safety net), and first of all,
/// when `first_attempt_started`, `(adopt_atom, attempt id, slot_ptr, attempt_handle_ptr)`.
caf::behavior request_actor(caf::stateful_actor<request_state>* self, request_args args);

}  // namespace switchyard::actors
