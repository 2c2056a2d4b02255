// The payload of a provider-ejection broadcast on the `switchyard:ejections` channel:
// "v1 <node id> <provider> <duration ms>". Node ids and provider names are identifiers (no
// spaces), so the text needs no escaping; anything else is refused on receipt.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::runtime {

/// The Redis channel every node publishes its ejections on and subscribes to.
inline constexpr std::string_view ejection_channel = "switchyard:ejections";

/// The longest ejection a broadcast may ask for; longer ones are refused as malformed.
inline constexpr std::chrono::milliseconds max_broadcast_ejection{3'600'000};

struct ejection_message {
  std::string node_id;
  std::string provider;
  std::chrono::milliseconds duration{0};
};

std::string format_ejection(const ejection_message& m);

/// Nullopt for anything but a well-formed v1 message with 1..64-character names and a duration
/// of 1 ms to `max_broadcast_ejection`.
std::optional<ejection_message> parse_ejection(std::string_view payload);

/// "<hostname>-<pid>", with any character outside letters, digits, '.', '_' and '-' replaced by
/// '-' and cut to 64 characters: the default `cluster.node_id`.
std::string default_node_id();

}  // namespace switchyard::runtime
