// What a response cost, and `usage.cost` in what the client receives (as OpenRouter reports it):
// the one cost formula that billing (usage records, budgets) and responses share.
#pragma once

#include <string>
#include <string_view>

#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// A target's prices in USD per million tokens.
struct token_prices {
  double input_usd_per_mtok = 0;
  double output_usd_per_mtok = 0;
  double cached_input_usd_per_mtok = 0;  ///< 0 = cached prompt tokens cost the input price
};

/// USD for `u` at `p`. Cached prompt tokens are billed at the cached price when there is one,
/// else at the input price.
double cost_usd(const token_prices& p, const usage& u) noexcept;

/// `body` (a whole JSON response: OpenAI chat or embeddings, Anthropic message) with
/// `"cost": usd` added to (or replaced in) its top-level `usage` object, other members kept in
/// order. Unchanged when it is not a JSON object or has no `usage` object.
std::string with_usage_cost(std::string body, double usd);

/// Client-bound SSE bytes (whole events, as a stream translator emits them) with `"cost": usd`
/// added to the top-level `usage` object of every event that carries one (OpenAI's final usage
/// chunk, Anthropic's `message_delta`). Events without usage pass through byte for byte.
std::string with_stream_usage_cost(std::string sse, double usd);

}  // namespace switchyard::protocols
