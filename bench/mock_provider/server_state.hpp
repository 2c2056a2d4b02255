// What every connection of the mock provider shares: the options, the live fault plan and the
// counters. Options are immutable after start; the plan and counters are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "bench/mock_provider/faults.hpp"
#include "bench/mock_provider/options.hpp"
#include "bench/mock_provider/request_log.hpp"
#include "bench/mock_provider/stats.hpp"

namespace switchyard::mock {

/// Shared by the server and all its sessions (held by shared_ptr so that a session outliving
/// the server during shutdown still finds it).
struct server_state {
  explicit server_state(options o)
      : opts(std::move(o)),
        faults(opts.seed, opts.faults),
        requests(opts.record_requests),
        expected_authorization(opts.api_key ? "Bearer " + *opts.api_key : std::string{}) {}

  const options opts;
  fault_plan faults;
  request_log requests;
  stats counters;
  /// "Bearer <api_key>", precomputed; empty when no key is required.
  const std::string expected_authorization;
  /// Source of response ids.
  std::atomic<std::uint64_t> next_id{1};
};

}  // namespace switchyard::mock
