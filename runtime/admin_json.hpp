// Shared pieces of the admin API's answers: error bodies, the JSON of a key, query strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/json_util.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/admin_store.hpp"

namespace switchyard::runtime {

/// An error answer: `{"error":{"message","type","param"}}` (param null when empty), in the shape
/// of the gateway's other errors. `type` names the class of error, e.g. "conflict_error".
admin_response admin_error(unsigned status, std::string_view type, const std::string& message,
                           const std::string& param = {});

/// 400 `invalid_request_error` about `param`.
admin_response bad_request(const std::string& message, const std::string& param = {});

/// 503 `storage_error`: the store failed, so nothing was changed.
admin_response storage_failed(const std::string& detail);

/// A JSON answer.
admin_response json_answer(unsigned status, std::string body);

/// "active", "expired" or "revoked" at `now_ms`.
std::string_view key_status(const stored_key& k, std::int64_t now_ms);

/// The members of a key's JSON: id, tenant, name, prefix, status, created_at, expires_at,
/// revoked_at, then its own settings (allowed_models, budget, rpm, tpm, labels, policy). Never
/// its digest.
void write_key_fields(protocols::detail::json_writer& w, const stored_key& k, std::int64_t now_ms);

/// `{<write_key_fields>}` as a string (audit summaries).
std::string key_json(const stored_key& k, std::int64_t now_ms);

/// `{"data":[…]}`, the array's items written by `items(writer)`: every admin list answer.
template <class Items>
std::string data_list(Items&& items) {
  rapidjson::StringBuffer buf;
  protocols::detail::json_writer w{buf};
  w.StartObject();
  w.Key("data");
  w.StartArray();
  items(w);
  w.EndArray();
  w.EndObject();
  return protocols::detail::to_string(buf);
}

/// The query of `target` as decoded name/value pairs, in order. nullopt when a name repeats.
std::optional<std::vector<std::pair<std::string, std::string>>> query_pairs(
    std::string_view target);

}  // namespace switchyard::runtime
