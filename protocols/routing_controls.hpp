// OpenRouter-compatible routing controls a client may put in a chat or embeddings request:
// `models` (fallback models), `provider` (order, only, ignore, allow_fallbacks, sort, max_price,
// data_collection, zdr) and `route`. The gateway consumes them; they never travel upstream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/error.hpp"

namespace switchyard::protocols {

/// `provider.sort`: what to order a model's targets by, overriding the model's strategy.
enum class provider_sort : std::uint8_t { none, price, latency, throughput };

/// The decoded controls. Defaults mean "no preference".
struct routing_controls {
  /// `models`: further gateway models tried in order after the requested one (the requested
  /// one and repeats are removed).
  std::vector<std::string> fallback_models;
  std::vector<std::string> order;   ///< `provider.order`: provider names tried first, in order
  std::vector<std::string> only;    ///< `provider.only`: only these providers (empty = any)
  std::vector<std::string> ignore;  ///< `provider.ignore`: never these providers
  bool allow_fallbacks = true;      ///< `provider.allow_fallbacks`
  provider_sort sort = provider_sort::none;
  std::optional<double> max_prompt_price;      ///< `provider.max_price.prompt`, USD per Mtok
  std::optional<double> max_completion_price;  ///< `provider.max_price.completion`, USD per Mtok
  bool deny_data_collection = false;           ///< `provider.data_collection: "deny"`
  bool require_zdr = false;                    ///< `provider.zdr: true`
};

/// Most entries `models`, `order`, `only` and `ignore` may hold: a real request names a handful.
inline constexpr std::size_t max_control_list = 32;

/// True for the top-level request members that carry routing controls ("models", "provider",
/// "route"): the encoders never forward them.
bool is_routing_control_member(std::string_view name) noexcept;

/// Reads the controls from the request object `root` into `out`. A 400 naming the member at
/// fault (e.g. `provider.sort`) for a wrong type, an unknown key in `provider` or `max_price`,
/// an unknown `sort`, `data_collection` or `route` value, a negative or non-finite price, an
/// empty or overlong name, or a list longer than `max_control_list`. Absent or null members
/// keep their defaults.
std::optional<error_info> decode_routing_controls(const rapidjson::Value& root,
                                                  routing_controls& out);

/// The model name without an OpenRouter variant suffix, and the sort it asks for: `m:floor`
/// → {"m", price}, `m:nitro` → {"m", throughput}; any other name → {name, none}.
std::pair<std::string_view, provider_sort> split_model_variant(std::string_view model) noexcept;

}  // namespace switchyard::protocols
