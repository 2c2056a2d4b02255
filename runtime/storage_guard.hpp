// Fail closed on storage: the usage writer keeps records in a bounded spool while the store
// fails; once that spool is full, a request's record could not be kept, so (with
// `server.fail_closed_on_storage_error`, the default) requests are refused with 503 and
// /health/ready answers 503 until the store recovers and the spool drains.
#pragma once

#include <optional>
#include <string>

#include "actors/usage_writer.hpp"
#include "protocols/error.hpp"

namespace switchyard::runtime {

/// The usage store as the ingress sees it.
struct storage_state {
  bool failing = false;     ///< the last write failed
  bool spool_full = false;  ///< no room for another record
};

/// Reads `stats` (null = no usage store: never failing).
storage_state storage_state_of(const actors::usage_writer_stats* stats) noexcept;

/// The 503 for a request that must be refused because its record could not be kept, or nullopt
/// when it may be served.
std::optional<protocols::error_info> unbillable_error(const storage_state& s, bool fail_closed);

/// /health/ready: status and body. 503 while draining (`{"status":"draining"}`) or while
/// requests are refused for storage (`{"status":"storage_unavailable",…}`); otherwise 200
/// `{"status":"ready"}`, with `"storage":"failing"` added while writes fail.
struct ready_answer {
  unsigned status = 200;
  std::string body;
};
ready_answer readiness(bool draining, const storage_state& s, bool fail_closed);

}  // namespace switchyard::runtime
