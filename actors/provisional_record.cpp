// Provisional records from the transport (see provisional_record.hpp).
#include "actors/provisional_record.hpp"

#include <chrono>
#include <utility>

#include "actors/cost.hpp"

namespace switchyard::actors {

void journal_before_last_bytes(attempt_spec& spec, const request_context& ctx,
                               std::shared_ptr<usage_journal> journal) {
  // What the request actor's record will say too, known now; usage, status and times come with
  // the call.
  auto base = std::make_shared<request_record>();
  base->request_id = ctx.request_id;
  base->record_id = ctx.record_id;
  base->tenant = ctx.tenant != nullptr ? ctx.tenant->name : std::string{};
  base->key_prefix = ctx.key_prefix;
  base->key_id = ctx.key_id;
  base->model = ctx.request.model;
  base->kind = ctx.request.kind;
  base->client = ctx.request.client;
  base->stream = ctx.request.stream;
  base->provider = spec.provider != nullptr ? spec.provider->name : std::string{};
  base->upstream_model = spec.upstream_model;
  base->attempts = spec.attempt_id;  // attempts started so far, this one the last
  // `spec.config` owns `target` for as long as the attempt (and this callback) lives.
  spec.before_last_bytes = [base, journal = std::move(journal), owner = spec.config,
                            target = spec.target, received = ctx.received](
                               const protocols::usage& usage, unsigned status) {
    (void)owner;  // captured only to keep `target` alive
    request_record r = *base;
    r.usage = usage;
    r.status = status;
    if (target != nullptr) r.cost_usd = cost_usd(*target, usage);
    r.finished_at = std::chrono::system_clock::now();
    r.duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - received);
    journal->append_provisional(r);
  };
}

}  // namespace switchyard::actors
