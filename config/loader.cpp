// YAML -> validated snapshot. One pass over the document: every mapping is checked against the
// keys it may hold, every scalar is substituted and converted, and the first problem found stops
// the load with an error naming file, line, column and the dotted key.
#include "config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "config/address.hpp"
#include "config/budget_period.hpp"
#include "config/key_hash.hpp"
#include "config/observability.hpp"
#include "config/substitute.hpp"

namespace switchyard::config {

std::string config_error::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0)
      out += ':' + std::to_string(column);
  }
  out += ": ";
  if (!key.empty())
    out += key + ": ";
  out += message;
  return out;
}

env_lookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    // getenv needs a terminated string; names are short.
    std::string n{name};
    const char* v = std::getenv(n.c_str());
    if (v == nullptr)
      return std::nullopt;
    return std::string{v};
  };
}

namespace {

// Limits that reject typos ("a zero too many") without getting in the way of real deployments.
constexpr std::uint64_t one_day_ms = 86'400'000;
constexpr std::uint64_t one_hour_ms = 3'600'000;
constexpr double max_price_usd_per_mtok = 100'000;
constexpr std::size_t max_name_length = 256;
// Budgets and rate limits: far above any real deployment, low enough to catch a slipped unit.
constexpr double max_budget_usd = 1e9;
constexpr std::uint64_t max_rpm = 10'000'000;
constexpr std::uint64_t max_tpm = 1'000'000'000;
constexpr std::size_t max_labels = 32;
constexpr std::size_t max_label_value_length = 256;

constexpr const char* default_openai_base_url = "https://api.openai.com/v1";
constexpr const char* default_anthropic_base_url = "https://api.anthropic.com/v1";
constexpr const char* default_gemini_base_url = "https://generativelanguage.googleapis.com/v1beta";
constexpr const char* provider_types = "mock, openai, openai-compatible, anthropic, gemini";

// The loader stops at the first error. Errors travel as an exception inside this file only (the
// recursive walk would otherwise check a result after every call); load_string turns it back
// into a value, so nothing escapes the public API.
struct load_failure {
  config_error error;
};

// One value in the document: a mapping entry or a list element, with its dotted path.
struct entry {
  std::string name;   // the key as written; empty for list elements
  YAML::Node key;     // the key node (undefined for list elements)
  YAML::Node value;
  std::string path;   // e.g. "providers[1].max_in_flight"
  YAML::Mark mark;    // where to point for a problem with the value
};

// A mapping whose keys were checked against the allowed set.
struct mapping {
  std::string path;
  YAML::Mark mark;
  std::vector<entry> entries;

  const entry* find(std::string_view name) const {
    for (const auto& e : entries)
      if (e.name == name)
        return &e;
    return nullptr;
  }
};

std::string join_path(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string{name} : parent + "." + std::string{name};
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += hex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty())
      out += sep;
    out += s;
  }
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out{s};
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s.front())))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool is_header_token(std::string_view s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

// Hop-by-hop and framing headers: the upstream client owns them, and a configured value would
// corrupt the exchange.
bool is_reserved_header(std::string_view lower_name) {
  static constexpr std::string_view reserved[] = {"host", "content-length", "transfer-encoding",
                                                  "connection", "keep-alive", "upgrade", "te",
                                                  "trailer", "proxy-connection"};
  return std::find(std::begin(reserved), std::end(reserved), lower_name) != std::end(reserved);
}

bool has_auth_header(const provider_config& p) {
  return std::any_of(p.headers.begin(), p.headers.end(), [](const auto& h) {
    std::string lower = lowercase(h.first);
    return lower == "authorization" || lower == "api-key" || lower == "x-api-key" ||
           lower == "x-goog-api-key";
  });
}

class loader {
 public:
  loader(const std::string& file, const env_lookup& env) : file_(file), env_(env) {}

  snapshot_ptr load(const YAML::Node& root) {
    auto out = std::make_shared<snapshot>();
    out->source = file_;
    snap_ = out.get();
    if (!root.IsMap())
      fail(root.Mark(), "", "the top level must be a mapping with providers:, models: and tenants:, got "
                                + describe(root));
    mapping top = open_map(root, "", root.Mark(),
                           {"server", "storage", "counters", "cluster", "providers", "models", "tenants"});
    if (auto* e = top.find("server"))
      read_server(*e);
    if (auto* e = top.find("storage"))
      read_storage(*e);
    if (!spool_dir_given_) snap_->server.spool_dir = default_spool_dir(snap_->storage);
    if (auto* e = top.find("counters"))
      read_counters(*e);
    if (auto* e = top.find("cluster"))
      read_cluster(*e);
    read_providers(require(top, "providers", "list at least one provider, e.g. - { name: demo, type: mock }"));
    read_models(require(top, "models", "list at least one model, e.g. - { name: demo-chat, targets: [...] }"));
    if (auto* e = top.find("tenants"))
      read_tenants(*e);
    check_admin_key();
    add_warnings();
    return out;
  }

 private:
  // --- errors --------------------------------------------------------------------------------

  [[noreturn]] void fail(const YAML::Mark& mark, std::string key, std::string message) const {
    config_error err;
    err.file = file_;
    if (!mark.is_null()) {
      err.line = mark.line + 1;
      err.column = mark.column + 1;
    }
    err.key = std::move(key);
    err.message = std::move(message);
    throw load_failure{std::move(err)};
  }

  [[noreturn]] void fail(const entry& e, std::string message) const {
    fail(e.mark, e.path, std::move(message));
  }

  static std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Map: return "a mapping";
      case YAML::NodeType::Scalar: return quote(n.Scalar());
      default: return "nothing";
    }
  }

  // Like describe(), but never shows the text of a scalar that may hold a secret.
  static std::string describe_secret(const YAML::Node& n) {
    return n.IsScalar() ? "a string" : describe(n);
  }

  // --- structure -----------------------------------------------------------------------------

  // Checks every key of `node` against `allowed`; unknown and repeated keys are errors.
  // `any_key`: every key is allowed (header names); repeats are still errors.
  mapping open_map(const YAML::Node& node, const std::string& path, const YAML::Mark& mark,
                   std::initializer_list<std::string_view> allowed, bool any_key = false) const {
    mapping m;
    m.path = path;
    m.mark = mark;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: the iterator's `->` yields a temporary proxy, so references into it dangle.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar())
        fail(k.Mark(), path, "keys must be plain strings, got " + describe(k));
      std::string name = k.Scalar();
      std::string key_path = join_path(path, name);
      if (!any_key && std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        fail(k.Mark(), key_path, unknown_key_message(name, allowed));
      if (const entry* first = m.find(name))
        fail(k.Mark(), key_path, "duplicate key (first set on line " + std::to_string(first->key.Mark().line + 1) + ")");
      entry e;
      e.name = std::move(name);
      e.key = k;
      e.value = v;
      e.path = std::move(key_path);
      // An empty value ("key:") has no position of its own: point at the key instead.
      e.mark = v.IsNull() ? k.Mark() : v.Mark();
      m.entries.push_back(std::move(e));
    }
    return m;
  }

  static std::string unknown_key_message(const std::string& name,
                                         std::initializer_list<std::string_view> allowed) {
    // Suggest close matches only: two edits, or a key cut short or run on ("latency").
    std::string best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    std::string typed = lowercase(name);
    for (auto a : allowed) {
      std::size_t d = edit_distance(typed, a);
      bool prefix = typed.size() >= 3 && (a.substr(0, typed.size()) == typed || typed.rfind(a, 0) == 0);
      if ((d <= 2 || prefix) && d < best_distance) {
        best_distance = d;
        best = std::string{a};
      }
    }
    std::string msg = "unknown key";
    if (!best.empty())
      msg += " (did you mean \"" + best + "\"?)";
    std::vector<std::string> names(allowed.begin(), allowed.end());
    return msg + "; valid keys here: " + join(names, ", ");
  }

  // The value of `e` as a checked mapping. `null_ok`: an empty value ("server:" with every
  // child commented out) reads as an empty mapping.
  mapping map_of(const entry& e, std::initializer_list<std::string_view> allowed, bool null_ok) const {
    if (e.value.IsNull() && null_ok)
      return mapping{e.path, e.mark, {}};
    if (!e.value.IsMap())
      fail(e, "must be a mapping, got " + describe(e.value));
    return open_map(e.value, e.path, e.mark, allowed);
  }

  // The elements of the list in `e`. `null_ok`: an empty value reads as an empty list.
  std::vector<entry> list_of(const entry& e, bool null_ok, std::string_view what, bool secret = false) const {
    std::vector<entry> out;
    if (e.value.IsNull() && null_ok)
      return out;
    if (!e.value.IsSequence())
      fail(e, "must be a list of " + std::string{what} + ", got "
                  + (secret ? describe_secret(e.value) : describe(e.value)));
    std::size_t i = 0;
    for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
      entry el;
      el.value = static_cast<const YAML::Node&>(*it);
      el.path = e.path + "[" + std::to_string(i) + "]";
      el.mark = el.value.IsNull() ? e.mark : el.value.Mark();
      out.push_back(std::move(el));
    }
    return out;
  }

  const entry& require(const mapping& m, std::string_view name, std::string_view hint) const {
    if (const entry* e = m.find(name))
      return *e;
    fail(m.mark, join_path(m.path, name), "is required; " + std::string{hint});
  }

  // --- scalars -------------------------------------------------------------------------------

  // The raw text of a scalar value; `what` names what was expected.
  std::string raw_scalar(const entry& e, std::string_view what, bool secret) const {
    if (!e.value.IsScalar())
      fail(e, "must be " + std::string{what} + ", got " + (secret ? describe_secret(e.value) : describe(e.value)));
    return e.value.Scalar();
  }

  substitution substituted(const entry& e, std::string_view what, bool secret) const {
    auto r = substitute(raw_scalar(e, what, secret), env_);
    if (!r.ok())
      fail(e, r.error());
    return std::move(r).value();
  }

  // A substituted string; an unset variable without a default is an error.
  std::string text(const entry& e, std::string_view what = "a string", bool secret = false) const {
    substitution s = substituted(e, what, secret);
    if (!s.unset.empty())
      fail(e, "environment variable " + s.unset.front() + " is unset; set it or give a default: ${"
                  + s.unset.front() + ":-value}");
    return std::move(s.text);
  }

  // A substituted credential. A variable it needs that is unset or empty is not an error: it is
  // recorded in `missing` and the caller disables what the credential was for. Empty counts as
  // unset because container tooling often passes "VAR=" for a variable the host does not have.
  std::string credential(const entry& e, std::vector<std::string>& missing) const {
    substitution s = substituted(e, "a string", true);
    for (const auto& v : s.unset) {
      std::string why = v + " is unset";
      if (std::find(missing.begin(), missing.end(), why) == missing.end())
        missing.push_back(std::move(why));
    }
    for (const auto& v : s.empty) {
      std::string why = v + " is empty";
      if (std::find(missing.begin(), missing.end(), why) == missing.end())
        missing.push_back(std::move(why));
    }
    return std::move(s.text);
  }

  std::uint64_t integer(const entry& e, std::uint64_t min, std::uint64_t max) const {
    std::string_view kind = min >= 1 ? "a positive integer" : "a non-negative integer";
    std::string s = text(e, kind);
    std::uint64_t v = 0;
    bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits)
      fail(e, "must be " + std::string{kind} + ", got " + quote(s));
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range || v > max)
      fail(e, "must be at most " + std::to_string(max) + ", got " + s);
    if (v < min)
      fail(e, min == 1 ? "must be a positive integer, got " + s
                       : "must be at least " + std::to_string(min) + ", got " + s);
    return v;
  }

  milliseconds millis(const entry& e, std::uint64_t min, std::uint64_t max) const {
    return milliseconds{static_cast<milliseconds::rep>(integer(e, min, max))};
  }

  bool boolean(const entry& e) const {
    std::string s = text(e, "true or false");
    if (s == "true") return true;
    if (s == "false") return false;
    fail(e, "must be true or false, got " + quote(s));
  }

  double number(const entry& e, double max) const {
    std::string s = text(e, "a non-negative number");
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
      fail(e, "must be a non-negative number, got " + quote(s));
    if (v < 0)
      fail(e, "must not be negative, got " + s);
    if (v > max) {
      std::ostringstream m;
      m << "must be at most " << max << ", got " << s;
      fail(e, m.str());
    }
    return v;
  }

  // A name used in metrics labels and logs: provider and tenant names.
  std::string identifier(const entry& e) const {
    std::string s = text(e, "a name");
    if (!is_identifier(s))
      fail(e, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got "
                  + quote(s));
    return s;
  }

  // A model name as clients and upstreams spell it ("gpt-4o-mini", "meta-llama/Llama-3-8B").
  std::string model_name(const entry& e) const {
    std::string s = text(e, "a model name");
    if (s.empty())
      fail(e, "must not be empty");
    if (s.size() > max_name_length)
      fail(e, "must be at most " + std::to_string(max_name_length) + " characters long");
    if (has_space_or_control(s))
      fail(e, "must not contain spaces or control characters, got " + quote(s));
    return s;
  }

  // Without `server.spool_dir`: next to a SQLite file (so gateways with separate files never
  // share a journal directory), var/spool otherwise.
  static std::string default_spool_dir(const std::string& storage) {
    constexpr std::string_view sqlite = "sqlite://";
    if (storage.rfind(sqlite, 0) != 0) return "var/spool";
    const std::string path = storage.substr(sqlite.size());
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return "spool";
    return path.substr(0, slash + 1) + "spool";
  }

  // --- sections ------------------------------------------------------------------------------

  void read_server(const entry& e) {
    mapping m = map_of(e,
                       {"listen", "max_header_bytes", "max_body_bytes", "read_timeout_ms",
                        "idle_timeout_ms", "write_timeout_ms", "drain_timeout_ms", "max_connections",
                        "io_threads", "actor_threads", "admin_key", "usage_spool_records",
                        "fail_closed_on_storage_error", "metrics", "access_log", "log_level",
                        "spool_dir", "spool_fsync"},
                       true);
    server_config& s = snap_->server;
    if (auto* l = m.find("listen")) {
      std::string v = text(*l, "a string \"host:port\"");
      auto parsed = parse_listen(v);
      if (!parsed.ok())
        fail(*l, parsed.error());
      s.listen_host = std::move(parsed->host);
      s.listen_port = parsed->port;
    }
    if (auto* v = m.find("max_header_bytes"))
      s.max_header_bytes = integer(*v, 1024, 1024 * 1024);
    if (auto* v = m.find("max_body_bytes"))
      s.max_body_bytes = integer(*v, 1024, 1024ull * 1024 * 1024);
    if (auto* v = m.find("read_timeout_ms"))
      s.read_timeout = millis(*v, 1, one_day_ms);
    if (auto* v = m.find("idle_timeout_ms"))
      s.idle_timeout = millis(*v, 1, one_day_ms);
    if (auto* v = m.find("write_timeout_ms"))
      s.write_timeout = millis(*v, 1, one_day_ms);
    if (auto* v = m.find("drain_timeout_ms"))
      s.drain_timeout = millis(*v, 0, one_hour_ms);
    if (auto* v = m.find("max_connections"))
      s.max_connections = static_cast<std::uint32_t>(integer(*v, 1, 1'000'000));
    if (auto* v = m.find("io_threads"))
      s.io_threads = static_cast<unsigned>(integer(*v, 0, 1024));
    if (auto* v = m.find("actor_threads"))
      s.actor_threads = static_cast<unsigned>(integer(*v, 0, 1024));
    if (auto* v = m.find("usage_spool_records"))
      s.usage_spool_records = static_cast<std::size_t>(integer(*v, 1, 100'000'000));
    if (auto* v = m.find("fail_closed_on_storage_error"))
      s.fail_closed_on_storage_error = boolean(*v);
    if (auto* v = m.find("spool_dir")) {
      s.spool_dir = text(*v, "a directory path");
      spool_dir_given_ = true;
      if (s.spool_dir.empty()) fail(*v, "must name a directory, e.g. var/spool");
    }
    if (auto* v = m.find("spool_fsync")) s.spool_fsync = boolean(*v);
    if (auto* v = m.find("admin_key")) {
      // Empty (e.g. "${SWITCHYARD_ADMIN_KEY:-}") turns the admin API off.
      std::string key = text(*v, "a string", true);
      if (!key.empty()) {
        auto k = parse_key(*v, key);
        s.admin_key_hash = std::move(k.first);
        admin_key_ = *v;
      }
    }
    if (auto* v = m.find("metrics")) s.metrics = boolean(*v);
    if (auto* v = m.find("access_log")) {
      auto parsed = parse_access_log(text(*v, "stderr, stdout, off or a file path"),
                                     s.observability);
      if (!parsed.ok()) fail(*v, parsed.error());
      s.observability = std::move(parsed).value();
    }
    if (auto* v = m.find("log_level")) {
      auto parsed = parse_log_level(text(*v, "debug, info, warning or error"));
      if (!parsed.ok()) fail(*v, parsed.error());
      s.observability.log_level = parsed.value();
    }
  }

  void read_storage(const entry& e) {
    std::string s = text(e, "a storage URL", true);
    // The URL may carry a password: errors show the scheme only.
    std::string scheme = s.substr(0, s.find("://"));
    if (s.rfind("sqlite://", 0) == 0) {
      if (s.size() == std::string_view{"sqlite://"}.size())
        fail(e, "sqlite:// needs a file path, e.g. sqlite://var/switchyard.db");
    } else if (s.rfind("postgres://", 0) == 0 || s.rfind("postgresql://", 0) == 0) {
      if (s.size() == scheme.size() + 3)
        fail(e, scheme + ":// needs a host, e.g. postgres://user@db.internal/switchyard");
    } else {
      fail(e, "must be sqlite://<path>, postgres://... or postgresql://...; got "
                  + (s.find("://") == std::string::npos ? quote(s) : "scheme " + quote(scheme)));
    }
    snap_->storage = std::move(s);
  }

  void read_counters(const entry& e) {
    std::string s = text(e, "\"memory\" or a redis:// URL", true);
    std::string scheme = s.substr(0, s.find("://"));
    if (s == "memory") {
    } else if (s.rfind("redis://", 0) == 0 || s.rfind("rediss://", 0) == 0) {
      if (s.size() == scheme.size() + 3)
        fail(e, scheme + ":// needs a host, e.g. redis://127.0.0.1:6379");
    } else {
      fail(e, "must be memory, redis://... or rediss://...; got "
                  + (s.find("://") == std::string::npos ? quote(s) : "scheme " + quote(scheme)));
    }
    snap_->counters = std::move(s);
  }

  void read_cluster(const entry& e) {
    mapping m = map_of(e, {"node_id", "lease_ttl_ms", "report_interval_ms", "on_counters_down"},
                       true);
    cluster_config& c = snap_->cluster;
    if (auto* v = m.find("node_id")) c.node_id = identifier(*v);
    if (auto* v = m.find("lease_ttl_ms")) c.lease_ttl = millis(*v, 500, 600'000);
    if (auto* v = m.find("report_interval_ms")) c.report_interval = millis(*v, 10, 60'000);
    // A lease must outlive several reports, or a healthy node would lose it between two.
    if (c.report_interval * 3 > c.lease_ttl)
      fail(e, "report_interval_ms (" + std::to_string(c.report_interval.count()) +
                  ") must be at most a third of lease_ttl_ms (" +
                  std::to_string(c.lease_ttl.count()) + "): leases are renewed by the reports");
    if (auto* d = m.find("on_counters_down")) {
      mapping dm = map_of(*d, {"budgets", "rate_limits"}, true);
      auto policy = [&](const entry& v) {
        std::string s = text(v, "closed or open");
        if (s == "closed") return counters_down_policy::closed;
        if (s == "open") return counters_down_policy::open;
        fail(v, "must be closed or open, got " + quote(s));
      };
      if (auto* v = dm.find("budgets")) c.on_counters_down.budgets = policy(*v);
      if (auto* v = dm.find("rate_limits")) c.on_counters_down.rate_limits = policy(*v);
    }
  }

  void read_providers(const entry& e) {
    auto items = list_of(e, false, "providers");
    if (items.empty())
      fail(e, "must list at least one provider");
    std::map<std::string, int> lines;  // name -> line of first definition
    for (const auto& item : items)
      snap_->providers.push_back(read_provider(item, lines));
  }

  // Names must be unique in their section; `lines` maps each name seen so far to its line.
  void check_unique(const entry& name_entry, const std::string& name, std::string_view what,
                    std::map<std::string, int>& lines) const {
    auto [it, fresh] = lines.emplace(name, name_entry.mark.line + 1);
    if (!fresh)
      fail(name_entry, "duplicate " + std::string{what} + " name " + quote(name) + " (first defined on line "
                           + std::to_string(it->second) + ")");
  }

  provider_config read_provider(const entry& e, std::map<std::string, int>& names) {
    mapping m =
        map_of(e,
               {"name", "type", "base_url", "api_key", "max_in_flight", "max_queue",
                "queue_timeout_ms", "max_idle_connections", "connect_timeout_ms",
                "first_byte_timeout_ms", "idle_timeout_ms", "total_timeout_ms", "headers", "mock",
                "anthropic_version", "retains_prompts", "trains_on_data", "zdr", "region", "circuit",
                "retry_budget", "hedge_budget", "max_cooldown_ms"},
               false);
    provider_config p;
    p.line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const entry& name = require(m, "name", "a provider name, e.g. openai");
    p.name = identifier(name);
    check_unique(name, p.name, "provider", names);
    const entry& type_entry = require(m, "type", std::string{"one of: "} + provider_types);
    std::string type = text(type_entry, "a provider type");
    if (type == "mock")
      p.type = provider_type::mock;
    else if (type == "openai")
      p.type = provider_type::openai;
    else if (type == "openai-compatible")
      p.type = provider_type::openai_compatible;
    else if (type == "anthropic")
      p.type = provider_type::anthropic;
    else if (type == "gemini")
      p.type = provider_type::gemini;
    else
      fail(type_entry, "unknown provider type " + quote(type) + "; valid types: " + provider_types);

    std::vector<std::string> missing;  // credentials whose variable is unset
    if (auto* b = m.find("base_url")) {
      if (p.type == provider_type::mock)
        fail(*b, "is not used by a mock provider (it answers in-process); remove it");
      p.base_url = text(*b, "a URL");
    } else if (p.type == provider_type::openai) {
      p.base_url = default_openai_base_url;
    } else if (p.type == provider_type::anthropic) {
      p.base_url = default_anthropic_base_url;
    } else if (p.type == provider_type::gemini) {
      p.base_url = default_gemini_base_url;
    } else if (p.type == provider_type::openai_compatible) {
      fail(m.mark, join_path(m.path, "base_url"),
           "is required for type openai-compatible, e.g. http://127.0.0.1:8000/v1");
    }
    if (!p.base_url.empty()) {
      auto u = parse_base_url(p.base_url);
      if (!u.ok())
        fail(*m.find("base_url"), u.error());
      p.endpoint = std::move(u).value();
    }
    const entry* api_key = m.find("api_key");
    if (api_key) {
      if (raw_scalar(*api_key, "a string", true).empty())
        fail(*api_key, "must not be empty; omit api_key when the upstream needs none");
      p.api_key = credential(*api_key, missing);
    }
    if (auto* v = m.find("max_in_flight"))
      p.max_in_flight = static_cast<std::uint32_t>(integer(*v, 1, 100'000));
    // An absent max_queue lets as many attempts wait as may run; an explicit 0 turns the queue
    // off, so a full provider refuses at once and the request moves to its next target.
    if (auto* v = m.find("max_queue"))
      p.max_queue = static_cast<std::uint32_t>(integer(*v, 0, 1'000'000));
    else
      p.max_queue = p.max_in_flight;
    if (auto* v = m.find("queue_timeout_ms"))
      p.queue_timeout = millis(*v, 1, one_hour_ms);
    if (auto* v = m.find("max_idle_connections"))
      p.max_idle_connections = static_cast<std::uint32_t>(integer(*v, 0, 100'000));
    if (auto* v = m.find("connect_timeout_ms"))
      p.timeouts.connect = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("first_byte_timeout_ms"))
      p.timeouts.first_byte = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("idle_timeout_ms"))
      p.timeouts.idle = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("total_timeout_ms"))
      p.timeouts.total = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("circuit")) read_circuit(*v, p.circuit);
    if (auto* v = m.find("retry_budget")) read_retry_budget(*v, p.retry_budget);
    if (auto* v = m.find("hedge_budget")) read_hedge_budget(*v, p.hedge_budget);
    if (auto* v = m.find("max_cooldown_ms")) p.max_cooldown = millis(*v, 0, one_hour_ms);
    if (auto* h = m.find("headers"))
      read_headers(*h, p, api_key != nullptr, missing);
    if (auto* mk = m.find("mock")) {
      if (p.type != provider_type::mock)
        fail(mk->key.Mark(), mk->path, "is only valid for type mock");
      read_mock(*mk, p.mock);
    }
    if (auto* v = m.find("anthropic_version")) {
      if (p.type != provider_type::anthropic)
        fail(v->key.Mark(), v->path, "is only valid for type anthropic");
      p.anthropic_version = text(*v, "an API version, e.g. 2023-06-01");
      if (p.anthropic_version.empty() ||
          p.anthropic_version.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos)
        fail(*v, "must be a non-empty single-line string, e.g. 2023-06-01");
    }

    read_data_attributes(m, p);

    if (!missing.empty()) {
      p.enabled = false;
      p.disabled_reason = join(missing, ", ");
      p.api_key.clear();  // half a credential is no credential
      snap_->warnings.push_back("provider '" + p.name + "' disabled: " + p.disabled_reason);
    } else if (p.type != provider_type::mock && p.type != provider_type::openai_compatible &&
               p.api_key.empty() && !has_auth_header(p)) {
      snap_->warnings.push_back("provider '" + p.name
                                + "' has no api_key: requests go upstream without credentials");
    }
    return p;
  }

  // Header values are credentials (Azure's api-key, "Authorization: Bearer ${TOKEN}"): an unset
  // variable in one disables the provider like an unset api_key.
  void read_headers(const entry& e, provider_config& p, bool has_api_key,
                    std::vector<std::string>& missing) const {
    if (e.value.IsNull())
      return;
    if (!e.value.IsMap())
      fail(e, "must be a mapping of header name to value, got " + describe(e.value));
    mapping m = open_map(e.value, e.path, e.mark, {}, true);
    std::map<std::string, std::string> seen;  // lowercase name -> name as first written
    for (const auto& h : m.entries) {
      YAML::Mark at = h.key.Mark();
      if (!is_header_token(h.name))
        fail(at, h.path, "is not a valid HTTP header name");
      std::string lower = lowercase(h.name);
      if (is_reserved_header(lower))
        fail(at, h.path, "is managed by the gateway's HTTP client and cannot be configured");
      if (lower == api_key_header(p.type) && has_api_key)
        fail(at, h.path, "conflicts with api_key, which is sent as " + quote(std::string{api_key_header(p.type)})
                             + "; set only one");
      auto [it, fresh] = seen.emplace(lower, h.name);
      if (!fresh)
        fail(at, h.path, "duplicate header: names are case-insensitive and " + it->second + " is already set");
      std::string value = credential(h, missing);
      if (value.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos)
        fail(h, "must not contain line breaks or NUL characters");
      // An empty value ("${OPENAI_ORG:-}" with the variable unset) means: do not send it.
      if (!value.empty())
        p.headers.emplace(h.name, std::move(value));
    }
  }

  // What the provider does with prompts, matched against tenant policies by the router.
  void read_data_attributes(const mapping& m, provider_config& p) const {
    if (auto* v = m.find("retains_prompts"))
      p.retains_prompts = boolean(*v);
    if (auto* v = m.find("trains_on_data"))
      p.trains_on_data = boolean(*v);
    if (auto* v = m.find("zdr"))
      p.zdr = boolean(*v);
    if (p.zdr && p.retains_prompts)
      fail(*m.find("zdr"), "contradicts retains_prompts: true (zero data retention means no prompt is kept)");
    if (auto* v = m.find("region"))
      p.region = region(*v);
  }

  // A region tag, e.g. "eu", "us-east": lowercase letters, digits and '-'.
  std::string region(const entry& e) const {
    std::string s = text(e, "a region name, e.g. eu");
    bool ok = !s.empty() && s.size() <= 32 && std::isalnum(static_cast<unsigned char>(s.front())) &&
              std::all_of(s.begin(), s.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
              });
    if (!ok)
      fail(e, "must be a region name of 1 to 32 lowercase letters, digits or '-', e.g. eu or us-east, got "
                  + quote(s));
    return s;
  }

  // `policy:` of a tenant: where its requests may go.
  data_policy read_policy(const entry& e) const {
    mapping m = map_of(e, {"deny_training", "deny_retention", "require_zdr", "regions"}, true);
    data_policy p;
    if (auto* v = m.find("deny_training"))
      p.deny_training = boolean(*v);
    if (auto* v = m.find("deny_retention"))
      p.deny_retention = boolean(*v);
    if (auto* v = m.find("require_zdr"))
      p.require_zdr = boolean(*v);
    if (auto* v = m.find("regions")) {
      auto items = list_of(*v, false, "region names");
      if (items.empty())
        fail(*v, "must list at least one region; omit regions to allow every region");
      for (const auto& item : items) {
        std::string r = region(item);
        if (std::find(p.regions.begin(), p.regions.end(), r) != p.regions.end())
          fail(item, "region " + quote(r) + " is listed twice");
        p.regions.push_back(std::move(r));
      }
    }
    return p;
  }

  void read_circuit(const entry& e, circuit_config& c) const {
    mapping m = map_of(e,
                       {"consecutive_failures", "error_rate", "min_requests", "window_ms",
                        "base_ejection_ms", "max_ejection_ms", "half_open_probes"},
                       true);
    if (auto* v = m.find("consecutive_failures"))
      c.consecutive_failures = static_cast<std::uint32_t>(integer(*v, 0, 1'000'000));
    if (auto* v = m.find("error_rate")) c.error_rate = number(*v, 1.0);
    if (auto* v = m.find("min_requests"))
      c.min_requests = static_cast<std::uint32_t>(integer(*v, 1, 1'000'000));
    if (auto* v = m.find("window_ms")) c.window = millis(*v, 100, one_hour_ms);
    if (auto* v = m.find("base_ejection_ms")) c.base_ejection = millis(*v, 1, one_hour_ms);
    if (auto* v = m.find("max_ejection_ms")) c.max_ejection = millis(*v, 1, one_hour_ms);
    if (auto* v = m.find("half_open_probes"))
      c.half_open_probes = static_cast<std::uint32_t>(integer(*v, 1, 1'000));
    if (c.max_ejection < c.base_ejection)
      fail(m.mark, join_path(m.path, "max_ejection_ms"),
           "must be at least base_ejection_ms (" + std::to_string(c.base_ejection.count()) + ")");
  }

  void read_retry_budget(const entry& e, retry_budget_config& b) const {
    mapping m = map_of(e, {"percent", "min_retries", "window_ms"}, true);
    if (auto* v = m.find("percent")) b.percent = number(*v, 100.0);
    if (auto* v = m.find("min_retries"))
      b.min_retries = static_cast<std::uint32_t>(integer(*v, 0, 1'000'000));
    if (auto* v = m.find("window_ms")) b.window = millis(*v, 100, one_hour_ms);
  }

  void read_hedge_budget(const entry& e, hedge_budget_config& b) const {
    mapping m = map_of(e, {"max_tokens", "token_ratio"}, true);
    if (auto* v = m.find("max_tokens")) b.max_tokens = number(*v, 1'000'000);
    if (auto* v = m.find("token_ratio")) b.token_ratio = number(*v, 1.0);
  }

  void read_hedge(const entry& e, const model_config& model, hedge_config& h) const {
    mapping m = map_of(e, {"after", "max"}, false);
    const entry& after = require(m, "after", "p95, or a delay in milliseconds, e.g. 200");
    const std::string a = text(after, "p95 or milliseconds");
    if (a == "p95")
      h.after_p95 = true;
    else if (!a.empty() &&
             std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; }))
      h.after = millis(after, 1, one_hour_ms);
    else
      fail(after, "must be p95 or a delay in milliseconds, e.g. 200, got " + quote(a));
    if (auto* v = m.find("max")) h.max = static_cast<std::uint32_t>(integer(*v, 1, 3));
    if (h.max >= model.max_attempts)
      fail(m.mark, join_path(m.path, "max"),
           "leaves no attempt for the request itself: max_attempts (" +
               std::to_string(model.max_attempts) + ") must be greater than the hedges (" +
               std::to_string(h.max) + ")");
  }

  void read_model_timeouts(const entry& e, model_timeouts& t) const {
    mapping m = map_of(e, {"connect_ms", "first_token_ms", "idle_ms", "total_ms"}, true);
    if (auto* v = m.find("connect_ms")) t.connect = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("first_token_ms")) t.first_byte = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("idle_ms")) t.idle = millis(*v, 0, one_day_ms);
    if (auto* v = m.find("total_ms")) t.total = millis(*v, 0, one_day_ms);
  }

  void read_backoff(const entry& e, backoff_config& b) const {
    mapping m = map_of(e, {"base_ms", "max_ms"}, true);
    if (auto* v = m.find("base_ms")) b.base = millis(*v, 1, one_hour_ms);
    if (auto* v = m.find("max_ms")) b.max = millis(*v, 1, one_hour_ms);
    if (b.max < b.base)
      fail(m.mark, join_path(m.path, "max_ms"),
           "must be at least base_ms (" + std::to_string(b.base.count()) + ")");
  }

  void read_mock(const entry& e, mock_settings& mock) const {
    mapping m = map_of(e, {"latency_ms", "tokens_per_second", "reply_tokens"}, true);
    if (auto* v = m.find("latency_ms"))
      mock.latency = millis(*v, 0, one_hour_ms);
    if (auto* v = m.find("tokens_per_second"))
      mock.tokens_per_second = number(*v, 1'000'000);
    if (auto* v = m.find("reply_tokens"))
      mock.reply_tokens = static_cast<std::uint32_t>(integer(*v, 0, 1'000'000));
  }

  void read_models(const entry& e) {
    auto items = list_of(e, false, "models");
    if (items.empty())
      fail(e, "must list at least one model");
    std::map<std::string, int> lines;
    for (const auto& item : items)
      snap_->models.push_back(read_model(item, lines));
  }

  model_config read_model(const entry& e, std::map<std::string, int>& names) {
    mapping m = map_of(e,
                       {"name", "targets", "max_attempts", "drop_unsupported", "strategy", "hedge",
                        "timeouts", "retry_backoff"},
                       false);
    model_config model;
    if (auto* v = m.find("strategy"))
      model.strategy = strategy(*v);
    const entry& name = require(m, "name", "the model name clients ask for, e.g. gpt-4o-mini");
    model.name = model_name(name);
    check_unique(name, model.name, "model", names);
    const entry& targets = require(m, "targets", "list at least one { provider, model }");
    auto items = list_of(targets, false, "targets");
    if (items.empty())
      fail(targets, "must list at least one target");
    for (const auto& item : items) {
      target_config t = read_target(item, model.strategy);
      for (std::size_t i = 0; i < model.targets.size(); ++i)
        if (model.targets[i].provider == t.provider && model.targets[i].model == t.model)
          fail(item, "duplicate target: same provider and model as " + targets.path + "["
                         + std::to_string(i) + "]");
      model.targets.push_back(std::move(t));
    }
    if (auto* v = m.find("max_attempts"))
      model.max_attempts = static_cast<std::uint32_t>(integer(*v, 1, 10));
    if (auto* v = m.find("drop_unsupported"))
      model.drop_unsupported = boolean(*v);
    if (auto* v = m.find("hedge")) read_hedge(*v, model, model.hedge.emplace());
    if (auto* v = m.find("timeouts")) read_model_timeouts(*v, model.timeouts);
    if (auto* v = m.find("retry_backoff")) read_backoff(*v, model.retry_backoff);
    return model;
  }

  routing_strategy strategy(const entry& e) const {
    static constexpr routing_strategy all[] = {routing_strategy::ordered, routing_strategy::weighted,
                                               routing_strategy::cost, routing_strategy::latency,
                                               routing_strategy::least_busy};
    std::string s = text(e, "a strategy name");
    for (auto candidate : all)
      if (to_string(candidate) == s)
        return candidate;
    fail(e, "must be one of ordered, weighted, cost, latency, least-busy; got " + quote(s));
  }

  target_config read_target(const entry& e, routing_strategy strategy) const {
    mapping m = map_of(e,
                       {"provider", "model", "input_usd_per_mtok", "output_usd_per_mtok",
                        "cached_input_usd_per_mtok", "weight"},
                       false);
    target_config t;
    const entry& provider = require(m, "provider", "the name of one of the providers");
    t.provider = text(provider, "a provider name");
    auto& providers = snap_->providers;
    auto it = std::find_if(providers.begin(), providers.end(),
                           [&](const provider_config& p) { return p.name == t.provider; });
    if (it == providers.end()) {
      std::vector<std::string> names;
      for (const auto& p : providers)
        names.push_back(p.name);
      fail(provider, "unknown provider " + quote(t.provider) + "; configured providers: " + join(names, ", "));
    }
    t.provider_index = static_cast<std::size_t>(it - providers.begin());
    t.model = model_name(require(m, "model", "the upstream's model name, e.g. gpt-4o-mini"));
    if (auto* v = m.find("input_usd_per_mtok"))
      t.input_usd_per_mtok = number(*v, max_price_usd_per_mtok);
    if (auto* v = m.find("output_usd_per_mtok"))
      t.output_usd_per_mtok = number(*v, max_price_usd_per_mtok);
    if (auto* v = m.find("cached_input_usd_per_mtok"))
      t.cached_input_usd_per_mtok = number(*v, max_price_usd_per_mtok);
    if (auto* v = m.find("weight")) {
      // Only the weighted strategy reads it: elsewhere it would silently do nothing.
      if (strategy != routing_strategy::weighted)
        fail(v->key.Mark(), v->path, "is only used by strategy: weighted (this model's strategy is "
                                         + std::string{to_string(strategy)} + ")");
      t.weight = number(*v, 1'000'000);
      if (t.weight <= 0)
        fail(*v, "must be greater than 0; remove the target to send it nothing");
    }
    return t;
  }

  void read_tenants(const entry& e) {
    auto items = list_of(e, true, "tenants");
    std::map<std::string, int> lines;
    for (const auto& item : items)
      snap_->tenants.push_back(read_tenant(item, lines));
  }

  tenant_config read_tenant(const entry& e, std::map<std::string, int>& names) {
    mapping m = map_of(e, {"name", "keys", "allowed_models", "budget", "rpm", "tpm", "labels",
                               "policy"}, false);
    tenant_config t;
    const entry& name = require(m, "name", "a tenant name, e.g. dev");
    t.name = identifier(name);
    check_unique(name, t.name, "tenant", names);
    // Before the keys: a key's allowed_models must lie within the tenant's.
    if (auto* allowed = m.find("allowed_models"))
      t.allowed_models = read_allowed_models(*allowed, nullptr);
    read_limits(m, t.limits);
    if (auto* v = m.find("labels"))
      t.labels = read_labels(*v);
    const entry& keys = require(m, "keys", "list at least one API key (or \"sha256:<hex>\")");
    auto items = list_of(keys, false, "keys", true);
    if (items.empty())
      fail(keys, "must list at least one key");
    for (const auto& item : items)
      t.keys.push_back(read_key(item, t));
    if (auto* policy = m.find("policy"))
      t.policy = read_policy(*policy);
    return t;
  }

  // A key: a string (the key) or a mapping {key, name, budget, rpm, tpm, allowed_models, labels,
  // expires_at}.
  key_config read_key(const entry& item, const tenant_config& t) {
    key_config k;
    const entry* key_entry = &item;
    std::optional<mapping> m;
    if (item.value.IsMap()) {
      m = open_map(item.value, item.path, item.mark,
                   {"key", "name", "budget", "rpm", "tpm", "allowed_models", "labels", "expires_at",
                    "policy"});
      key_entry = &require(*m, "key", "the API key itself (or \"sha256:<hex>\")");
    }
    std::string key = text(*key_entry, "a string", true);
    auto [hash, prefix] = parse_key(*key_entry, key);
    auto [it, fresh] = key_owners_.emplace(hash, key_entry->path);
    if (!fresh)
      fail(*key_entry, "duplicate key: the same key as " + it->second);
    k.hash = std::move(hash);
    k.prefix = std::move(prefix);
    if (!m)
      return k;
    if (auto* v = m->find("name")) {
      k.name = text(*v, "a name");
      if (k.name.size() > max_label_value_length || has_control(k.name))
        fail(*v, "must be at most " + std::to_string(max_label_value_length)
                     + " characters without control characters");
    }
    read_limits(*m, k.limits);
    if (auto* v = m->find("allowed_models"))
      k.allowed_models = read_allowed_models(*v, &t);
    if (auto* v = m->find("labels"))
      k.labels = read_labels(*v);
    if (auto* v = m->find("expires_at")) {
      std::string s = text(*v, "an RFC 3339 UTC time, e.g. 2027-01-31T00:00:00Z");
      auto at = parse_rfc3339_utc(s);
      if (!at)
        fail(*v, "must be an RFC 3339 UTC time such as 2027-01-31T00:00:00Z, got " + quote(s));
      k.expires_at = *at;
    }
    if (auto* policy = m->find("policy"))
      k.policy = read_policy(*policy);
    return k;
  }

  // `allowed_models` of a tenant (`within` null) or of a key of tenant `within`.
  std::vector<std::string> read_allowed_models(const entry& e, const tenant_config* within) const {
    std::vector<std::string> out;
    for (const auto& item : list_of(e, true, "model names")) {
      std::string model = text(item, "a model name");
      if (snap_->find_model(model) == nullptr)
        fail(item, "unknown model " + quote(model) + "; configured models: " + model_names());
      if (within != nullptr && !within->allowed_models.empty() &&
          std::find(within->allowed_models.begin(), within->allowed_models.end(), model) ==
              within->allowed_models.end())
        fail(item, "model " + quote(model) + " is not allowed for tenant " + quote(within->name)
                       + "; a key may only narrow the tenant's allowed_models: "
                       + join(within->allowed_models, ", "));
      if (std::find(out.begin(), out.end(), model) != out.end())
        fail(item, "model " + quote(model) + " is listed twice");
      out.push_back(std::move(model));
    }
    return out;
  }

  // `budget`, `rpm` and `tpm` of a tenant or a key.
  void read_limits(const mapping& m, limits_config& limits) const {
    if (auto* v = m.find("budget"))
      limits.budget = read_budget(*v);
    if (auto* v = m.find("rpm"))
      limits.rpm = static_cast<std::uint32_t>(integer(*v, 0, max_rpm));
    if (auto* v = m.find("tpm"))
      limits.tpm = static_cast<std::uint32_t>(integer(*v, 0, max_tpm));
  }

  budget_config read_budget(const entry& e) const {
    mapping m = map_of(e, {"usd", "period", "soft_threshold"}, false);
    budget_config b;
    const entry& usd = require(m, "usd", "the cap in US dollars, e.g. usd: 50");
    b.usd = number(usd, max_budget_usd);
    if (b.usd <= 0)
      fail(usd, "must be more than 0 (a key that may not spend should be removed or given "
                "allowed_models: [])");
    if (auto* v = m.find("period")) {
      std::string s = text(*v, "a budget period");
      auto p = parse_budget_period(s);
      if (!p)
        fail(*v, "unknown budget period " + quote(s) + "; valid periods: daily, weekly, monthly, total");
      b.period = *p;
    }
    if (auto* v = m.find("soft_threshold")) {
      b.soft_threshold = number(*v, 1);
      if (b.soft_threshold <= 0)
        fail(*v, "must be more than 0 and at most 1 (a fraction of usd, e.g. 0.8)");
    }
    return b;
  }

  // `labels`: a small mapping of name -> string, reported in GET /v1/key.
  std::map<std::string, std::string> read_labels(const entry& e) const {
    std::map<std::string, std::string> out;
    if (e.value.IsNull())
      return out;
    if (!e.value.IsMap())
      fail(e, "must be a mapping of label name to value, got " + describe(e.value));
    mapping m = open_map(e.value, e.path, e.mark, {}, true);
    if (m.entries.size() > max_labels)
      fail(e, "must hold at most " + std::to_string(max_labels) + " labels, got "
                  + std::to_string(m.entries.size()));
    for (const auto& l : m.entries) {
      if (!is_identifier(l.name))
        fail(l.key.Mark(), l.path,
             "label names must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
      std::string value = text(l, "a string");
      if (value.size() > max_label_value_length || has_control(value))
        fail(l, "must be at most " + std::to_string(max_label_value_length)
                    + " characters without control characters");
      out.emplace(l.name, std::move(value));
    }
    return out;
  }

  // A key as written: "sha256:<64 hex>" is kept as the digest; anything else is a plain key,
  // hashed here so the plain text never outlives the load. Returns {hash, visible prefix}.
  std::pair<std::string, std::string> parse_key(const entry& e, const std::string& key) const {
    static constexpr std::string_view tag = "sha256:";
    if (key.rfind(tag, 0) == 0) {
      std::string hex = lowercase(std::string_view{key}.substr(tag.size()));
      bool all_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
      if (hex.size() != 64 || !all_hex)
        fail(e, "a sha256: key must be followed by 64 hex characters, got " + std::to_string(hex.size())
                    + (all_hex ? "" : " including non-hex characters"));
      return {std::move(hex), std::string{tag} + "\xE2\x80\xA6"};
    }
    if (key.empty())
      fail(e, "must not be empty");
    if (has_space_or_control(key))
      fail(e, "must not contain spaces or control characters (it travels in an Authorization header)");
    return {sha256_hex(key), visible_prefix(key)};
  }

  // --- whole-snapshot checks -----------------------------------------------------------------

  void check_admin_key() const {
    if (!admin_key_)
      return;
    auto it = key_owners_.find(snap_->server.admin_key_hash);
    if (it != key_owners_.end())
      fail(*admin_key_, "must differ from every tenant key (it is the same key as " + it->second + ")");
  }

  void add_warnings() {
    for (const auto& m : snap_->models) {
      bool served = false;
      std::vector<std::string> disabled;
      for (const auto& t : m.targets) {
        const provider_config& p = snap_->providers[t.provider_index];
        if (p.enabled)
          served = true;
        else if (std::find(disabled.begin(), disabled.end(), p.name) == disabled.end())
          disabled.push_back(p.name);
      }
      if (!served)
        snap_->warnings.push_back("model '" + m.name + "' has no enabled target (disabled providers: "
                                  + join(disabled, ", ") + ")");
    }
    if (snap_->tenants.empty())
      snap_->warnings.push_back("no tenants are configured: every request will be refused with 401");
  }

  std::string model_names() const {
    std::vector<std::string> names;
    for (const auto& m : snap_->models)
      names.push_back(m.name);
    return join(names, ", ");
  }

  const std::string& file_;
  const env_lookup& env_;
  snapshot* snap_ = nullptr;
  std::optional<entry> admin_key_;  // server.admin_key, checked against tenant keys at the end
  bool spool_dir_given_ = false;    // server.spool_dir set (else derived from storage)
  std::map<std::string, std::string> key_owners_;  // key hash -> path of the key that set it
};

}  // namespace

protocols::result<snapshot_ptr, config_error> load_string(std::string_view text, const std::string& file,
                                                          const env_lookup& env) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string{text});
  } catch (const YAML::ParserException& e) {
    config_error err;
    err.file = file;
    if (!e.mark.is_null()) {
      err.line = e.mark.line + 1;
      err.column = e.mark.column + 1;
    }
    err.message = "YAML syntax error: " + e.msg;
    return err;
  } catch (const YAML::Exception& e) {
    return config_error{file, 0, 0, "", std::string{"YAML error: "} + e.what()};
  }
  if (docs.empty() || (docs.size() == 1 && docs.front().IsNull()))
    return config_error{file, 0, 0, "", "the file is empty; it needs at least providers: and models:"};
  if (docs.size() > 1) {
    YAML::Mark m = docs[1].Mark();
    return config_error{file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, "",
                        "the file holds more than one YAML document (a second '---'); keep one"};
  }
  try {
    loader l(file, env);
    return l.load(docs.front());
  } catch (const load_failure& f) {
    return f.error;
  } catch (const YAML::Exception& e) {
    return config_error{file, 0, 0, "", std::string{"YAML error: "} + e.what()};
  }
}

protocols::result<snapshot_ptr, config_error> load_file(const std::string& path, const env_lookup& env) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return config_error{path, 0, 0, "", "cannot read the configuration file: no such file"};
  if (ec)
    return config_error{path, 0, 0, "", "cannot read the configuration file: " + ec.message()};
  if (std::filesystem::is_directory(status))
    return config_error{path, 0, 0, "", "cannot read the configuration file: it is a directory"};
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return config_error{path, 0, 0, "", std::string{"cannot read the configuration file: "} + std::strerror(errno)};
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return config_error{path, 0, 0, "", std::string{"cannot read the configuration file: "} + std::strerror(errno)};
  return load_string(buf.str(), path, env);
}

}  // namespace switchyard::config
