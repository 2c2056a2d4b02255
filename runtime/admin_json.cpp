// Admin answers' shared JSON (see admin_json.hpp).
#include "runtime/admin_json.hpp"

#include "protocols/percent_decode.hpp"
#include "runtime/admin_spec.hpp"
#include "runtime/time_text.hpp"

namespace switchyard::runtime {

using protocols::detail::json_writer;
using protocols::detail::write_string;

admin_response admin_error(unsigned status, std::string_view type, const std::string& message,
                           const std::string& param) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  write_string(w, message);
  w.Key("type");
  write_string(w, type);
  w.Key("param");
  if (param.empty())
    w.Null();
  else
    write_string(w, param);
  w.EndObject();
  w.EndObject();
  return admin_response{status, "application/json", protocols::detail::to_string(buf), {}};
}

admin_response bad_request(const std::string& message, const std::string& param) {
  return admin_error(400, "invalid_request_error", message, param);
}

admin_response storage_failed(const std::string& detail) {
  return admin_error(503, "storage_error",
                     "The admin store failed (" + detail + "); nothing was changed. Retry later.");
}

admin_response json_answer(unsigned status, std::string body) {
  return admin_response{status, "application/json", std::move(body), {}};
}

std::string_view key_status(const stored_key& k, std::int64_t now_ms) {
  if (k.revoked_at_ms) return "revoked";
  if (k.expires_at_ms && now_ms >= *k.expires_at_ms) return "expired";
  return "active";
}

void write_key_fields(json_writer& w, const stored_key& k, std::int64_t now_ms) {
  auto time_or_null = [&w](const std::optional<std::int64_t>& t) {
    if (t)
      write_string(w, format_time_ms(*t));
    else
      w.Null();
  };
  w.Key("id");
  write_string(w, k.id);
  w.Key("tenant");
  write_string(w, k.tenant);
  w.Key("name");
  write_string(w, k.name);
  w.Key("prefix");
  write_string(w, k.prefix);
  w.Key("status");
  write_string(w, key_status(k, now_ms));
  w.Key("created_at");
  write_string(w, format_time_ms(k.created_at_ms));
  w.Key("expires_at");
  time_or_null(k.expires_at_ms);
  w.Key("revoked_at");
  time_or_null(k.revoked_at_ms);
  config::key_config settings;
  if (key_settings_from_stored(k.spec, settings)) write_key_settings(w, settings);
}

std::string key_json(const stored_key& k, std::int64_t now_ms) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  write_key_fields(w, k, now_ms);
  w.EndObject();
  return protocols::detail::to_string(buf);
}

std::optional<std::vector<std::pair<std::string, std::string>>> query_pairs(
    std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      std::string name = protocols::percent_decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos
                              ? std::string{}
                              : protocols::percent_decode(pair.substr(eq + 1));
      for (const auto& [n, v] : out)
        if (n == name) return std::nullopt;
      out.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace switchyard::runtime
