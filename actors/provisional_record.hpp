// Closing the gap between "the client has its whole response" and "its record is journaled".
// The request actor builds the record when it hears the attempt's final event, which the
// transport sends after it queued the response's last bytes: a node killed in between would lose
// the record of a response its client received. So the transport calls back just before those
// bytes, with the usage it knows then, and the callback journals a provisional record (same
// record id, usage and cost); the actor's full record supersedes it.
#pragma once

#include <memory>

#include "actors/gateway.hpp"
#include "actors/ports/upstream_transport.hpp"
#include "actors/ports/usage_journal.hpp"

namespace switchyard::actors {

/// Sets `spec.before_last_bytes` to append a provisional record of `ctx`'s request, served by
/// `spec`'s provider and target, to `journal`. Call after `spec.attempt_id` is set.
void journal_before_last_bytes(attempt_spec& spec, const request_context& ctx,
                               std::shared_ptr<usage_journal> journal);

}  // namespace switchyard::actors
