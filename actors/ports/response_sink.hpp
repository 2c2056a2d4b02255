// Port: the client side of one request, as the control plane sees it. The runtime's ingress
// session implements it; actor tests use a fake.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

#include "protocols/error.hpp"

namespace switchyard::actors {

/// One client response. The commit protocol lives here so that hedged attempts race on an atomic,
/// not on a mailbox: the first `try_commit` wins, every later one loses.
class response_sink {
 public:
  virtual ~response_sink() = default;

  /// The id passed to `try_commit` by `send_error`.
  static constexpr std::uint32_t error_attempt = 0;

  /// Claims the response for `attempt_id` (>= 1). True for the first claim only. Thread-safe.
  virtual bool try_commit(std::uint32_t attempt_id) = 0;

  /// Answers the client with `error` unless the response is already claimed (then a no-op).
  /// Thread-safe; the write itself happens on the session's own thread.
  virtual void send_error(const protocols::error_info& error) = 0;

  /// Names the actor that receives `client_gone_atom` when the client disconnects before the
  /// response is complete. Thread-safe; sends at once if the client is already gone.
  virtual void set_listener(const caf::actor& listener) = 0;

  /// Headers every response to this request carries, whoever answers it (the rate-limit
  /// `x-ratelimit-*` figures). Called at most once, before anything can answer the request.
  virtual void set_response_headers(std::vector<std::pair<std::string, std::string>> headers) {
    (void)headers;
  }
};

}  // namespace switchyard::actors
