// Counters the mock provider exposes on GET /_mock/stats: requests by route, streams, faults
// injected by kind, and connections. Lock-free; every thread bumps them directly.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/mock_provider/faults.hpp"

namespace switchyard::mock {

/// The routes the mock provider knows, for per-route counters.
enum class route : std::uint8_t {
  chat_completions,  ///< POST /v1/chat/completions, /chat/completions
  messages,          ///< POST /v1/messages, /messages (Anthropic)
  generate_content,  ///< POST …/models/{model}:generateContent, :streamGenerateContent (Gemini)
  embeddings,        ///< POST /v1/embeddings, /embeddings
  models,            ///< GET /v1/models, /models
  health,            ///< GET /health
  admin,             ///< /_mock/...
  other,             ///< anything else (answered 404)
};

/// Number of `route` values.
inline constexpr std::size_t route_count = 8;

/// The stats JSON key of `r` ("chat_completions", ...).
std::string_view to_string(route r) noexcept;

/// All counters. Relaxed atomics: they are statistics, not synchronisation.
class stats {
 public:
  /// A request was read and routed.
  void count_request(route r) noexcept;
  /// A stream response started (its headers are about to go out).
  void count_stream_started() noexcept { streams_.fetch_add(1, std::memory_order_relaxed); }
  /// A stream sent its last frame (`[DONE]`, `message_stop`, Gemini's finish) and last chunk.
  void count_stream_completed() noexcept {
    streams_completed_.fetch_add(1, std::memory_order_relaxed);
  }
  /// A fault of kind `k` was applied to a request.
  void count_fault(fault_kind k) noexcept;
  /// A response with this status was started (injected statuses included).
  void count_status(unsigned status) noexcept;
  /// A connection was accepted.
  void connection_opened() noexcept;
  /// A connection was closed (by either side).
  void connection_closed() noexcept { open_connections_.fetch_sub(1, std::memory_order_relaxed); }

  /// Connections open right now.
  std::int64_t open_connections() const noexcept {
    return open_connections_.load(std::memory_order_relaxed);
  }
  /// Requests with route `r` so far.
  std::uint64_t requests(route r) const noexcept;
  /// Faults of kind `k` so far.
  std::uint64_t faults(fault_kind k) const noexcept;

  /// Zeroes every counter except `open_connections` (which tracks live state).
  void reset() noexcept;

  /// `{"requests_total":…,"routes":{…},"streams":…,"streams_completed":…,"faults_total":…,
  /// "faults":{…},"responses":{"2xx":…,"4xx":…,"5xx":…},"open_connections":…,
  /// "connections_total":…}`.
  std::string to_json() const;

 private:
  std::array<std::atomic<std::uint64_t>, route_count> routes_{};
  std::array<std::atomic<std::uint64_t>, fault_kind_count> faults_{};
  // Indexed by status / 100 (index 0 unused).
  std::array<std::atomic<std::uint64_t>, 6> responses_{};
  std::atomic<std::uint64_t> streams_{0};
  std::atomic<std::uint64_t> streams_completed_{0};
  std::atomic<std::uint64_t> connections_total_{0};
  std::atomic<std::int64_t> open_connections_{0};
};

}  // namespace switchyard::mock
