// The validated, immutable configuration snapshot that every layer above reads. Built once by the
// loader (config/loader.hpp); shared as `std::shared_ptr<const snapshot>`; never mutated.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cluster_config.hpp"
#include "protocols/canonical.hpp"

namespace switchyard::config {

using milliseconds = std::chrono::milliseconds;

/// `server:` — the ingress listener, its limits and the process's threads.
/// Where the JSON access log goes (`server.access_log`).
enum class access_log_target : std::uint8_t { off, stderr_stream, stdout_stream, file };

/// `server.log_level`: the least severe line written to stderr.
enum class log_level : std::uint8_t { debug, info, warning, error };

/// Access log and log level of the process.
struct observability_config {
  access_log_target access_log = access_log_target::off;
  std::string access_log_path;  ///< when `access_log` is `file`
  config::log_level log_level = config::log_level::info;
};

struct server_config {
  std::string listen_host = "127.0.0.1";  ///< from `listen: host:port`
  std::uint16_t listen_port = 8080;       ///< 0 picks a free port (printed at start)
  std::size_t max_header_bytes = 16 * 1024;        ///< `max_header_bytes`; 431/413 past it
  std::size_t max_body_bytes = 8 * 1024 * 1024;    ///< `max_body_bytes`; 413 past it
  milliseconds read_timeout{30'000};   ///< `read_timeout_ms`: whole request must arrive within it
  milliseconds idle_timeout{75'000};   ///< `idle_timeout_ms`: keep-alive connection idle limit
  milliseconds write_timeout{30'000};  ///< `write_timeout_ms`: a client must drain each write
  milliseconds drain_timeout{30'000};  ///< `drain_timeout_ms`: SIGTERM grace for in-flight work
  std::uint32_t max_connections = 20'000;  ///< `max_connections`: accept pauses above it
  unsigned io_threads = 0;     ///< `io_threads`: 0 = one per core
  unsigned actor_threads = 0;  ///< `actor_threads`: 0 = one per core
  std::string admin_key_hash;  ///< `admin_key` (hashed like tenant keys); empty = admin off
  /// `usage_spool_records`: usage records kept in memory while the store fails.
  std::size_t usage_spool_records = 1'000'000;
  /// `fail_closed_on_storage_error`: with the spool full, refuse requests (503) rather than
  /// serve requests whose usage record would be lost.
  bool fail_closed_on_storage_error = true;
  /// `spool_dir`: the usage journal's directory (write-ahead log of usage records, replayed at
  /// start); each node needs its own. Relative paths are from the working directory. Unset:
  /// `spool` next to a `sqlite://` file (var/spool with the default storage), else var/spool.
  std::string spool_dir = "var/spool";
  /// `spool_fsync`: fdatasync the journal after every record (survives power loss; costly).
  bool spool_fsync = false;
  bool metrics = true;  ///< `metrics`: false = no /metrics route and no per-request counting
  observability_config observability;  ///< `access_log`, `log_level`
};

/// `providers[].type`
enum class provider_type : std::uint8_t {
  mock,               ///< in-process simulated provider; answers offline
  openai,             ///< api.openai.com or an Azure-like OpenAI endpoint
  openai_compatible,  ///< vLLM, Ollama, llama.cpp server, Together, Groq…
  anthropic,          ///< Anthropic Messages API
  gemini,             ///< Google Gemini generateContent
};

/// The YAML spelling of `t` ("mock", "openai", "openai-compatible", "anthropic", "gemini").
std::string_view to_string(provider_type t) noexcept;

/// The API dialect a provider of type `t` speaks (the in-process mock speaks OpenAI's).
protocols::dialect dialect_of(provider_type t) noexcept;

/// The header that carries a provider's `api_key`, lowercase: "authorization" (sent as
/// `Bearer <key>`), "x-api-key" (Anthropic) or "x-goog-api-key" (Gemini).
std::string_view api_key_header(provider_type t) noexcept;

/// Upstream timeouts of one provider (each 0 = no limit).
struct upstream_timeouts {
  milliseconds connect{5'000};        ///< `connect_timeout_ms`: TCP + TLS handshake
  milliseconds first_byte{60'000};    ///< `first_byte_timeout_ms`: request write starts → response header
  milliseconds idle{30'000};          ///< `idle_timeout_ms`: between two stream chunks
  milliseconds total{600'000};        ///< `total_timeout_ms`: whole exchange
  bool operator==(const upstream_timeouts&) const = default;  ///< a reload compares them
};

/// `providers[].circuit` — outlier ejection (as Envoy's): enough failures eject the provider for
/// `base_ejection × ejections` (capped at `max_ejection`), then `half_open_probes` requests probe
/// it; a probe's success closes the circuit, its failure ejects again.
struct circuit_config {
  std::uint32_t consecutive_failures = 5;  ///< `consecutive_failures`; 0 = this rule is off
  double error_rate = 0.5;  ///< `error_rate`: failed share in `window`; 0 = this rule is off
  std::uint32_t min_requests = 20;     ///< `min_requests`: in `window` before `error_rate` applies
  milliseconds window{10'000};         ///< `window_ms`
  milliseconds base_ejection{1'000};   ///< `base_ejection_ms`
  milliseconds max_ejection{4'000};    ///< `max_ejection_ms`
  std::uint32_t half_open_probes = 1;  ///< `half_open_probes`: concurrent probes when half-open
  bool operator==(const circuit_config&) const = default;  ///< a reload compares them
};

/// `providers[].retry_budget` — re-attempts caused by this provider's failures, at most `percent`
/// of its attempts in the last `window`, and always at least `min_retries` per window.
struct retry_budget_config {
  double percent = 20;            ///< `percent`
  std::uint32_t min_retries = 3;  ///< `min_retries`
  milliseconds window{10'000};    ///< `window_ms`
  bool operator==(const retry_budget_config&) const = default;  ///< a reload compares them
};

/// `providers[].hedge_budget` — gRPC-style throttling of hedges sent to this provider: each hedge
/// costs one token, each success refills `token_ratio`, up to `max_tokens`.
struct hedge_budget_config {
  double max_tokens = 10;    ///< `max_tokens`
  double token_ratio = 0.1;  ///< `token_ratio`
  bool operator==(const hedge_budget_config&) const = default;  ///< a reload compares them
};

/// `providers[].mock` — how the in-process mock behaves (for demos and tests).
struct mock_settings {
  milliseconds latency{0};           ///< `latency_ms`: before the first byte
  double tokens_per_second = 0;      ///< `tokens_per_second`: stream pacing; 0 = as fast as possible
  std::uint32_t reply_tokens = 0;    ///< `reply_tokens`: 0 = a short fixed demo reply
  bool operator==(const mock_settings&) const = default;  ///< a reload compares them
};

/// A parsed `base_url`.
struct url {
  bool tls = false;          ///< https
  std::string host;          ///< host name or address, no brackets
  std::uint16_t port = 0;    ///< explicit or the scheme's default
  std::string base_path;     ///< path prefix without trailing slash, e.g. "/v1"
  bool operator==(const url&) const = default;  ///< a reload compares them
};

/// One configured upstream endpoint.
struct provider_config {
  std::string name;
  provider_type type = provider_type::mock;
  std::string base_url;              ///< as written (after substitution)
  url endpoint;                      ///< parsed `base_url` (unset for mock)
  std::string api_key;               ///< secret: never logged, never in an error body
  bool enabled = true;               ///< false when a referenced credential is unset
  std::string disabled_reason;       ///< why `enabled` is false (names the variable, not a value)
  std::uint32_t max_in_flight = 64;  ///< `max_in_flight`: concurrent upstream exchanges
  std::uint32_t max_queue = 64;      ///< `max_queue`: attempts that may wait for a slot; absent = max_in_flight, 0 = no queue
  milliseconds queue_timeout{2'000}; ///< `queue_timeout_ms`: longest wait for a slot
  std::uint32_t max_idle_connections = 64;  ///< `max_idle_connections` kept in the pool
  upstream_timeouts timeouts;        ///< `*_timeout_ms`
  std::map<std::string, std::string> headers;  ///< `headers:` extra request headers
  std::string anthropic_version = "2023-06-01";  ///< `anthropic_version` (type anthropic only)
  mock_settings mock;                ///< `mock:` (type mock only)
  circuit_config circuit;            ///< `circuit:`
  retry_budget_config retry_budget;  ///< `retry_budget:`
  hedge_budget_config hedge_budget;  ///< `hedge_budget:`
  milliseconds max_cooldown{30'000};  ///< `max_cooldown_ms`: longest upstream Retry-After honoured
  // Data-handling attributes, matched against tenant and key `data_policy` (see router).
  bool retains_prompts = false;      ///< `retains_prompts`: the provider keeps prompts
  bool trains_on_data = false;       ///< `trains_on_data`: the provider may train on them
  bool zdr = false;                  ///< `zdr`: zero data retention agreed
  std::string region;                ///< `region`, e.g. "eu", "us"; empty = unknown
  int line = 0;                      ///< where it was defined, for messages
  /// Every field, `line` included (a reload compares providers with `line` cleared).
  bool operator==(const provider_config&) const = default;
};

/// `models[].strategy`: how a model's targets are ordered for each request (see
/// actors/strategy.hpp).
enum class routing_strategy : std::uint8_t {
  ordered,     ///< as configured
  weighted,    ///< random, in proportion to each target's `weight`
  cost,        ///< cheapest first for the request's estimated tokens
  latency,     ///< fastest first (EWMA of time to first token), with a little exploration
  least_busy,  ///< fewest in flight relative to the provider's limit
};

/// The YAML spelling of `s` ("ordered", "weighted", "cost", "latency", "least-busy").
std::string_view to_string(routing_strategy s) noexcept;

/// One way a gateway model can be served.
struct target_config {
  std::string provider;                ///< a `providers[].name`
  std::size_t provider_index = 0;      ///< index into `snapshot::providers`
  std::string model;                   ///< the upstream's model name
  double input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
  double cached_input_usd_per_mtok = 0;
  double weight = 1;  ///< `weight`: share of requests under the `weighted` strategy (> 0)
};

/// `models[].hedge` — race a second attempt on another target when the first has not answered
/// after `after` (a fixed delay, or the first target's p95 time to first byte).
struct hedge_config {
  bool after_p95 = false;  ///< `after: p95`
  milliseconds after{0};   ///< `after: <ms>` (when not p95)
  std::uint32_t max = 1;   ///< `max`: hedges per request
};

/// `models[].timeouts` — per-model overrides of its providers' upstream timeouts (unset = the
/// provider's).
struct model_timeouts {
  std::optional<milliseconds> connect;     ///< `connect_ms`
  std::optional<milliseconds> first_byte;  ///< `first_token_ms`
  std::optional<milliseconds> idle;        ///< `idle_ms`
  std::optional<milliseconds> total;       ///< `total_ms`
};

/// `models[].retry_backoff` — the delay before a target is tried again by the same request: full
/// jitter over `base × 2^(n-1)`, at most `max`.
struct backoff_config {
  milliseconds base{25};    ///< `base_ms`
  milliseconds max{1'000};  ///< `max_ms`
};

/// A model name clients ask for, and the targets that serve it, in order of preference.
struct model_config {
  std::string name;
  std::vector<target_config> targets;
  std::uint32_t max_attempts = 3;  ///< `max_attempts`: attempts per request across targets
  /// `drop_unsupported`: a request field a target's dialect cannot honour is dropped (and named
  /// in the `x-switchyard-dropped-fields` response header) instead of answering 400.
  bool drop_unsupported = false;
  routing_strategy strategy = routing_strategy::ordered;  ///< `strategy`
  std::optional<hedge_config> hedge;  ///< `hedge:`; unset = no hedging
  model_timeouts timeouts;            ///< `timeouts:`
  backoff_config retry_backoff;       ///< `retry_backoff:`
};

/// How often a budget starts again. Periods reset at UTC boundaries (day, ISO week from Monday,
/// calendar month); `total` never resets.
enum class budget_period : std::uint8_t { daily, weekly, monthly, total };

/// `budget:` — a hard spending cap in USD over a period.
struct budget_config {
  double usd = 0;                                 ///< the cap
  budget_period period = budget_period::monthly;  ///< when it resets
  double soft_threshold = 0.8;  ///< fraction of `usd` reported as "near the cap" (metrics, /v1/key)
};

/// Spending and rate limits of a tenant or of one key (each unset or 0 = no limit).
struct limits_config {
  std::optional<budget_config> budget;
  std::uint32_t rpm = 0;  ///< requests per minute
  std::uint32_t tpm = 0;  ///< tokens per minute (input + output)
};

/// Where a tenant's or a key's requests may be sent (checked against `provider_config` attributes).
struct data_policy {
  bool deny_training = false;        ///< only providers with `trains_on_data: false`
  bool deny_retention = false;       ///< only providers with `retains_prompts: false`
  bool require_zdr = false;          ///< only providers with `zdr: true`
  std::vector<std::string> regions;  ///< empty = any region; else a provider's `region` must be one
};

/// One API key of a tenant. The key itself is never kept: only its digest and a visible prefix.
struct key_config {
  std::string hash;    ///< lowercase hex SHA-256 of the key
  std::string prefix;  ///< a short visible prefix ("sk-dev-…")
  std::string name;    ///< optional label, for people
  limits_config limits;                     ///< on top of the tenant's
  std::vector<std::string> allowed_models;  ///< empty = the tenant's
  data_policy policy;                       ///< on top of the tenant's
  std::map<std::string, std::string> labels;
  std::optional<std::chrono::system_clock::time_point> expires_at;  ///< unset = never
};

/// A tenant and the keys that act for it.
struct tenant_config {
  std::string name;
  std::vector<key_config> keys;
  std::vector<std::string> allowed_models;  ///< `allowed_models`; empty = every model
  limits_config limits;
  data_policy policy;
  std::map<std::string, std::string> labels;
};

/// The whole configuration.
struct snapshot {
  std::string source;        ///< the file it came from
  server_config server;
  std::string storage = "sqlite://var/switchyard.db";
  std::string counters = "memory";
  cluster_config cluster;  ///< `cluster:`; used with `counters: redis://…`
  std::vector<provider_config> providers;
  std::vector<model_config> models;
  std::vector<tenant_config> tenants;
  std::vector<std::string> warnings;  ///< e.g. "provider 'openai' disabled: OPENAI_API_KEY is unset"

  /// The provider with `name`, or nullptr.
  const provider_config* find_provider(const std::string& name) const;
  /// The model with `name`, or nullptr.
  const model_config* find_model(const std::string& name) const;
  /// The tenant with `name`, or nullptr.
  const tenant_config* find_tenant(const std::string& name) const;
};

using snapshot_ptr = std::shared_ptr<const snapshot>;

}  // namespace switchyard::config
