// Mock-provider scenarios: latency distributions (fixed, lognormal, heavy tail) and timed phases
// that change latency, token rate or faults for a window of time, or take the listener down.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/faults.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// How long the mock waits before the first byte of an answer.
struct latency_model {
  enum class dist : std::uint8_t {
    fixed,      ///< always `ms`
    lognormal,  ///< lognormal with median `ms` and shape `sigma` (ln-space standard deviation)
  };
  dist kind = dist::fixed;
  /// fixed: the wait; lognormal: the median wait. Milliseconds.
  double ms = 0;
  /// lognormal: the standard deviation of ln(wait); 0 makes it fixed.
  double sigma = 0;
  /// Heavy tail: this share of requests (0..1) waits `tail_ms` more, on top of the draw.
  double tail_share = 0;
  /// Heavy tail: the extra wait of the slowed requests.
  std::uint32_t tail_ms = 0;

  /// True when every request waits the same (no random draw needed).
  bool constant() const noexcept;
  /// One wait in milliseconds (rounded, capped at one hour), drawn from `rng` when random.
  std::uint32_t sample(std::mt19937_64& rng) const;
  /// The model as JSON: `{"dist":"fixed","ms":50}` or with `sigma`, `tail_share`, `tail_ms`.
  std::string to_json() const;
};

/// Parses `{"dist":"fixed"|"lognormal","ms":N,"sigma":S,"tail_share":F,"tail_ms":N}`; `dist`
/// defaults to fixed. Errors name the key, prefixed by `where`.
protocols::result<latency_model, std::string> parse_latency_model(const rapidjson::Value& v,
                                                                  std::string_view where);

/// Parses the command-line form: `fixed:MS` or `lognormal:MEDIAN_MS:SIGMA`.
protocols::result<latency_model, std::string> parse_latency_spec(std::string_view spec);

/// One timed phase: from `from_s` to `to_s` seconds after the clock's origin, it overrides the
/// latency and/or token rate, tries its fault rules before the plan, or takes the server down.
struct phase {
  double from_s = 0;
  double to_s = 0;
  /// The listener and every connection are closed for the window, then it listens again on
  /// the same port. Excludes the other effects.
  bool down = false;
  std::optional<latency_model> latency;
  std::optional<double> tokens_per_second;
  /// Tried, in order, before the plan's rules while the phase is active.
  std::vector<fault_rule> faults;

  bool active_at(double t) const noexcept { return t >= from_s && t < to_s; }
};

/// Parses one phase object: `from_s`, `to_s` (required, 0 <= from < to <= 86400) and one or more
/// of `down: true`, `latency: {...}`, `tokens_per_second: R`, `faults: [rules]`, and the
/// shorthand `status: N` (every request answers N, as `faults: [{"kind":"status","status":N}]`).
protocols::result<phase, std::string> parse_phase(const rapidjson::Value& v,
                                                  std::string_view where);

/// Parses the `--phase` JSON: one phase object or an array of them.
protocols::result<std::vector<phase>, std::string> parse_phases(std::string_view json);

/// The phase as JSON (the form `parse_phase` takes; faults with their hits left).
std::string to_json(const phase& p);

/// What applies to one request, decided when it is read.
struct request_plan {
  /// Milliseconds before the first byte (before faults' extra delay).
  std::uint32_t latency_ms = 0;
  /// Stream pacing in token chunks per second (0 = unpaced).
  double tokens_per_second = 0;
};

/// The scenario clock and its phases. Thread-safe; phases are fixed at construction, the clock
/// can be restarted at run time (so a load generator's t=0 and the phases line up).
class timeline {
 public:
  using clock = std::chrono::steady_clock;

  timeline(std::uint64_t seed, latency_model base_latency, double base_tokens_per_second,
           std::vector<phase> phases);

  /// Restarts the clock: phase times count from `origin` from now on.
  void restart(clock::time_point origin = clock::now()) noexcept;
  /// Seconds since the origin at `now` (negative before it).
  double elapsed_s(clock::time_point now = clock::now()) const noexcept;
  clock::time_point origin() const noexcept;

  /// Latency and token rate for a request read at `now` (the first active phase that sets each
  /// wins, else the base values).
  request_plan plan(clock::time_point now = clock::now());

  /// The fault of the first active phase whose rules fire, if any (a header rule is tried by
  /// the caller first, and the plan's rules after).
  std::optional<fault_rule> pick_fault(bool is_stream, clock::time_point now = clock::now());

  /// True while some `down` phase is active at `now`.
  bool down_at(clock::time_point now) const noexcept;
  /// The next phase boundary (start or end of a down phase) strictly after `now`, if any.
  std::optional<clock::time_point> next_down_edge(clock::time_point now) const noexcept;

  /// True when there is at least one phase.
  bool has_phases() const noexcept { return !phases_.empty(); }
  bool has_down_phases() const noexcept;

  /// `{"elapsed_s":…,"down":…,"active":[indices],"phases":[…]}`.
  std::string to_json(clock::time_point now = clock::now()) const;

 private:
  std::uint32_t draw(const latency_model& m);

  latency_model base_latency_;
  double base_tokens_per_second_;
  std::vector<phase> phases_;
  // One fault plan per phase, so that counts and draws of each are its own.
  std::vector<std::unique_ptr<fault_plan>> phase_faults_;
  std::atomic<clock::rep> origin_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace switchyard::mock
