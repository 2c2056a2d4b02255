// GET /admin/usage and GET /admin/audit (see admin_api.hpp).
#include <cmath>
#include <cstdio>
#include <map>

#include "runtime/admin_api.hpp"
#include "runtime/admin_json.hpp"
#include "runtime/time_text.hpp"

namespace switchyard::runtime {

namespace {

using protocols::detail::json_writer;
using protocols::detail::write_string;

constexpr std::size_t default_audit_limit = 100;
constexpr std::size_t max_audit_limit = 1000;

std::optional<usage_group> group_of(std::string_view s) {
  if (s == "tenant") return usage_group::tenant;
  if (s == "key") return usage_group::key;
  if (s == "model") return usage_group::model;
  if (s == "provider") return usage_group::provider;
  if (s == "day") return usage_group::day;
  return std::nullopt;
}

// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula gets a leading
// apostrophe: group names come from config and clients, and a CSV is opened by people.
std::string csv_cell(std::string_view s) {
  std::string out = "\"";
  if (!s.empty() && (s.front() == '=' || s.front() == '+' || s.front() == '-' || s.front() == '@'))
    out.push_back('\'');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string csv_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

struct usage_query {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::string from_text;
  std::string to_text;
  std::string group_name = "tenant";
  usage_group group = usage_group::tenant;
  bool csv = false;
};

std::optional<admin_response> read_usage_query(const admin_request& req, std::int64_t now_ms,
                                               usage_query& q) {
  auto pairs = query_pairs(req.target);
  if (!pairs) return bad_request("A query parameter is repeated.");
  q.csv = req.accept_csv;
  bool have_from = false;
  bool have_to = false;
  for (const auto& [name, value] : *pairs) {
    if (name == "from" || name == "to") {
      auto t = parse_time_ms(value, name == "to");
      if (!t)
        return bad_request(name +
                               " must be an RFC 3339 time (2026-11-01T00:00:00Z) or a date "
                               "(2026-11-01).",
                           name);
      (name == "from" ? q.from_ms : q.to_ms) = *t;
      (name == "from" ? q.from_text : q.to_text) = value;
      (name == "from" ? have_from : have_to) = true;
    } else if (name == "group_by") {
      auto g = group_of(value);
      if (!g)
        return bad_request("group_by must be one of tenant, key, model, provider, day.", name);
      q.group = *g;
      q.group_name = value;
    } else if (name == "format") {
      if (value != "json" && value != "csv")
        return bad_request("format must be json or csv.", name);
      q.csv = value == "csv";
    } else {
      return bad_request("Unknown query parameter \"" + name.substr(0, 64) +
                             "\"; use from, to, group_by and format.",
                         name.substr(0, 64));
    }
  }
  // Defaults: the current calendar month so far, like a billing page.
  if (!have_to) {
    q.to_ms = now_ms + 1;
    q.to_text = format_time_ms(now_ms);
  }
  if (!have_from) {
    auto today = format_time_ms(now_ms).substr(0, 8) + "01";  // "YYYY-MM-" + "01"
    q.from_ms = parse_time_ms(today).value_or(0);
    q.from_text = today;
  }
  if (q.from_ms >= q.to_ms) return bad_request("from must be before to.", "from");
  return std::nullopt;
}

}  // namespace

admin_response admin_api::usage(const admin_request& req) {
  usage_query q;
  if (auto bad = read_usage_query(req, now_(), q)) return *bad;
  std::string error;
  std::vector<usage_total> rows;
  if (!store_->usage_totals(q.from_ms, q.to_ms, q.group, rows, error)) return storage_failed(error);
  usage_total sum;
  for (const auto& r : rows) {
    sum.requests += r.requests;
    sum.prompt_tokens += r.prompt_tokens;
    sum.completion_tokens += r.completion_tokens;
    sum.cached_tokens += r.cached_tokens;
    sum.cost_usd += r.cost_usd;
  }
  const bool by_key = q.group == usage_group::key;
  // Usage records name a key by the first 16 hex digits of its digest; keys made by the admin
  // API are known by their id too.
  std::map<std::string, std::string> stored_ids;
  if (by_key) {
    std::vector<stored_key> keys;
    if (!store_->keys({}, keys, error)) return storage_failed(error);
    for (const auto& k : keys) stored_ids.emplace(k.hash.substr(0, 16), k.id);
  }
  auto stored_id = [&stored_ids](const std::string& key_id) -> const std::string* {
    auto it = stored_ids.find(key_id);
    return it == stored_ids.end() ? nullptr : &it->second;
  };
  if (q.csv) {
    std::string out = q.group_name + (by_key ? ",key_prefix,stored_key_id" : "") +
                      ",requests,prompt_tokens,completion_tokens,cached_tokens,cost_usd\r\n";
    for (const auto& r : rows) {
      out += csv_cell(r.group);
      if (by_key) {
        const auto* id = stored_id(r.group);
        out += "," + csv_cell(r.key_prefix) + "," + (id != nullptr ? csv_cell(*id) : "");
      }
      out += "," + std::to_string(r.requests) + "," + std::to_string(r.prompt_tokens) + "," +
             std::to_string(r.completion_tokens) + "," + std::to_string(r.cached_tokens) + "," +
             csv_number(r.cost_usd) + "\r\n";
    }
    return admin_response{200, "text/csv; charset=utf-8", std::move(out), {}};
  }
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  auto counts = [&w](const usage_total& r) {
    w.Key("requests");
    w.Uint64(r.requests);
    w.Key("prompt_tokens");
    w.Uint64(r.prompt_tokens);
    w.Key("completion_tokens");
    w.Uint64(r.completion_tokens);
    w.Key("cached_tokens");
    w.Uint64(r.cached_tokens);
    w.Key("cost_usd");
    w.Double(r.cost_usd);
  };
  w.StartObject();
  w.Key("from");
  write_string(w, q.from_text);
  w.Key("to");
  write_string(w, q.to_text);
  w.Key("group_by");
  write_string(w, q.group_name);
  w.Key("data");
  w.StartArray();
  for (const auto& r : rows) {
    w.StartObject();
    protocols::detail::write_key(w, q.group_name);
    write_string(w, r.group);
    if (by_key) {
      w.Key("key_prefix");
      write_string(w, r.key_prefix);
      w.Key("stored_key_id");
      if (const auto* id = stored_id(r.group))
        write_string(w, *id);
      else
        w.Null();
    }
    counts(r);
    w.EndObject();
  }
  w.EndArray();
  w.Key("total");
  w.StartObject();
  counts(sum);
  w.EndObject();
  w.EndObject();
  return json_answer(200, protocols::detail::to_string(buf));
}

admin_response admin_api::audit(const admin_request& req) {
  auto pairs = query_pairs(req.target);
  if (!pairs) return bad_request("A query parameter is repeated.");
  std::size_t limit = default_audit_limit;
  std::int64_t before = 0;
  for (const auto& [name, value] : *pairs) {
    char* end = nullptr;
    const long long n = value.empty() ? -1 : std::strtoll(value.c_str(), &end, 10);
    const bool number = end != nullptr && *end == '\0' && n >= 1;
    if (name == "limit") {
      if (!number || n > static_cast<long long>(max_audit_limit))
        return bad_request(
            "limit must be an integer from 1 to " + std::to_string(max_audit_limit) + ".", name);
      limit = static_cast<std::size_t>(n);
    } else if (name == "before") {
      if (!number) return bad_request("before must be a positive audit entry id.", name);
      before = n;
    } else {
      return bad_request(
          "Unknown query parameter \"" + name.substr(0, 64) + "\"; use limit and before.",
          name.substr(0, 64));
    }
  }
  std::string error;
  std::vector<audit_entry> entries;
  if (!store_->audit(before, limit, entries, error)) return storage_failed(error);
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    w.Key("id");
    w.Int64(e.id);
    w.Key("at");
    write_string(w, format_time_ms(e.at_ms));
    w.Key("actor");
    write_string(w, e.actor);
    w.Key("action");
    write_string(w, e.action);
    w.Key("target");
    write_string(w, e.target);
    // Written by this API as JSON; embedded as it is.
    w.Key("before");
    w.RawValue(e.before.data(), e.before.size(), rapidjson::kObjectType);
    w.Key("after");
    w.RawValue(e.after.data(), e.after.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  w.Key("next_before");
  if (entries.size() == limit && !entries.empty())
    w.Int64(entries.back().id);
  else
    w.Null();
  w.EndObject();
  return json_answer(200, protocols::detail::to_string(buf));
}

}  // namespace switchyard::runtime
