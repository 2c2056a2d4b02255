// Fault rules: strict validation of their JSON form, and the thread-safe plan that applies them.
#include "bench/mock_provider/faults.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::mock {

namespace {

using protocols::result;

constexpr std::array<std::string_view, fault_kind_count> kind_names = {
    "status", "hang", "reset", "cut", "slow_first_token", "delay"};

// Upper bounds that catch typos (a delay of a day is never what a test meant).
constexpr std::uint32_t max_ms = 3'600'000;
constexpr std::uint32_t max_retry_after_s = 86'400;
constexpr std::uint32_t max_after_tokens = 10'000'000;

std::string key_path(std::string_view where, std::string_view key) {
  std::string s(where);
  s += '.';
  s += key;
  return s;
}

std::string parse_error_text(const rapidjson::Document& doc) {
  std::string s = "not valid JSON (";
  s += rapidjson::GetParseError_En(doc.GetParseError());
  s += " at offset ";
  s += std::to_string(doc.GetErrorOffset());
  s += ')';
  return s;
}

// Reads an unsigned integer member within [lo, hi]; writes an error naming the key otherwise.
bool read_uint(const rapidjson::Value& v, std::string_view where, std::string_view key,
               std::uint64_t lo, std::uint64_t hi, std::uint64_t& out, std::string& err) {
  if (!v.IsUint64() || v.GetUint64() < lo || v.GetUint64() > hi) {
    err = key_path(where, key) + ": expected an integer from " + std::to_string(lo) + " to " +
          std::to_string(hi);
    return false;
  }
  out = v.GetUint64();
  return true;
}

bool allowed_for(fault_kind k, std::string_view key) {
  if (key == "kind" || key == "probability" || key == "count" || key == "stream") return true;
  if (key == "status" || key == "retry_after") return k == fault_kind::status;
  if (key == "after_tokens") return k == fault_kind::cut;
  if (key == "ms") return k == fault_kind::delay || k == fault_kind::slow_first_token;
  return false;
}

bool is_known_key(std::string_view key) {
  for (auto k :
       {"kind", "probability", "count", "stream", "status", "retry_after", "after_tokens", "ms"}) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(fault_kind k) noexcept {
  auto i = static_cast<std::size_t>(k);
  return i < kind_names.size() ? kind_names[i] : std::string_view{"unknown"};
}

std::optional<fault_kind> parse_fault_kind(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kind_names.size(); ++i) {
    if (kind_names[i] == s) return static_cast<fault_kind>(i);
  }
  return std::nullopt;
}

bool fault_rule::matches(bool is_stream) const noexcept {
  if (count && *count == 0) return false;
  return !stream || *stream == is_stream;
}

result<fault_rule, std::string> parse_fault_rule(const rapidjson::Value& v,
                                                 std::string_view where) {
  if (!v.IsObject()) return std::string(where) + ": expected a JSON object";
  fault_rule r;
  auto kind_it = v.FindMember("kind");
  if (kind_it == v.MemberEnd()) {
    return key_path(where, "kind") +
           ": missing; expected one of status, hang, reset, cut, slow_first_token, delay";
  }
  if (!kind_it->value.IsString()) return key_path(where, "kind") + ": expected a string";
  auto kind = parse_fault_kind({kind_it->value.GetString(), kind_it->value.GetStringLength()});
  if (!kind) {
    return key_path(where, "kind") + ": unknown kind \"" +
           std::string(kind_it->value.GetString(), kind_it->value.GetStringLength()) +
           "\"; expected one of status, hang, reset, cut, slow_first_token, delay";
  }
  r.kind = *kind;

  bool has_ms = false;
  std::string err;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string_view key{it->name.GetString(), it->name.GetStringLength()};
    const auto& val = it->value;
    if (!is_known_key(key)) return key_path(where, key) + ": unknown key";
    if (!allowed_for(r.kind, key)) {
      return key_path(where, key) + ": not valid for kind \"" + std::string(to_string(r.kind)) +
             "\"";
    }
    std::uint64_t n = 0;
    if (key == "kind") {
      continue;
    } else if (key == "status") {
      if (!read_uint(val, where, key, 400, 599, n, err)) return err;
      r.status = static_cast<unsigned>(n);
    } else if (key == "retry_after") {
      if (!read_uint(val, where, key, 0, max_retry_after_s, n, err)) return err;
      r.retry_after_s = static_cast<std::uint32_t>(n);
    } else if (key == "probability") {
      if (!val.IsNumber() || !(val.GetDouble() >= 0.0 && val.GetDouble() <= 1.0)) {
        return key_path(where, key) + ": expected a number from 0 to 1";
      }
      r.probability = val.GetDouble();
    } else if (key == "count") {
      if (!read_uint(val, where, key, 1, UINT64_MAX, n, err)) return err;
      r.count = n;
    } else if (key == "after_tokens") {
      if (!read_uint(val, where, key, 0, max_after_tokens, n, err)) return err;
      r.after_tokens = static_cast<std::uint32_t>(n);
    } else if (key == "ms") {
      if (!read_uint(val, where, key, 0, max_ms, n, err)) return err;
      r.ms = static_cast<std::uint32_t>(n);
      has_ms = true;
    } else if (key == "stream") {
      if (!val.IsBool()) return key_path(where, key) + ": expected true or false";
      r.stream = val.GetBool();
    }
  }
  if ((r.kind == fault_kind::delay || r.kind == fault_kind::slow_first_token) && !has_ms) {
    return key_path(where, "ms") + ": missing; kind \"" + std::string(to_string(r.kind)) +
           "\" needs the milliseconds to add";
  }
  return r;
}

result<fault_rule, std::string> parse_fault_rule(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return "rule: " + parse_error_text(doc);
  return parse_fault_rule(doc, "rule");
}

result<std::vector<fault_rule>, std::string> parse_fault_plan(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return "fault plan: " + parse_error_text(doc);

  const rapidjson::Value* list = nullptr;
  if (doc.IsArray()) {
    list = &doc;
  } else if (doc.IsObject() && doc.HasMember("kind")) {
    auto r = parse_fault_rule(doc, "rule");
    if (!r) return std::string(r.error());
    return std::vector<fault_rule>{r.value()};
  } else if (doc.IsObject()) {
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      if (std::string_view{it->name.GetString(), it->name.GetStringLength()} != "rules") {
        return "fault plan: unknown key \"" +
               std::string(it->name.GetString(), it->name.GetStringLength()) +
               "\"; expected {\"rules\": [...]}, an array of rules, or one rule";
      }
    }
    auto it = doc.FindMember("rules");
    if (it == doc.MemberEnd()) return std::string("fault plan: missing \"rules\"");
    if (!it->value.IsArray()) return std::string("fault plan: \"rules\" must be an array");
    list = &it->value;
  } else {
    return std::string(
        "fault plan: expected {\"rules\": [...]}, an array of rules, or one rule object");
  }

  std::vector<fault_rule> rules;
  rules.reserve(list->Size());
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    auto r = parse_fault_rule((*list)[i], "rules[" + std::to_string(i) + "]");
    if (!r) return std::string(r.error());
    rules.push_back(r.value());
  }
  return rules;
}

std::string to_json(const fault_rule& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("kind");
  auto kind = to_string(r.kind);
  w.String(kind.data(), static_cast<rapidjson::SizeType>(kind.size()));
  if (r.kind == fault_kind::status) {
    w.Key("status");
    w.Uint(r.status);
    if (r.retry_after_s) {
      w.Key("retry_after");
      w.Uint(*r.retry_after_s);
    }
  }
  if (r.kind == fault_kind::cut && r.after_tokens) {
    w.Key("after_tokens");
    w.Uint(*r.after_tokens);
  }
  if (r.kind == fault_kind::delay || r.kind == fault_kind::slow_first_token) {
    w.Key("ms");
    w.Uint(r.ms);
  }
  w.Key("probability");
  w.Double(r.probability);
  if (r.count) {
    w.Key("count");
    w.Uint64(*r.count);
  }
  if (r.stream) {
    w.Key("stream");
    w.Bool(*r.stream);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

fault_plan::fault_plan(std::uint64_t seed, std::vector<fault_rule> rules) : rng_(seed) {
  replace(std::move(rules));
}

void fault_plan::replace(std::vector<fault_rule> rules) {
  std::lock_guard lock(mu_);
  rules_ = std::move(rules);
  empty_.store(rules_.empty(), std::memory_order_release);
}

bool fault_plan::fires(const fault_rule& r) {
  if (r.probability >= 1.0) return true;
  if (r.probability <= 0.0) return false;
  // 53 random bits give a uniform double in [0, 1) that is the same on every platform, unlike
  // std::uniform_real_distribution whose algorithm the standard leaves open.
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return u < r.probability;
}

std::optional<fault_rule> fault_plan::pick(bool is_stream, const fault_rule* request_rule) {
  if (!request_rule && empty_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(mu_);
  if (request_rule && request_rule->matches(is_stream) && fires(*request_rule)) {
    return *request_rule;
  }
  for (auto& r : rules_) {
    if (!r.matches(is_stream) || !fires(r)) continue;
    if (r.count) --*r.count;
    return r;
  }
  return std::nullopt;
}

bool fault_plan::fires_once(bool is_stream, const fault_rule& r) {
  if (!r.matches(is_stream)) return false;
  std::lock_guard lock(mu_);
  return fires(r);
}

std::string fault_plan::to_json() const {
  std::lock_guard lock(mu_);
  std::string out = "{\"rules\":[";
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (i) out += ',';
    out += mock::to_json(rules_[i]);
  }
  out += "]}";
  return out;
}

std::size_t fault_plan::size() const {
  std::lock_guard lock(mu_);
  return rules_.size();
}

}  // namespace switchyard::mock
