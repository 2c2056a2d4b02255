// Route table and the gateway's own small JSON answers.
#include "runtime/routes.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocols/percent_decode.hpp"

namespace switchyard::runtime {

namespace {

struct route_entry {
  std::string_view path;
  std::string_view method;
  route which;
};

constexpr std::array<route_entry, 10> route_table{{
    {"/v1/chat/completions", "POST", route::chat_completions},
    {"/v1/embeddings", "POST", route::embeddings},
    {"/v1/messages", "POST", route::messages},
    {"/v1/messages/count_tokens", "POST", route::count_tokens},
    {"/v1/models", "GET", route::models},
    {"/v1/generation", "GET", route::generation},
    {"/v1/key", "GET", route::key},
    {"/health/live", "GET", route::health_live},
    {"/health/ready", "GET", route::health_ready},
    {"/metrics", "GET", route::metrics},
}};

// Printable and bounded, for error messages: a hostile target must not bloat or break the body.
std::string printable(std::string_view s) {
  constexpr std::size_t limit = 200;
  std::string out;
  out.reserve(std::min(s.size(), limit) + 3);
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (s.size() > limit) out += "...";
  return out;
}

}  // namespace

std::string_view target_path(std::string_view target) noexcept {
  auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

namespace {

constexpr std::string_view model_prefix = "/v1/models/";

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view route_path(std::string_view target) noexcept {
  auto path = target_path(target);
  constexpr std::string_view alias = "/api";
  if (starts_with(path, "/api/v1/")) path.remove_prefix(alias.size());
  return path;
}

route_match match_route(std::string_view method, std::string_view target) noexcept {
  auto path = route_path(target);
  for (const auto& e : route_table) {
    if (e.path != path) continue;
    if (e.method != method) return {route_match::method_not_allowed, e.which, e.method};
    return {route_match::found, e.which, {}};
  }
  if (path == "/admin" || starts_with(path, "/admin/")) return {route_match::found, route::admin, {}};
  if (starts_with(path, model_prefix) && path.size() > model_prefix.size()) {
    if (method != "GET") return {route_match::method_not_allowed, route::model, "GET"};
    return {route_match::found, route::model, {}};
  }
  return {};
}

std::string model_id_of(std::string_view target) {
  auto path = route_path(target);
  if (!starts_with(path, model_prefix)) return {};
  return protocols::percent_decode(path.substr(model_prefix.size()));
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string{}
                                          : protocols::percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

protocols::dialect target_dialect(std::string_view target) noexcept {
  auto path = route_path(target);
  return path == "/v1/messages" || starts_with(path, "/v1/messages/")
             ? protocols::dialect::anthropic
             : protocols::dialect::openai;
}

bool requires_auth(route r) noexcept {
  return r == route::chat_completions || r == route::embeddings || r == route::messages ||
         r == route::count_tokens || r == route::models || r == route::model ||
         r == route::generation || r == route::key;
}

protocols::dialect route_dialect(route r) noexcept {
  return r == route::messages || r == route::count_tokens ? protocols::dialect::anthropic
                                                          : protocols::dialect::openai;
}

protocols::error_info route_not_found_error(std::string_view method, std::string_view target) {
  return protocols::make_error(
      protocols::gateway_error::route_not_found,
      "Unknown request URL: " + printable(method) + " " + printable(target_path(target)) +
          ". Check the URL for typos; this gateway serves /v1/chat/completions, "
          "/v1/embeddings and /v1/models.");
}

protocols::error_info method_not_allowed_error(std::string_view method, std::string_view target,
                                               std::string_view allow) {
  return protocols::make_error(protocols::gateway_error::method_not_allowed,
                               "Method " + printable(method) + " is not allowed on " +
                                   printable(target_path(target)) + "; use " + std::string{allow} +
                                   ".");
}

namespace {

std::vector<const config::model_config*> visible_models(const config::snapshot& config,
                                                        const config::tenant_config& tenant,
                                                        const config::key_config* key) {
  std::vector<const config::model_config*> out;
  const auto& allowed = tenant.allowed_models;
  for (const auto& model : config.models) {
    if ((allowed.empty() ||
         std::find(allowed.begin(), allowed.end(), model.name) != allowed.end()) &&
        key_may_use(key, model.name))
      out.push_back(&model);
  }
  return out;
}

void write_name(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& name) {
  w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}

}  // namespace

namespace {

// One model entry, in OpenAI's shape or Anthropic's.
void write_model(rapidjson::Writer<rapidjson::StringBuffer>& w, const config::model_config& model,
                 bool anthropic) {
  w.StartObject();
  if (anthropic) {
    w.Key("type");
    w.String("model");
    w.Key("id");
    write_name(w, model.name);
    w.Key("display_name");
    write_name(w, model.name);
    w.Key("created_at");
    w.String("1970-01-01T00:00:00Z");
  } else {
    w.Key("id");
    write_name(w, model.name);
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int64(0);
    w.Key("owned_by");
    w.String("switchyard");
  }
  w.EndObject();
}

}  // namespace

bool key_may_use(const config::key_config* key, const std::string& model) {
  if (key == nullptr || key->allowed_models.empty()) return true;
  const auto& allowed = key->allowed_models;
  return std::find(allowed.begin(), allowed.end(), model) != allowed.end();
}

std::string models_list_body(const config::snapshot& config, const config::tenant_config& tenant,
                             const config::key_config* key) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (const auto* model : visible_models(config, tenant, key)) write_model(w, *model, false);
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string model_body(const config::model_config& model, bool anthropic) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  write_model(w, model, anthropic);
  return {buf.GetString(), buf.GetSize()};
}

std::string anthropic_models_list_body(const config::snapshot& config,
                                       const config::tenant_config& tenant,
                                       const config::key_config* key) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  const auto models = visible_models(config, tenant, key);
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (const auto* model : models) write_model(w, *model, true);
  w.EndArray();
  w.Key("has_more");
  w.Bool(false);
  w.Key("first_id");
  if (models.empty())
    w.Null();
  else
    write_name(w, models.front()->name);
  w.Key("last_id");
  if (models.empty())
    w.Null();
  else
    write_name(w, models.back()->name);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string generation_body(const actors::request_record& r) {
  using namespace std::chrono;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  const auto secs = time_point_cast<seconds>(r.finished_at);
  const std::time_t t = system_clock::to_time_t(secs);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
  auto ms = [](microseconds d) { return static_cast<double>(d.count()) / 1000.0; };
  w.StartObject();
  w.Key("data");
  w.StartObject();
  w.Key("id");
  write_name(w, r.request_id);
  w.Key("created_at");
  w.String(created);
  w.Key("model");
  write_name(w, r.model);
  w.Key("provider_name");
  if (r.provider.empty())
    w.Null();
  else
    write_name(w, r.provider);
  w.Key("upstream_model");
  if (r.upstream_model.empty())
    w.Null();
  else
    write_name(w, r.upstream_model);
  w.Key("streamed");
  w.Bool(r.stream);
  w.Key("cancelled");
  w.Bool(r.client_gone);
  w.Key("status");
  w.Uint(r.status);
  w.Key("attempts");
  w.Uint(r.attempts);
  w.Key("hedged");
  w.Bool(r.hedged);
  w.Key("tokens_prompt");
  w.Uint(r.usage.prompt_tokens);
  w.Key("tokens_completion");
  w.Uint(r.usage.completion_tokens);
  w.Key("native_tokens_cached");
  w.Uint(r.usage.cached_tokens);
  w.Key("native_tokens_reasoning");
  w.Uint(r.usage.reasoning_tokens);
  w.Key("total_cost");
  w.Double(r.cost_usd);
  w.Key("latency");
  w.Double(ms(r.duration));
  w.Key("time_to_first_byte");
  w.Double(ms(r.time_to_first_byte));
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string_view health_live_body() noexcept {
  return R"({"status":"ok"})";
}

std::string_view health_ready_body(bool draining) noexcept {
  return draining ? R"({"status":"draining"})" : R"({"status":"ready"})";
}

}  // namespace switchyard::runtime
