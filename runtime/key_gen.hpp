// New API keys and key ids from OpenSSL's CSPRNG.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::runtime {

/// What every generated key starts with.
inline constexpr std::string_view generated_key_tag = "sk-sy-";

/// A new key: `sk-sy-` followed by 40 base62 characters (about 238 random bits). nullopt when
/// the CSPRNG fails (the caller answers 500; a weak key is never made).
std::optional<std::string> generate_api_key();

/// A new public key id: `key_` followed by 16 hex digits. nullopt when the CSPRNG fails.
std::optional<std::string> generate_key_id();

/// The visible prefix of a generated key: the tag and 6 random characters, then "…".
std::string generated_key_prefix(std::string_view key);

}  // namespace switchyard::runtime
