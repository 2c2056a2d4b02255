// The settings of a tenant as the admin API reads and writes them (JSON), validated field by
// field: every error names the field at fault. The same JSON is what the store keeps, so a stored
// tenant reads back through the same checks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "config/config.hpp"
#include "protocols/json_util.hpp"

namespace switchyard::runtime {

/// A rejected admin body: the field (dotted path, e.g. "budget.usd") and what is wrong.
struct spec_error {
  std::string field;
  std::string message;
};

/// Limits on what an admin may set, so that a typo cannot create an absurd tenant.
inline constexpr double max_budget_usd = 1e9;
inline constexpr std::uint32_t max_rate_limit = 1'000'000'000;
inline constexpr std::size_t max_list_items = 256;
inline constexpr std::size_t max_text_bytes = 256;

/// True for 1–64 characters of [A-Za-z0-9._-] starting with a letter or digit: a tenant name,
/// safe in a URL path, a log line and a CSV cell.
bool valid_tenant_name(std::string_view name) noexcept;

/// Why a model name may not be listed, or nullopt when it may (nullptr = any name is accepted).
using model_check = std::function<std::optional<std::string>(const std::string&)>;

/// Applies the settings in JSON object `body` onto `t`: `allowed_models`, `budget` (object or
/// null), `rpm`, `tpm`, `labels`, `policy`. Fields absent from `body` keep their value (PATCH
/// semantics); `name` is skipped here (the caller owns it). Any other field is an error.
std::optional<spec_error> apply_tenant_settings(const rapidjson::Value& body,
                                                config::tenant_config& t,
                                                const model_check& known_model = nullptr);

/// `t`'s settings as members of the JSON object the caller has started (the fields
/// `apply_tenant_settings` reads), without its name or keys.
void write_tenant_settings(protocols::detail::json_writer& w, const config::tenant_config& t);

/// The same settings for one key (`allowed_models` then narrows its tenant's, checked by
/// `allowed_model`), besides `name` and `expires_at`, which the caller reads.
std::optional<spec_error> apply_key_settings(const rapidjson::Value& body, config::key_config& k,
                                             const model_check& allowed_model = nullptr);

/// `write_tenant_settings` for a key.
void write_key_settings(protocols::detail::json_writer& w, const config::key_config& k);

/// A key's settings as a whole JSON object (what the store keeps).
std::string key_settings_json(const config::key_config& k);

/// Applies stored key settings onto `k`; false if they are corrupt.
bool key_settings_from_stored(const std::string& settings, config::key_config& k);

/// `write_tenant_settings` as a whole JSON object (what the store keeps).
std::string tenant_settings_json(const config::tenant_config& t);

/// Parses a stored settings string back onto a tenant named `name`; nullopt if it is corrupt.
std::optional<config::tenant_config> tenant_from_stored(const std::string& name,
                                                        const std::string& settings);

}  // namespace switchyard::runtime
