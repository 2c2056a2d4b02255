// GET /v1/key. OpenRouter's fields (`label`, `limit`, `usage`, `limit_remaining`) describe the
// tightest budget so its SDK helpers work; `key` and `tenant` give each level in full.
#include "runtime/key_info.hpp"

#include <algorithm>
#include <optional>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "config/budget_period.hpp"

namespace switchyard::runtime {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_str(writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_labels(writer& w, const std::map<std::string, std::string>& labels) {
  w.StartObject();
  for (const auto& [k, v] : labels) {
    write_str(w, k);
    write_str(w, v);
  }
  w.EndObject();
}

void write_models(writer& w, const std::vector<std::string>& models) {
  w.StartArray();
  for (const auto& m : models) write_str(w, m);
  w.EndArray();
}

void write_budget(writer& w, const std::optional<actors::budget_state>& b) {
  if (!b) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Key("usd");
  w.Double(b->config.usd);
  w.Key("period");
  write_str(w, std::string{config::to_string(b->config.period)});
  w.Key("spend");
  w.Double(b->spent);
  w.Key("reserved");
  w.Double(b->reserved);
  w.Key("remaining");
  w.Double(b->remaining);
  w.Key("period_start");
  write_str(w, config::format_rfc3339_utc(b->period_start));
  w.Key("reset_at");
  if (b->config.period == config::budget_period::total)
    w.Null();
  else
    write_str(w, config::format_rfc3339_utc(b->reset_at));
  w.Key("soft_threshold");
  w.Double(b->config.soft_threshold);
  w.Key("near_cap");
  w.Bool(b->near_cap);
  w.EndObject();
}

void write_rate(writer& w, const std::optional<actors::rate_state>& r) {
  if (!r) {
    w.Null();
    return;
  }
  w.StartObject();
  w.Key("limit");
  w.Uint64(r->limit);
  w.Key("remaining");
  w.Uint64(r->remaining);
  w.Key("reset");
  write_str(w, actors::reset_duration(r->reset_in));
  w.Key("interval");
  w.String("1m");
  w.EndObject();
}

void write_account(writer& w, const actors::limit_account* a, config::wall_time wall,
                   actors::clock::time_point mono) {
  w.Key("budget");
  write_budget(w, a != nullptr ? a->budget(wall) : std::nullopt);
  w.Key("rate_limits");
  w.StartObject();
  w.Key("requests");
  write_rate(w, a != nullptr ? a->requests(mono) : std::nullopt);
  w.Key("tokens");
  write_rate(w, a != nullptr ? a->tokens(mono) : std::nullopt);
  w.EndObject();
}

}  // namespace

std::string key_info_body(const principal& who, const actors::budget_book& book) {
  const auto wall = book.wall()->now();
  const auto mono = book.mono()->now();
  auto key = book.key_account(who.key_id);
  auto tenant = book.tenant_account(who.tenant->name);
  const auto key_budget = key ? key->budget(wall) : std::nullopt;
  const auto tenant_budget = tenant ? tenant->budget(wall) : std::nullopt;
  // The budget that binds first, for OpenRouter's flat fields.
  std::optional<actors::budget_state> tightest = key_budget;
  if (tenant_budget && (!tightest || tenant_budget->remaining < tightest->remaining))
    tightest = tenant_budget;

  rapidjson::StringBuffer buf;
  writer w{buf};
  w.StartObject();
  w.Key("data");
  w.StartObject();
  w.Key("label");
  write_str(w, who.key_prefix);
  w.Key("limit");
  if (tightest)
    w.Double(tightest->config.usd);
  else
    w.Null();
  w.Key("usage");
  w.Double(tightest ? tightest->spent : 0.0);
  w.Key("limit_remaining");
  if (tightest)
    w.Double(tightest->remaining);
  else
    w.Null();
  w.Key("near_cap");
  w.Bool((key_budget && key_budget->near_cap) || (tenant_budget && tenant_budget->near_cap));

  w.Key("key");
  w.StartObject();
  w.Key("prefix");
  write_str(w, who.key_prefix);
  w.Key("name");
  if (who.key != nullptr && !who.key->name.empty())
    write_str(w, who.key->name);
  else
    w.Null();
  w.Key("labels");
  write_labels(w, who.key != nullptr ? who.key->labels : std::map<std::string, std::string>{});
  w.Key("allowed_models");
  write_models(w, who.key != nullptr ? who.key->allowed_models : std::vector<std::string>{});
  w.Key("expires_at");
  if (who.key != nullptr && who.key->expires_at)
    write_str(w, config::format_rfc3339_utc(*who.key->expires_at));
  else
    w.Null();
  write_account(w, key.get(), wall, mono);
  w.EndObject();

  w.Key("tenant");
  w.StartObject();
  w.Key("name");
  write_str(w, who.tenant->name);
  w.Key("labels");
  write_labels(w, who.tenant->labels);
  w.Key("allowed_models");
  write_models(w, who.tenant->allowed_models);
  write_account(w, tenant.get(), wall, mono);
  w.EndObject();

  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace switchyard::runtime
