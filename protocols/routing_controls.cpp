// Decoding of the OpenRouter-compatible routing controls (see routing_controls.hpp).
#include "protocols/routing_controls.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::protocols {

namespace {

using rapidjson::Value;
using opt_error = std::optional<error_info>;

constexpr std::size_t max_name_length = 256;

error_info bad(const std::string& param, const std::string& message) {
  return make_error(gateway_error::bad_request, "`" + param + "` " + message, param);
}

std::string_view view_of(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

// Absent and null both mean "not given" (SDKs send null for unset options).
const Value* member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

// Unknown keys are refused rather than ignored: a misspelt `only` or `zdr` would otherwise route
// a request somewhere its sender ruled out.
opt_error check_keys(const Value& obj, const std::string& path,
                     std::initializer_list<std::string_view> known, std::string_view listed) {
  for (const auto& m : obj.GetObject()) {
    const auto name = view_of(m.name);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      const std::string at = path + "." + std::string{name.substr(0, max_name_length)};
      return bad(at, "is not a supported routing control; `" + path + "` accepts " +
                         std::string{listed} + ".");
    }
  }
  return std::nullopt;
}

opt_error read_names(const Value& obj, const char* name, const std::string& path,
                     std::vector<std::string>& out) {
  const Value* v = member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsArray()) return bad(path, "must be an array of names.");
  if (v->Size() > max_control_list) {
    return bad(path, "may name at most " + std::to_string(max_control_list) + " entries.");
  }
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& item = (*v)[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!item.IsString() || item.GetStringLength() == 0 ||
        item.GetStringLength() > max_name_length) {
      return bad(at, "must be a non-empty string of at most " + std::to_string(max_name_length) +
                         " characters.");
    }
    out.emplace_back(view_of(item));
  }
  return std::nullopt;
}

opt_error read_bool(const Value& obj, const char* name, const std::string& path, bool& out) {
  const Value* v = member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsBool()) return bad(path, "must be a boolean (true or false).");
  out = v->GetBool();
  return std::nullopt;
}

opt_error read_price(const Value& obj, const char* name, const std::string& path,
                     std::optional<double>& out) {
  const Value* v = member(obj, name);
  if (v == nullptr) return std::nullopt;
  if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0) {
    return bad(path, "must be a non-negative number (USD per million tokens).");
  }
  out = v->GetDouble();
  return std::nullopt;
}

opt_error read_sort(const Value& provider, routing_controls& out) {
  const Value* v = member(provider, "sort");
  if (v == nullptr) return std::nullopt;
  static constexpr const char* expected = "must be \"price\", \"latency\" or \"throughput\".";
  if (!v->IsString()) return bad("provider.sort", expected);
  const auto s = view_of(*v);
  if (s == "price") {
    out.sort = provider_sort::price;
  } else if (s == "latency") {
    out.sort = provider_sort::latency;
  } else if (s == "throughput") {
    out.sort = provider_sort::throughput;
  } else {
    return bad("provider.sort", expected);
  }
  return std::nullopt;
}

opt_error read_data_collection(const Value& provider, routing_controls& out) {
  const Value* v = member(provider, "data_collection");
  if (v == nullptr) return std::nullopt;
  if (v->IsString() && view_of(*v) == "deny") {
    out.deny_data_collection = true;
  } else if (!(v->IsString() && view_of(*v) == "allow")) {
    return bad("provider.data_collection", "must be \"allow\" or \"deny\".");
  }
  return std::nullopt;
}

opt_error read_max_price(const Value& provider, routing_controls& out) {
  const Value* v = member(provider, "max_price");
  if (v == nullptr) return std::nullopt;
  if (!v->IsObject()) {
    return bad("provider.max_price",
               "must be an object such as {\"prompt\": 1, \"completion\": 2} (USD per million "
               "tokens).");
  }
  if (auto e = check_keys(*v, "provider.max_price", {"prompt", "completion"},
                          "`prompt` and `completion`"))
    return e;
  if (auto e = read_price(*v, "prompt", "provider.max_price.prompt", out.max_prompt_price))
    return e;
  return read_price(*v, "completion", "provider.max_price.completion", out.max_completion_price);
}

opt_error read_provider(const Value& root, routing_controls& out) {
  const Value* p = member(root, "provider");
  if (p == nullptr) return std::nullopt;
  if (!p->IsObject()) return bad("provider", "must be an object of provider routing preferences.");
  if (auto e = check_keys(*p, "provider",
                          {"order", "only", "ignore", "allow_fallbacks", "sort", "max_price",
                           "data_collection", "zdr"},
                          "order, only, ignore, allow_fallbacks, sort, max_price, "
                          "data_collection and zdr"))
    return e;
  if (auto e = read_names(*p, "order", "provider.order", out.order)) return e;
  if (auto e = read_names(*p, "only", "provider.only", out.only)) return e;
  if (auto e = read_names(*p, "ignore", "provider.ignore", out.ignore)) return e;
  if (auto e = read_bool(*p, "allow_fallbacks", "provider.allow_fallbacks", out.allow_fallbacks))
    return e;
  if (auto e = read_sort(*p, out)) return e;
  if (auto e = read_max_price(*p, out)) return e;
  if (auto e = read_data_collection(*p, out)) return e;
  return read_bool(*p, "zdr", "provider.zdr", out.require_zdr);
}

opt_error read_models(const Value& root, routing_controls& out) {
  std::vector<std::string> names;
  if (auto e = read_names(root, "models", "models", names)) return e;
  const auto primary = root.FindMember("model");
  const std::string_view primary_name = primary != root.MemberEnd() && primary->value.IsString()
                                            ? view_of(primary->value)
                                            : std::string_view{};
  for (auto& n : names) {
    if (n == primary_name) continue;
    if (std::find(out.fallback_models.begin(), out.fallback_models.end(), n) !=
        out.fallback_models.end())
      continue;
    out.fallback_models.push_back(std::move(n));
  }
  return std::nullopt;
}

// OpenRouter's `route: "fallback"` (its only value) says what `models` already implies.
opt_error read_route(const Value& root) {
  const Value* v = member(root, "route");
  if (v == nullptr) return std::nullopt;
  if (!v->IsString() || view_of(*v) != "fallback") {
    return bad("route", "must be \"fallback\" (the only routing mode `models` supports).");
  }
  return std::nullopt;
}

}  // namespace

bool is_routing_control_member(std::string_view name) noexcept {
  return name == "models" || name == "provider" || name == "route";
}

std::optional<error_info> decode_routing_controls(const rapidjson::Value& root,
                                                  routing_controls& out) {
  if (auto e = read_models(root, out)) return e;
  if (auto e = read_route(root)) return e;
  return read_provider(root, out);
}

std::pair<std::string_view, provider_sort> split_model_variant(std::string_view model) noexcept {
  static constexpr std::string_view floor = ":floor";
  static constexpr std::string_view nitro = ":nitro";
  auto ends_with = [&](std::string_view suffix) {
    return model.size() > suffix.size() && model.substr(model.size() - suffix.size()) == suffix;
  };
  if (ends_with(floor)) return {model.substr(0, model.size() - floor.size()), provider_sort::price};
  if (ends_with(nitro)) {
    return {model.substr(0, model.size() - nitro.size()), provider_sort::throughput};
  }
  return {model, provider_sort::none};
}

}  // namespace switchyard::protocols
