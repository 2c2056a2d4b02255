// The messages actors exchange, and the events the transport sends them. Local only: never
// serialized, so non-inspectable types are whitelisted below.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "protocols/usage.hpp"

namespace switchyard::actors {

using acquire_atom = caf::atom_constant<caf::atom("acquire")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using client_gone_atom = caf::atom_constant<caf::atom("gone")>;
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;

/// How an attempt ended badly.
enum class attempt_failure : std::uint8_t {
  none,
  connect,             ///< DNS, TCP or TLS failure
  connect_timeout,
  first_byte_timeout,
  idle_timeout,        ///< between two stream chunks
  total_timeout,
  upstream_status,     ///< a status that is not passed through (see `is_retryable_status`)
  reset,               ///< the connection closed or broke mid-exchange
  protocol,            ///< the upstream's bytes are not valid HTTP / SSE / JSON
  empty_stream,        ///< a stream that ended before any event
  cancelled,           ///< cancelled through its `attempt_handle`
  lost_race,           ///< another attempt of the same request committed first
};

/// Log-safe name of a failure ("connect", "first_byte_timeout", …).
const char* to_string(attempt_failure f) noexcept;

/// True for failures that are timeouts (the request answers 504 when all attempts time out).
bool is_timeout(attempt_failure f) noexcept;

/// One event of one attempt, sent by the transport to the request actor.
struct attempt_event {
  enum kind_t : std::uint8_t { committed, finished, failed };
  kind_t kind = failed;
  std::uint32_t attempt_id = 0;
  attempt_failure failure = attempt_failure::none;
  unsigned upstream_status = 0;      ///< the upstream's HTTP status, 0 if none arrived
  std::uint32_t retry_after_s = 0;   ///< the upstream's `Retry-After`, 0 if none
  bool was_committed = false;        ///< this attempt had the client's response
  bool stream_broken = false;        ///< committed stream ended with an error event
  protocols::usage usage;            ///< tokens seen (also on failures after commit)
  /// Attempt start → commit (the first relayed event of a stream, else the response header).
  std::chrono::microseconds time_to_first_byte{0};
  /// Attempt start → this event: the time spent on the upstream exchange (overhead metric).
  std::chrono::microseconds upstream_time{0};
  std::string detail;                ///< log-safe, never a credential
};

/// Upstream statuses that move a request to its next target before commit: 408, 409, 429, 5xx,
/// and 401/403/404 (a provider-side key or model problem that another target may not have).
/// Any other status is the client's own answer and is passed through.
bool is_retryable_status(unsigned status) noexcept;

/// A provider's answer to `acquire_atom`.
enum class admission : std::uint8_t {
  admitted,       ///< a slot is held (see `slot`)
  overloaded,     ///< in-flight and queue full: try the next target now
  queue_timeout,  ///< waited `queue_timeout` for a slot
  disabled,       ///< the provider is not usable (missing credential, stopping)
};

class provider_slot;
/// A held in-flight slot; releasing the last reference gives it back to its provider actor, so a
/// slot can never leak, even when its holder crashes.
using slot_ptr = std::shared_ptr<provider_slot>;

class attempt_handle;
/// A running attempt's cancel handle, as carried by `adopt_atom`.
using attempt_handle_ptr = std::shared_ptr<attempt_handle>;

}  // namespace switchyard::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::attempt_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::admission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::slot_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::attempt_handle_ptr)
