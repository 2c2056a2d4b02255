// Fault injection for the mock provider: one rule's JSON form and its validation, and the live
// fault plan (an ordered rule list, replaceable at run time) that picks the fault for a request.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/result.hpp"

namespace switchyard::mock {

/// What a fault does to the request it hits.
enum class fault_kind : std::uint8_t {
  status,            ///< answer `status` with the route dialect's error body (and Retry-After)
  hang,              ///< never answer; keep the connection open until the client closes it
  reset,             ///< close the connection abruptly (RST) right after reading the request
  cut,               ///< stream: N token chunks then RST; non-stream: headers + half body then RST
  slow_first_token,  ///< add `ms` before the first byte (meant for time-to-first-token tests)
  delay,             ///< add `ms` before the first byte
};

/// Number of `fault_kind` values (for per-kind counters).
inline constexpr std::size_t fault_kind_count = 6;

/// The rule JSON spelling of `k` ("status", "hang", ...).
std::string_view to_string(fault_kind k) noexcept;

/// Parses a rule JSON spelling; nullopt when unknown.
std::optional<fault_kind> parse_fault_kind(std::string_view s) noexcept;

/// One rule of a fault plan, as validated from its JSON form.
struct fault_rule {
  fault_kind kind = fault_kind::status;
  /// HTTP status for `status` (400..599).
  unsigned status = 500;
  /// `Retry-After` seconds for `status`, when given.
  std::optional<std::uint32_t> retry_after_s;
  /// Chance that a matching request gets this fault (0..1).
  double probability = 1.0;
  /// How many more requests this rule may hit; nullopt = unlimited. Counts down as it fires.
  std::optional<std::uint64_t> count;
  /// For `cut` on a stream: token chunks sent before the reset; nullopt = half the reply.
  std::optional<std::uint32_t> after_tokens;
  /// Milliseconds added by `delay` and `slow_first_token`.
  std::uint32_t ms = 0;
  /// Only streaming (true) or only non-streaming (false) requests; nullopt = both.
  std::optional<bool> stream;

  /// True when the rule applies to a request of this streaming mode and has hits left.
  bool matches(bool is_stream) const noexcept;
};

/// Validates one rule object. Errors name the key at fault, prefixed by `where` (e.g. "rules[2]").
protocols::result<fault_rule, std::string> parse_fault_rule(const rapidjson::Value& v,
                                                            std::string_view where = "rule");

/// Parses and validates one rule from its JSON text (the `--fault` and `x-mock-fault` form).
protocols::result<fault_rule, std::string> parse_fault_rule(std::string_view json);

/// Parses a whole plan: a JSON array of rules, an object `{"rules": [...]}`, or one rule object.
protocols::result<std::vector<fault_rule>, std::string> parse_fault_plan(std::string_view json);

/// The rule as compact JSON (the same form `parse_fault_rule` takes; `count` is what is left).
std::string to_json(const fault_rule& r);

/// The live fault plan. Thread-safe; rules are tried in order and the first that matches and
/// fires applies. Randomness comes from one generator seeded at construction, so a given seed
/// and request order always give the same faults.
class fault_plan {
 public:
  explicit fault_plan(std::uint64_t seed, std::vector<fault_rule> rules = {});

  /// Replaces every rule (counts start afresh from the new rules).
  void replace(std::vector<fault_rule> rules);

  /// Removes every rule.
  void clear() { replace({}); }

  /// The fault for one request: `request_rule` (from the `x-mock-fault` header) is tried
  /// first, then the plan's rules. Firing a rule with a `count` uses one of its hits.
  std::optional<fault_rule> pick(bool is_stream, const fault_rule* request_rule = nullptr);

  /// True when a one-off rule (not in the plan, e.g. from a header) matches and fires, drawing
  /// from the plan's generator.
  bool fires_once(bool is_stream, const fault_rule& r);

  /// The plan as `{"rules":[...]}` with the hits left.
  std::string to_json() const;

  /// Number of rules (exhausted ones included).
  std::size_t size() const;

 private:
  // Decides whether a matching rule fires, drawing from rng_ when 0 < probability < 1.
  bool fires(const fault_rule& r);

  mutable std::mutex mu_;
  std::vector<fault_rule> rules_;
  std::mt19937_64 rng_;
  // Lets pick() skip the lock when there is nothing to evaluate (the benchmark path).
  std::atomic<bool> empty_{true};
};

}  // namespace switchyard::mock
