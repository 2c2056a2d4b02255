// Tenant settings ↔ JSON, with the bounds of admin_spec.hpp.
#include "runtime/admin_spec.hpp"

#include "config/budget_period.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::runtime {

namespace {

using protocols::detail::json_writer;
using protocols::detail::write_key;
using protocols::detail::write_string;
using rapidjson::Value;

std::string_view view(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

spec_error wrong(std::string field, std::string message) {
  return spec_error{std::move(field), std::move(message)};
}

// A bounded, non-empty string without control characters.
std::optional<spec_error> text(const Value& v, const std::string& field, std::string& out) {
  if (!v.IsString()) return wrong(field, "must be a string");
  auto s = view(v);
  if (s.empty()) return wrong(field, "must not be empty");
  if (s.size() > max_text_bytes)
    return wrong(field, "must be at most " + std::to_string(max_text_bytes) + " bytes");
  if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return wrong(field, "must not contain control characters");
  out.assign(s);
  return std::nullopt;
}

std::optional<spec_error> string_list(const Value& v, const std::string& field,
                                      std::vector<std::string>& out) {
  if (!v.IsArray()) return wrong(field, "must be an array of strings");
  if (v.Size() > max_list_items)
    return wrong(field, "must list at most " + std::to_string(max_list_items) + " items");
  std::vector<std::string> items;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    std::string item;
    const std::string at = field + "[" + std::to_string(i) + "]";
    if (auto e = text(v[i], at, item)) return e;
    if (std::find(items.begin(), items.end(), item) != items.end())
      return wrong(at, "\"" + item + "\" is listed twice");
    items.push_back(std::move(item));
  }
  out = std::move(items);
  return std::nullopt;
}

std::optional<spec_error> rate(const Value& v, const std::string& field, std::uint32_t& out) {
  if (!v.IsUint64() || v.GetUint64() > max_rate_limit)
    return wrong(field,
                 "must be an integer from 0 (no limit) to " + std::to_string(max_rate_limit));
  out = static_cast<std::uint32_t>(v.GetUint64());
  return std::nullopt;
}

std::optional<spec_error> flag(const Value& v, const std::string& field, bool& out) {
  if (!v.IsBool()) return wrong(field, "must be true or false");
  out = v.GetBool();
  return std::nullopt;
}

// The first member of `v` not in `known`, as an error.
std::optional<spec_error> unknown_member(const Value& v, std::string_view where,
                                         std::initializer_list<std::string_view> known) {
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    auto name = view(it->name);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string{k};
      return wrong(std::string{where} + (where.empty() ? "" : ".") + std::string{name},
                   "unknown field; expected one of: " + list);
    }
  }
  return std::nullopt;
}

std::optional<spec_error> budget(const Value& v, std::optional<config::budget_config>& out) {
  if (v.IsNull()) {
    out.reset();
    return std::nullopt;
  }
  if (!v.IsObject())
    return wrong("budget", "must be an object {usd, period, soft_threshold} or null");
  if (auto e = unknown_member(v, "budget", {"usd", "period", "soft_threshold"})) return e;
  config::budget_config b = out.value_or(config::budget_config{});
  auto usd = v.FindMember("usd");
  if (usd == v.MemberEnd() && !out) return wrong("budget.usd", "is required");
  if (usd != v.MemberEnd()) {
    if (!usd->value.IsNumber() || !std::isfinite(usd->value.GetDouble()) ||
        usd->value.GetDouble() <= 0 || usd->value.GetDouble() > max_budget_usd)
      return wrong("budget.usd", "must be a number of US dollars above 0 and at most 1e9");
    b.usd = usd->value.GetDouble();
  }
  if (auto p = v.FindMember("period"); p != v.MemberEnd()) {
    const std::string_view s = p->value.IsString() ? view(p->value) : std::string_view{};
    if (s == "daily")
      b.period = config::budget_period::daily;
    else if (s == "weekly")
      b.period = config::budget_period::weekly;
    else if (s == "monthly")
      b.period = config::budget_period::monthly;
    else if (s == "total")
      b.period = config::budget_period::total;
    else
      return wrong("budget.period", "must be one of daily, weekly, monthly, total");
  }
  if (auto t = v.FindMember("soft_threshold"); t != v.MemberEnd()) {
    if (!t->value.IsNumber() || !(t->value.GetDouble() > 0) || t->value.GetDouble() > 1)
      return wrong("budget.soft_threshold", "must be a fraction above 0 and at most 1");
    b.soft_threshold = t->value.GetDouble();
  }
  out = b;
  return std::nullopt;
}

std::optional<spec_error> labels(const Value& v, std::map<std::string, std::string>& out) {
  if (!v.IsObject()) return wrong("labels", "must be an object of string values");
  if (v.MemberCount() > max_list_items)
    return wrong("labels", "must have at most " + std::to_string(max_list_items) + " labels");
  std::map<std::string, std::string> result;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string name{view(it->name)};
    if (!valid_tenant_name(name))
      return wrong("labels",
                   "label names must be 1-64 characters of letters, digits, '.', '_' "
                   "or '-'");
    std::string value;
    if (auto e = text(it->value, "labels." + name, value)) return e;
    result.emplace(name, std::move(value));
  }
  out = std::move(result);
  return std::nullopt;
}

std::optional<spec_error> policy(const Value& v, config::data_policy& out) {
  if (!v.IsObject()) return wrong("policy", "must be an object");
  if (auto e = unknown_member(v, "policy",
                              {"deny_training", "deny_retention", "require_zdr", "regions"}))
    return e;
  config::data_policy p = out;
  if (auto m = v.FindMember("deny_training"); m != v.MemberEnd())
    if (auto e = flag(m->value, "policy.deny_training", p.deny_training)) return e;
  if (auto m = v.FindMember("deny_retention"); m != v.MemberEnd())
    if (auto e = flag(m->value, "policy.deny_retention", p.deny_retention)) return e;
  if (auto m = v.FindMember("require_zdr"); m != v.MemberEnd())
    if (auto e = flag(m->value, "policy.require_zdr", p.require_zdr)) return e;
  if (auto m = v.FindMember("regions"); m != v.MemberEnd())
    if (auto e = string_list(m->value, "policy.regions", p.regions)) return e;
  out = std::move(p);
  return std::nullopt;
}

void write_strings(json_writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& s : items) write_string(w, s);
  w.EndArray();
}

}  // namespace

bool valid_tenant_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

namespace {

// The settings tenants and keys share (`allowed_models`, `budget`, `rpm`, `tpm`, `labels`,
// `policy`) onto `t`, which both `tenant_config` and `key_config` are; `own` lists the other
// fields the caller reads itself.
template <class Holder>
std::optional<spec_error> apply_settings(const Value& body, Holder& t,
                                         const model_check& known_model,
                                         std::initializer_list<std::string_view> known) {
  if (!body.IsObject()) return wrong("", "the body must be a JSON object");
  if (auto e = unknown_member(body, "", known)) return e;
  // Work on a copy: a body rejected half-way changes nothing.
  Holder next = t;
  if (auto m = body.FindMember("allowed_models"); m != body.MemberEnd()) {
    if (auto e = string_list(m->value, "allowed_models", next.allowed_models)) return e;
    if (known_model)
      for (std::size_t i = 0; i < next.allowed_models.size(); ++i)
        if (auto why = known_model(next.allowed_models[i]))
          return wrong("allowed_models[" + std::to_string(i) + "]", *why);
  }
  if (auto m = body.FindMember("budget"); m != body.MemberEnd())
    if (auto e = budget(m->value, next.limits.budget)) return e;
  if (auto m = body.FindMember("rpm"); m != body.MemberEnd())
    if (auto e = rate(m->value, "rpm", next.limits.rpm)) return e;
  if (auto m = body.FindMember("tpm"); m != body.MemberEnd())
    if (auto e = rate(m->value, "tpm", next.limits.tpm)) return e;
  if (auto m = body.FindMember("labels"); m != body.MemberEnd())
    if (auto e = labels(m->value, next.labels)) return e;
  if (auto m = body.FindMember("policy"); m != body.MemberEnd())
    if (auto e = policy(m->value, next.policy)) return e;
  t = std::move(next);
  return std::nullopt;
}

template <class Holder>
void write_settings(json_writer& w, const Holder& t) {
  w.Key("allowed_models");
  write_strings(w, t.allowed_models);
  w.Key("budget");
  if (const auto& b = t.limits.budget) {
    w.StartObject();
    w.Key("usd");
    w.Double(b->usd);
    w.Key("period");
    write_string(w, config::to_string(b->period));
    w.Key("soft_threshold");
    w.Double(b->soft_threshold);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("rpm");
  w.Uint(t.limits.rpm);
  w.Key("tpm");
  w.Uint(t.limits.tpm);
  w.Key("labels");
  w.StartObject();
  for (const auto& [k, v] : t.labels) {
    write_key(w, k);
    write_string(w, v);
  }
  w.EndObject();
  w.Key("policy");
  w.StartObject();
  w.Key("deny_training");
  w.Bool(t.policy.deny_training);
  w.Key("deny_retention");
  w.Bool(t.policy.deny_retention);
  w.Key("require_zdr");
  w.Bool(t.policy.require_zdr);
  w.Key("regions");
  write_strings(w, t.policy.regions);
  w.EndObject();
}

}  // namespace

std::optional<spec_error> apply_tenant_settings(const Value& body, config::tenant_config& t,
                                                const model_check& known_model) {
  return apply_settings(body, t, known_model,
                        {"name", "allowed_models", "budget", "rpm", "tpm", "labels", "policy"});
}

std::optional<spec_error> apply_key_settings(const Value& body, config::key_config& k,
                                             const model_check& allowed_model) {
  return apply_settings(
      body, k, allowed_model,
      {"name", "expires_at", "allowed_models", "budget", "rpm", "tpm", "labels", "policy"});
}

void write_tenant_settings(json_writer& w, const config::tenant_config& t) {
  write_settings(w, t);
}

void write_key_settings(json_writer& w, const config::key_config& k) {
  write_settings(w, k);
}

std::string key_settings_json(const config::key_config& k) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  write_settings(w, k);
  w.EndObject();
  return protocols::detail::to_string(buf);
}

bool key_settings_from_stored(const std::string& settings, config::key_config& k) {
  rapidjson::Document doc;
  doc.Parse(settings.data(), settings.size());
  return !doc.HasParseError() && !apply_key_settings(doc, k);
}

std::string tenant_settings_json(const config::tenant_config& t) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  write_tenant_settings(w, t);
  w.EndObject();
  return protocols::detail::to_string(buf);
}

std::optional<config::tenant_config> tenant_from_stored(const std::string& name,
                                                        const std::string& settings) {
  rapidjson::Document doc;
  doc.Parse(settings.data(), settings.size());
  config::tenant_config t;
  t.name = name;
  if (doc.HasParseError() || apply_tenant_settings(doc, t)) return std::nullopt;
  return t;
}

}  // namespace switchyard::runtime
