// Port: starts one attempt of a request against one upstream, relaying its bytes straight to the
// client on the I/O threads; the control plane only hears events (committed, finished, failed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/ports/response_sink.hpp"
#include "config/config.hpp"
#include "protocols/canonical.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/usage.hpp"

namespace switchyard::actors {

/// Everything the transport needs for one attempt.
struct attempt_spec {
  std::uint32_t attempt_id = 0;  ///< >= 1, unique within the request
  config::snapshot_ptr config;   ///< keeps `provider` alive
  const config::provider_config* provider = nullptr;
  protocols::api_kind kind = protocols::api_kind::chat_completions;
  protocols::dialect client_dialect = protocols::dialect::openai;    ///< the answer's dialect
  protocols::dialect upstream_dialect = protocols::dialect::openai;  ///< the provider's dialect
  std::string upstream_model;    ///< the target's model name
  /// The target (its prices give the response's `usage.cost`); lives in `config`; may be null.
  const config::target_config* target = nullptr;
  std::string path;              ///< appended to the provider's base path, e.g. "/chat/completions"
  std::string body;              ///< the encoded upstream request body
  std::vector<std::string> dropped;  ///< request fields dropped for this target (drop_unsupported)
  bool stream = false;
  bool client_wants_usage = false;  ///< OpenAI clients: relay the usage chunk
  std::string request_id;        ///< for the `x-request-id` response header and logs
  caf::actor listener;           ///< receives this attempt's `attempt_event`s
  /// The model's timeouts over the provider's (models[].timeouts); unset = the provider's.
  std::optional<config::upstream_timeouts> timeouts;
  /// Called once, on the transport's thread, just before the last bytes of a committed response
  /// go to the client, with the usage and status known then; empty = nothing to call. It must
  /// not block for long (see actors/provisional_record.hpp).
  std::function<void(const protocols::usage&, unsigned status)> before_last_bytes;
};

/// Cancels a running attempt: closes its upstream exchange and frees its connection.
class attempt_handle {
 public:
  virtual ~attempt_handle() = default;
  /// Thread-safe and idempotent. A cancelled attempt still reports one final event (failed with
  /// `attempt_failure::cancelled`, or what it had reached), so usage is never lost.
  virtual void cancel() = 0;
};

/// Starts attempts. Implementations: the runtime's pooled HTTP client and in-process mock; fakes.
class upstream_transport {
 public:
  virtual ~upstream_transport() = default;
  /// Starts `spec` now; bytes go to `sink` once this attempt wins `sink.try_commit`.
  /// Events go to `spec.listener`: at most one `committed`, then exactly one `finished` or
  /// `failed` (whose `was_committed` may report a commit no `committed` event announced: a whole
  /// answer sends only `finished`), none of them before `start` returns (the gateway relies on it to hand the running
  /// attempt to its request actor). Never blocks.
  virtual std::shared_ptr<attempt_handle> start(attempt_spec spec,
                                                std::shared_ptr<response_sink> sink) = 0;
};

}  // namespace switchyard::actors
