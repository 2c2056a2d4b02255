// Port: hears about every finished request (metrics, access log). The usage writer gets the same
// record through its own actor (actors/usage_writer.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "protocols/canonical.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/usage.hpp"

namespace switchyard::actors {

/// What happened to one request, written once when it ends.
struct request_record {
  std::string request_id;
  std::string record_id;  ///< unique per record (32 lowercase hex), the idempotency key of every store
  std::string tenant;
  std::string key_prefix;
  std::string key_id;          ///< which key (a digest prefix, never the key)
  std::string model;           ///< as the client asked
  std::string provider;        ///< who served it (the committed attempt's), empty if none
  std::string upstream_model;
  protocols::api_kind kind = protocols::api_kind::chat_completions;
  protocols::dialect client = protocols::dialect::openai;  ///< the API the client spoke
  bool stream = false;
  unsigned status = 0;         ///< HTTP status the client got (200 even if a stream broke later)
  bool stream_broken = false;  ///< committed stream that ended with an error event
  bool client_gone = false;    ///< the client disconnected first
  std::uint32_t attempts = 0;
  bool hedged = false;  ///< a hedge attempt was started (see models[].hedge)
  protocols::usage usage;
  double cost_usd = 0;
  std::chrono::system_clock::time_point finished_at;  ///< wall-clock time of the end
  std::chrono::microseconds duration{0};
  std::chrono::microseconds time_to_first_byte{0};  ///< zero when nothing was committed
  /// Summed over the attempts that ended: time spent on upstream exchanges. `duration` minus
  /// this is the gateway's own overhead (routing, queueing for a slot, encoding, relaying).
  std::chrono::microseconds upstream_time{0};
  std::string error;           ///< log-safe summary of the last failure, empty on success
};

/// Receives records. Called from actor threads: must be thread-safe and must not block.
class request_observer {
 public:
  virtual ~request_observer() = default;
  /// One finished request.
  virtual void on_request_done(const request_record& record) = 0;
};

}  // namespace switchyard::actors
