// Admin routes, tenants and keys (see admin_api.hpp); usage and audit are in admin_reports.cpp.
#include "runtime/admin_api.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <chrono>

#include "config/key_hash.hpp"
#include "runtime/admin_json.hpp"
#include "runtime/admin_spec.hpp"
#include "runtime/key_gen.hpp"
#include "runtime/process.hpp"
#include "runtime/routes.hpp"
#include "runtime/time_text.hpp"

namespace switchyard::runtime {

namespace {

using protocols::detail::json_writer;
using protocols::detail::write_string;

// Longest grace period of a rotation: long enough to roll a fleet, short enough to matter.
constexpr std::int64_t max_grace_seconds = 30LL * 24 * 3600;

std::vector<std::string> path_segments(std::string_view target) {
  std::vector<std::string> out;
  auto path = target_path(target);
  constexpr std::string_view root = "/admin";
  path.remove_prefix(std::min(path.size(), root.size()));
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

admin_response not_found(const std::string& what, const std::string& param = {}) {
  return admin_error(404, "not_found_error", what, param);
}

admin_response conflict(const std::string& what, const std::string& param = {}) {
  return admin_error(409, "conflict_error", what, param);
}

// Accepts the models `file` configures.
model_check configured_model(const config::snapshot_ptr& file) {
  return [file](const std::string& m) -> std::optional<std::string> {
    if (file->find_model(m) != nullptr) return std::nullopt;
    return "unknown model \"" + m + "\"; configured models are listed by GET /v1/models";
  };
}

admin_response file_tenant_conflict(const std::string& name, const std::string& file) {
  return conflict("Tenant \"" + name + "\" comes from the config file (" + file +
                      "), which the admin API does not change; edit the file and reload (SIGHUP).",
                  "name");
}

admin_response method_not_allowed(const admin_request& req, std::string allow) {
  auto r = admin_error(405, "method_not_allowed",
                       "Method " + req.method + " is not allowed on " +
                           std::string{target_path(req.target)} + "; use " + allow + ".");
  r.allow = std::move(allow);
  return r;
}

admin_response internal_error(const std::string& what) {
  return admin_error(500, "internal_error", what);
}

admin_response from_spec_error(const spec_error& e) {
  return bad_request(e.field.empty() ? e.message : e.field + ": " + e.message, e.field);
}

// Parses `body` as a JSON object into `doc`; an empty body is `{}` when `optional`.
std::optional<admin_response> parse_body(const std::string& body, rapidjson::Document& doc,
                                         bool optional) {
  if (body.size() > max_admin_body_bytes)
    return admin_error(
        413, "invalid_request_error",
        "The body is larger than " + std::to_string(max_admin_body_bytes) + " bytes.");
  if (body.empty() && optional) {
    doc.SetObject();
    return std::nullopt;
  }
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return bad_request("The body is not valid JSON: " +
                       std::string{rapidjson::GetParseError_En(doc.GetParseError())} +
                       " (at byte " + std::to_string(doc.GetErrorOffset()) + ").");
  if (!doc.IsObject()) return bad_request("The body must be a JSON object.");
  return std::nullopt;
}

std::optional<admin_response> reject_unknown(const rapidjson::Value& body,
                                             std::initializer_list<std::string_view> known) {
  for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
    std::string_view name{it->name.GetString(), it->name.GetStringLength()};
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string{k};
      return bad_request(
          "Unknown field \"" + std::string{name} + "\"; expected one of: " + list + ".",
          std::string{name});
    }
  }
  return std::nullopt;
}

std::string tenant_json(const config::tenant_config& t, std::string_view source,
                        std::size_t active_keys, const stored_tenant* stored) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("name");
  write_string(w, t.name);
  w.Key("source");
  write_string(w, source);
  write_tenant_settings(w, t);
  w.Key("active_keys");
  w.Uint64(active_keys);
  if (stored != nullptr) {
    w.Key("created_at");
    write_string(w, format_time_ms(stored->created_at_ms));
    w.Key("updated_at");
    write_string(w, format_time_ms(stored->updated_at_ms));
  }
  w.EndObject();
  return protocols::detail::to_string(buf);
}

std::size_t active_keys_of(const std::string& tenant, const std::vector<stored_key>& keys,
                           std::int64_t now_ms) {
  return static_cast<std::size_t>(std::count_if(keys.begin(), keys.end(), [&](const stored_key& k) {
    return k.tenant == tenant && key_status(k, now_ms) == "active";
  }));
}

// An optional `expires_at` member: RFC 3339, in the future.
std::optional<admin_response> read_expiry(const rapidjson::Value& body, std::int64_t now_ms,
                                          std::optional<std::int64_t>& out) {
  auto m = body.FindMember("expires_at");
  if (m == body.MemberEnd() || m->value.IsNull()) return std::nullopt;
  if (!m->value.IsString())
    return bad_request("expires_at must be an RFC 3339 time such as 2027-01-31T00:00:00Z, or null.",
                       "expires_at");
  auto at = parse_time_ms({m->value.GetString(), m->value.GetStringLength()});
  if (!at)
    return bad_request("expires_at must be an RFC 3339 time such as 2027-01-31T00:00:00Z.",
                       "expires_at");
  if (*at <= now_ms) return bad_request("expires_at must be in the future.", "expires_at");
  out = *at;
  return std::nullopt;
}

std::optional<admin_response> read_key_name(const rapidjson::Value& body, std::string& out) {
  auto m = body.FindMember("name");
  if (m == body.MemberEnd()) return std::nullopt;
  std::string_view s = m->value.IsString()
                           ? std::string_view{m->value.GetString(), m->value.GetStringLength()}
                           : std::string_view{};
  bool printable =
      std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20; });
  if (!m->value.IsString() || s.size() > max_text_bytes || !printable)
    return bad_request("name must be a string of at most " + std::to_string(max_text_bytes) +
                           " bytes without control characters.",
                       "name");
  out.assign(s);
  return std::nullopt;
}

// A freshly generated key for `tenant`: the row to store and the plaintext to show once.
std::optional<std::pair<stored_key, std::string>> new_key(const std::string& tenant,
                                                          std::string name, std::int64_t now_ms) {
  auto plain = generate_api_key();
  auto id = generate_key_id();
  if (!plain || !id) return std::nullopt;
  stored_key k;
  k.id = std::move(*id);
  k.tenant = tenant;
  k.name = std::move(name);
  k.prefix = generated_key_prefix(*plain);
  k.hash = config::sha256_hex(*plain);
  k.created_at_ms = now_ms;
  return std::make_pair(std::move(k), std::move(*plain));
}

// `{<key fields>, "key": <plaintext>, "replaced": {…}}`: the only answer that ever carries a key
// (an empty `plain` leaves it out, for the audit log).
std::string created_key_json(const stored_key& k, const std::string& plain, std::int64_t now_ms,
                             const std::string* replaces_json) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  write_key_fields(w, k, now_ms);
  if (!plain.empty()) {
    w.Key("key");
    write_string(w, plain);
  }
  if (replaces_json != nullptr) {
    w.Key("replaced");
    w.RawValue(replaces_json->data(), replaces_json->size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return protocols::detail::to_string(buf);
}

}  // namespace

admin_api::admin_api(std::unique_ptr<admin_store> store, config::snapshot_ptr file,
                     std::shared_ptr<live_config> live, clock_fn now)
    : store_(std::move(store)),
      file_(std::move(file)),
      live_(std::move(live)),
      now_(std::move(now)) {
  if (!now_)
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
}

bool admin_api::publish(std::string& error) {
  if (!live_) return true;
  std::vector<std::string> warnings;
  auto merged = merge_from(*file_, *store_, warnings, error);
  if (!merged) return false;
  for (const auto& w : warnings) log_line("warning", w);
  // Limits first: a request authenticated by the new snapshot must find its accounts.
  if (on_publish_) on_publish_(*merged, *store_);
  live_->publish(std::move(merged));
  return true;
}

bool admin_api::reload(config::snapshot_ptr file, std::string& error) {
  auto previous = std::move(file_);
  file_ = std::move(file);
  if (publish(error)) return true;
  file_ = std::move(previous);
  return false;
}

void admin_api::publish_after_change() {
  std::string error;
  if (!publish(error))
    log_line("error", "an admin change was stored but could not be applied yet: " + error);
}

admin_response admin_api::finish_change(admin_store::transaction& tx, const audit_entry& entry,
                                        unsigned status, std::string body) {
  std::string error;
  if (!store_->append_audit(entry, error) || !tx.commit(error)) return storage_failed(error);
  publish_after_change();
  return json_answer(status, std::move(body));
}

std::optional<admin_response> admin_api::find_stored_tenant(const std::string& name,
                                                            std::optional<stored_tenant>& out,
                                                            const char* param) {
  std::string error;
  if (!store_->find_tenant(name, out, error)) return storage_failed(error);
  if (!out) return not_found("No tenant named \"" + name.substr(0, 64) + "\".", param);
  return std::nullopt;
}

admin_response admin_api::handle(const admin_request& req) {
  try {
    return dispatch(req);
  } catch (const std::exception& e) {
    log_line("error", std::string{"admin request failed: "} + e.what());
  } catch (...) {
    log_line("error", "admin request failed");
  }
  return internal_error("The admin request failed; nothing was changed.");
}

admin_response admin_api::dispatch(const admin_request& req) {
  const auto seg = path_segments(req.target);
  const auto& m = req.method;
  const std::string path{target_path(req.target)};
  if (seg.size() == 1 && seg[0] == "tenants") {
    if (m == "GET") return list_tenants();
    if (m == "POST") return create_tenant(req);
    return method_not_allowed(req, "GET, POST");
  }
  if (seg.size() == 2 && seg[0] == "tenants") {
    if (m == "GET") return get_tenant(seg[1]);
    if (m == "PATCH") return patch_tenant(seg[1], req);
    if (m == "DELETE") return delete_tenant(seg[1], req);
    return method_not_allowed(req, "GET, PATCH, DELETE");
  }
  if (seg.size() == 3 && seg[0] == "tenants" && seg[2] == "keys") {
    if (m == "POST") return create_key(seg[1], req);
    if (m == "GET") return list_keys(seg[1]);
    return method_not_allowed(req, "GET, POST");
  }
  if (seg.size() == 1 && seg[0] == "keys") {
    if (m != "GET") return method_not_allowed(req, "GET");
    auto query = query_pairs(req.target);
    if (!query) return bad_request("A query parameter is repeated.");
    std::string tenant;
    for (const auto& [name, value] : *query) {
      if (name != "tenant")
        return bad_request("Unknown query parameter \"" + name + "\"; use tenant=.", name);
      if (value.empty()) return bad_request("tenant must not be empty.", "tenant");
      tenant = value;
    }
    return list_keys(tenant);
  }
  if (seg.size() == 2 && seg[0] == "keys") {
    if (m != "GET") return method_not_allowed(req, "GET");
    return get_key(seg[1]);
  }
  if (seg.size() == 3 && seg[0] == "keys" && (seg[2] == "revoke" || seg[2] == "rotate")) {
    if (m != "POST") return method_not_allowed(req, "POST");
    return seg[2] == "revoke" ? revoke_key(seg[1], req) : rotate_key(seg[1], req);
  }
  if (seg.size() == 1 && (seg[0] == "usage" || seg[0] == "audit")) {
    if (m != "GET") return method_not_allowed(req, "GET");
    return seg[0] == "usage" ? usage(req) : audit(req);
  }
  return not_found("Unknown admin URL: " + m + " " + path.substr(0, 200) +
                   ". See docs/api.md for the admin routes.");
}

admin_response admin_api::list_tenants() {
  std::string error;
  std::vector<stored_tenant> stored;
  std::vector<stored_key> keys;
  if (!store_->tenants(stored, error) || !store_->keys({}, keys, error))
    return storage_failed(error);
  const auto now = now_();
  return json_answer(
      200, data_list([&](json_writer& w) {
        for (const auto& t : file_->tenants) {
          auto json =
              tenant_json(t, "config", t.keys.size() + active_keys_of(t.name, keys, now), nullptr);
          w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
        }
        for (const auto& st : stored) {
          // Shadowed by the file's tenant (see live_config.hpp).
          if (file_->find_tenant(st.name) != nullptr) continue;
          auto t = tenant_from_stored(st.name, st.spec);
          if (!t) continue;
          auto json = tenant_json(*t, "admin", active_keys_of(st.name, keys, now), &st);
          w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
        }
      }));
}

admin_response admin_api::get_tenant(const std::string& name) {
  std::string error;
  std::vector<stored_key> keys;
  if (!store_->keys(name, keys, error)) return storage_failed(error);
  const auto now = now_();
  if (const auto* t = file_->find_tenant(name))
    return json_answer(
        200, tenant_json(*t, "config", t->keys.size() + active_keys_of(name, keys, now), nullptr));
  std::optional<stored_tenant> st;
  if (!store_->find_tenant(name, st, error)) return storage_failed(error);
  if (!st) return not_found("No tenant named \"" + name.substr(0, 64) + "\".", "name");
  auto t = tenant_from_stored(st->name, st->spec);
  if (!t) return internal_error("The stored settings of tenant \"" + name + "\" are unreadable.");
  return json_answer(200, tenant_json(*t, "admin", active_keys_of(name, keys, now), &*st));
}

admin_response admin_api::create_tenant(const admin_request& req) {
  rapidjson::Document body;
  if (auto bad = parse_body(req.body, body, false)) return *bad;
  auto name_member = body.FindMember("name");
  if (name_member == body.MemberEnd())
    return bad_request("name is required: the tenant's name, e.g. \"acme\".", "name");
  if (!name_member->value.IsString() ||
      !valid_tenant_name({name_member->value.GetString(), name_member->value.GetStringLength()}))
    return bad_request(
        "name must be 1-64 characters of letters, digits, '.', '_' or '-', "
        "starting with a letter or digit.",
        "name");
  config::tenant_config t;
  t.name.assign(name_member->value.GetString(), name_member->value.GetStringLength());
  const auto file = file_;
  if (auto e = apply_tenant_settings(body, t, configured_model(file))) return from_spec_error(*e);
  if (file_->find_tenant(t.name) != nullptr)
    return conflict("Tenant \"" + t.name + "\" is defined in the config file (" + file_->source +
                        "); choose another name.",
                    "name");
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  std::optional<stored_tenant> existing;
  if (!store_->find_tenant(t.name, existing, error)) return storage_failed(error);
  if (existing) return conflict("Tenant \"" + t.name + "\" already exists.", "name");
  const auto now = now_();
  stored_tenant st{t.name, tenant_settings_json(t), now, now};
  auto after = tenant_json(t, "admin", 0, &st);
  if (!store_->insert_tenant(st, error)) return storage_failed(error);
  return finish_change(tx, {0, now, req.actor, "tenant.create", t.name, "null", after}, 201, after);
}

admin_response admin_api::patch_tenant(const std::string& name, const admin_request& req) {
  if (file_->find_tenant(name) != nullptr) return file_tenant_conflict(name, file_->source);
  rapidjson::Document body;
  if (auto bad = parse_body(req.body, body, false)) return *bad;
  if (auto n = body.FindMember("name");
      n != body.MemberEnd() && (!n->value.IsString() || n->value.GetString() != name))
    return bad_request("name cannot change; create a new tenant instead.", "name");
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  std::optional<stored_tenant> st;
  if (auto missing = find_stored_tenant(name, st, "name")) return *missing;
  auto t = tenant_from_stored(st->name, st->spec);
  if (!t) return internal_error("The stored settings of tenant \"" + name + "\" are unreadable.");
  std::vector<stored_key> keys;
  if (!store_->keys(name, keys, error)) return storage_failed(error);
  const auto now = now_();
  const auto active = active_keys_of(name, keys, now);
  const auto before = tenant_json(*t, "admin", active, &*st);
  const auto file = file_;
  if (auto e = apply_tenant_settings(body, *t, configured_model(file))) return from_spec_error(*e);
  st->spec = tenant_settings_json(*t);
  st->updated_at_ms = now;
  auto after = tenant_json(*t, "admin", active, &*st);
  if (!store_->update_tenant(name, st->spec, now, error)) return storage_failed(error);
  return finish_change(tx, {0, now, req.actor, "tenant.update", name, before, after}, 200, after);
}

admin_response admin_api::delete_tenant(const std::string& name, const admin_request& req) {
  if (file_->find_tenant(name) != nullptr) return file_tenant_conflict(name, file_->source);
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  std::optional<stored_tenant> st;
  if (auto missing = find_stored_tenant(name, st, "name")) return *missing;
  std::vector<stored_key> keys;
  if (!store_->keys(name, keys, error)) return storage_failed(error);
  const auto now = now_();
  const auto active = active_keys_of(name, keys, now);
  auto t = tenant_from_stored(st->name, st->spec);
  const auto before = t ? tenant_json(*t, "admin", active, &*st) : std::string{"null"};
  // Its keys are revoked, not deleted: their usage records keep pointing at a known key.
  if (!store_->revoke_tenant_keys(name, now, error) || !store_->delete_tenant(name, error))
    return storage_failed(error);
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("name");
  write_string(w, name);
  w.Key("deleted");
  w.Bool(true);
  w.Key("revoked_keys");
  w.Uint64(active);
  w.EndObject();
  return finish_change(tx, {0, now, req.actor, "tenant.delete", name, before, "null"}, 200,
                       protocols::detail::to_string(buf));
}

admin_response admin_api::create_key(const std::string& tenant, const admin_request& req) {
  rapidjson::Document body;
  if (auto bad = parse_body(req.body, body, true)) return *bad;
  const auto now = now_();
  std::string name;
  std::optional<std::int64_t> expires;
  if (auto bad = read_key_name(body, name)) return *bad;
  if (auto bad = read_expiry(body, now, expires)) return *bad;
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  // The tenant's allowed models bound the key's own.
  std::vector<std::string> tenant_models;
  if (const auto* t = file_->find_tenant(tenant)) {
    tenant_models = t->allowed_models;
  } else {
    std::optional<stored_tenant> st;
    if (auto missing = find_stored_tenant(tenant, st, "tenant")) return *missing;
    if (auto t = tenant_from_stored(st->name, st->spec)) tenant_models = t->allowed_models;
  }
  const auto file = file_;
  config::key_config settings;
  if (auto e = apply_key_settings(
          body, settings, [&](const std::string& m) -> std::optional<std::string> {
            if (auto unknown = configured_model(file)(m)) return unknown;
            if (!tenant_models.empty() &&
                std::find(tenant_models.begin(), tenant_models.end(), m) == tenant_models.end())
              return "model \"" + m + "\" is not in tenant \"" + tenant + "\"'s allowed_models";
            return std::nullopt;
          }))
    return from_spec_error(*e);
  auto made = new_key(tenant, std::move(name), now);
  if (!made) return internal_error("The random number generator failed; no key was created.");
  auto& [key, plain] = *made;
  key.expires_at_ms = expires;
  key.spec = key_settings_json(settings);
  if (!store_->insert_key(key, error)) return storage_failed(error);
  return finish_change(tx, {0, now, req.actor, "key.create", key.id, "null", key_json(key, now)},
                       201, created_key_json(key, plain, now, nullptr));
}

admin_response admin_api::list_keys(const std::string& tenant) {
  std::string error;
  if (!tenant.empty() && file_->find_tenant(tenant) == nullptr) {
    std::optional<stored_tenant> st;
    if (auto missing = find_stored_tenant(tenant, st, "tenant")) return *missing;
  }
  std::vector<stored_key> keys;
  if (!store_->keys(tenant, keys, error)) return storage_failed(error);
  const auto now = now_();
  return json_answer(200, data_list([&](json_writer& w) {
                       for (const auto& k : keys) {
                         w.StartObject();
                         write_key_fields(w, k, now);
                         w.EndObject();
                       }
                     }));
}

admin_response admin_api::get_key(const std::string& id) {
  std::string error;
  std::optional<stored_key> k;
  if (!store_->find_key(id, k, error)) return storage_failed(error);
  if (!k) return not_found("No key with id \"" + id.substr(0, 64) + "\".", "id");
  return json_answer(200, key_json(*k, now_()));
}

admin_response admin_api::revoke_key(const std::string& id, const admin_request& req) {
  rapidjson::Document body;
  if (auto bad = parse_body(req.body, body, true)) return *bad;
  if (auto bad = reject_unknown(body, {})) return *bad;
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  std::optional<stored_key> k;
  if (!store_->find_key(id, k, error)) return storage_failed(error);
  if (!k) return not_found("No key with id \"" + id.substr(0, 64) + "\".", "id");
  if (k->revoked_at_ms)
    return conflict(
        "Key " + id + " was already revoked at " + format_time_ms(*k->revoked_at_ms) + ".", "id");
  const auto now = now_();
  const auto before = key_json(*k, now);
  k->revoked_at_ms = now;
  auto after = key_json(*k, now);
  if (!store_->revoke_key(id, now, error)) return storage_failed(error);
  return finish_change(tx, {0, now, req.actor, "key.revoke", id, before, after}, 200, after);
}

admin_response admin_api::rotate_key(const std::string& id, const admin_request& req) {
  rapidjson::Document body;
  if (auto bad = parse_body(req.body, body, true)) return *bad;
  if (auto bad = reject_unknown(body, {"grace_seconds", "expires_at"})) return *bad;
  const auto now = now_();
  std::int64_t grace = 0;
  if (auto g = body.FindMember("grace_seconds"); g != body.MemberEnd()) {
    if (!g->value.IsInt64() || g->value.GetInt64() < 0 || g->value.GetInt64() > max_grace_seconds)
      return bad_request("grace_seconds must be an integer from 0 (revoke the old key now) to " +
                             std::to_string(max_grace_seconds) + " (30 days).",
                         "grace_seconds");
    grace = g->value.GetInt64();
  }
  std::optional<std::int64_t> expires;
  if (auto bad = read_expiry(body, now, expires)) return *bad;
  std::string error;
  admin_store::transaction tx{*store_};
  if (!tx.started(error)) return storage_failed(error);
  std::optional<stored_key> old;
  if (!store_->find_key(id, old, error)) return storage_failed(error);
  if (!old) return not_found("No key with id \"" + id.substr(0, 64) + "\".", "id");
  if (key_status(*old, now) != "active")
    return conflict("Key " + id + " is " + std::string{key_status(*old, now)} +
                        "; only an active key can be rotated. Create a new key instead.",
                    "id");
  const auto before = key_json(*old, now);
  auto made = new_key(old->tenant, old->name, now);
  if (!made) return internal_error("The random number generator failed; no key was created.");
  auto& [key, plain] = *made;
  key.expires_at_ms = expires;
  key.spec = old->spec;  // the replacement keeps the old key's own settings
  bool changed = false;
  if (grace == 0) {
    old->revoked_at_ms = now;
    changed = store_->revoke_key(id, now, error);
  } else {
    // The old key keeps working until the grace period ends (or its own earlier expiry).
    const auto until =
        std::min(now + grace * 1000, old->expires_at_ms.value_or(now + grace * 1000));
    old->expires_at_ms = until;
    changed = store_->set_key_expiry(id, until, error);
  }
  const auto old_after = key_json(*old, now);
  const auto after = created_key_json(key, "", now, &old_after);  // no secret in the audit log
  if (!changed || !store_->insert_key(key, error)) return storage_failed(error);
  return finish_change(tx, {0, now, req.actor, "key.rotate", id, before, after}, 201,
                       created_key_json(key, plain, now, &old_after));
}

}  // namespace switchyard::runtime
