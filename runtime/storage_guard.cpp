// Storage health for the ingress (see storage_guard.hpp).
#include "runtime/storage_guard.hpp"

#include "runtime/routes.hpp"

namespace switchyard::runtime {

storage_state storage_state_of(const actors::usage_writer_stats* stats) noexcept {
  if (stats == nullptr) return {};
  const auto pending = stats->pending.load(std::memory_order_relaxed);
  const auto limit = stats->spool_limit.load(std::memory_order_relaxed);
  return {stats->failing.load(std::memory_order_relaxed),
          limit != 0 && pending >= 0 && static_cast<std::uint64_t>(pending) >= limit};
}

std::optional<protocols::error_info> unbillable_error(const storage_state& s, bool fail_closed) {
  if (!fail_closed || !s.spool_full) return std::nullopt;
  auto e = protocols::make_error(
      protocols::gateway_error::overloaded,
      "The gateway cannot store usage records right now (its storage is failing and the record "
      "spool is full), so it does not serve requests it could not bill. Retry later.");
  e.retry_after_s = 5;
  return e;
}

ready_answer readiness(bool draining, const storage_state& s, bool fail_closed) {
  if (draining) return {503, std::string{health_ready_body(true)}};
  if (fail_closed && s.spool_full)
    return {503, R"({"status":"storage_unavailable","storage":"failing","spool":"full"})"};
  if (s.failing) return {200, R"({"status":"ready","storage":"failing"})"};
  return {200, std::string{health_ready_body(false)}};
}

}  // namespace switchyard::runtime
