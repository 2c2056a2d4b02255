// The mock provider's command line: every knob, its default and its validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/mock_provider/faults.hpp"
#include "bench/mock_provider/timeline.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// Everything the mock provider is configured with at start.
struct options {
  /// Address to bind: an IPv4 or IPv6 literal (IPv6 given as `[::1]:port` on the command line).
  std::string listen_host;
  /// Port to bind; 0 picks a free one.
  std::uint16_t listen_port = 0;
  /// Threads running the one io_context.
  unsigned threads = 1;
  /// Milliseconds before the first byte of every answer on the model routes (when `latency`
  /// is unset).
  std::uint32_t latency_ms = 0;
  /// The latency distribution of the model routes (`--latency`, `--tail`); unset = a fixed
  /// `latency_ms`.
  std::optional<latency_model> latency;
  /// Timed phases (`--phase`), counted from the scenario clock (start, or POST /_mock/clock).
  std::vector<phase> phases;
  /// Most model-route requests answered at once; more wait in arrival order (0 = no limit).
  std::uint32_t max_concurrency = 0;
  /// Extra milliseconds before the first byte of a stream (time to first token).
  std::uint32_t ttft_ms = 0;
  /// Token chunks per second in a stream; 0 sends them all at once.
  double tokens_per_second = 0;
  /// Tokens of every reply, before the request's `max_tokens` cap.
  std::uint32_t reply_tokens = 16;
  /// Floats per embedding when the request gives no `dimensions`.
  std::uint32_t embedding_dimensions = 64;
  /// Model ids listed by GET /v1/models (any model is accepted on the other routes).
  std::vector<std::string> models = {"mock-model"};
  /// The fault plan at start, in order.
  std::vector<fault_rule> faults;
  /// When set, the model routes want it in their dialect's header: `Authorization: Bearer <key>`
  /// (OpenAI routes, /v1/models), `x-api-key` plus `anthropic-version` (/v1/messages),
  /// `x-goog-api-key` or `?key=` (Gemini).
  std::optional<std::string> api_key;
  /// Seed of the fault plan's random draws (and of embeddings).
  std::uint64_t seed = 1;
  /// Largest request body; bigger bodies get 413.
  std::size_t max_body_bytes = 8u << 20;
  /// Largest request header block; bigger headers get 431.
  std::size_t max_header_bytes = 16u << 10;
  /// A connection idle (or a read or write stalled) this long is closed.
  std::uint32_t idle_timeout_ms = 60'000;
  /// Log one line per request to stderr.
  bool verbose = false;
  /// Model-route requests (chat, messages, Gemini, embeddings) kept verbatim for
  /// GET /_mock/requests (0 = none).
  std::uint32_t record_requests = 16;
  /// `--help` was given: print `usage_text()` and exit 0.
  bool help = false;
};

/// Parses the arguments after the program name. `--name value` and `--name=value` both work.
/// Errors say which option is wrong and why.
protocols::result<options, std::string> parse_options(const std::vector<std::string_view>& args);

/// Convenience for main(): parses `argv[1..argc)`.
protocols::result<options, std::string> parse_options(int argc, const char* const* argv);

/// The `--help` text.
std::string usage_text();

/// The latency model the options describe: `latency`, or a fixed `latency_ms`.
latency_model effective_latency(const options& o);

/// `host:port`, with brackets around an IPv6 host.
std::string format_endpoint(std::string_view host, std::uint16_t port);

}  // namespace switchyard::mock
