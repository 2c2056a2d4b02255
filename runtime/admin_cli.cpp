// The admin CLI (see admin_cli.hpp): parses a command into an admin_request and answers it with
// the admin API over the config's store.
#include "runtime/admin_cli.hpp"

#include <algorithm>
#include <cctype>
#include <ostream>

#include <rapidjson/document.h>

#include "config/loader.hpp"
#include "protocols/json_util.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/storage_open.hpp"

namespace switchyard::runtime {

namespace {

constexpr const char* default_config = "config/switchyard.yaml";

struct usage_error {
  std::string message;
};

// A command line: positional words and `--name value` / `--name=value` options (`--csv` alone).
struct command_line {
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> options;

  const std::string* option(std::string_view name) const {
    for (const auto& [n, v] : options)
      if (n == name) return &v;
    return nullptr;
  }
};

command_line parse(const std::vector<std::string>& args) {
  command_line cl;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      cl.words.push_back(a);
      continue;
    }
    auto eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (name == "csv") {
      if (eq != std::string::npos) throw usage_error{"--csv takes no value"};
      cl.options.emplace_back(name, "");
      continue;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw usage_error{"--" + name + " needs a value"};
      value = args[++i];
    }
    for (const auto& [n, v] : cl.options)
      if (n == name) throw usage_error{"--" + name + " is given twice"};
    cl.options.emplace_back(std::move(name), std::move(value));
  }
  return cl;
}

// Fails on options a command does not take, and on a wrong number of words.
void expect(const command_line& cl, std::size_t words,
            std::initializer_list<std::string_view> allowed) {
  for (const auto& [n, v] : cl.options) {
    if (n == "config") continue;
    if (std::find(allowed.begin(), allowed.end(), n) == allowed.end())
      throw usage_error{"unknown option --" + n + " for '" + cl.words[0] + " " +
                        (cl.words.size() > 1 ? cl.words[1] : std::string{}) + "'"};
  }
  if (cl.words.size() != words)
    throw usage_error{"'" + cl.words[0] + (cl.words.size() > 1 ? " " + cl.words[1] : "") +
                      "' takes " + std::to_string(words - 2) + " argument(s)"};
}

std::string query_escape(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    }
  }
  return out;
}

// Appends `name=value` to a query being built.
void add_query(std::string& target, std::string_view name, const std::string* value) {
  if (value == nullptr) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += query_escape(*value);
}

// The JSON body of `tenants create`: --json as given, else built from the flag options.
std::string tenant_body(const command_line& cl) {
  using protocols::detail::json_writer;
  const std::string& name = cl.words[2];
  if (const auto* json = cl.option("json")) {
    if (cl.options.size() > (cl.option("config") ? 2u : 1u))
      throw usage_error{"--json cannot be combined with other settings options"};
    rapidjson::Document d;
    d.Parse(json->data(), json->size());
    if (d.HasParseError() || !d.IsObject()) throw usage_error{"--json must be a JSON object"};
    if (d.HasMember("name")) throw usage_error{"give the name as the argument, not in --json"};
    d.AddMember("name", rapidjson::Value{name.c_str(), d.GetAllocator()}, d.GetAllocator());
    rapidjson::StringBuffer buf;
    json_writer w{buf};
    d.Accept(w);
    return protocols::detail::to_string(buf);
  }
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("name");
  protocols::detail::write_string(w, name);
  // Numbers are passed through as JSON so that the API validates them (and names the field).
  auto raw_number = [&](const char* option, const char* field) {
    const auto* v = cl.option(option);
    if (v == nullptr) return;
    rapidjson::Document d;
    d.Parse(v->data(), v->size());
    if (d.HasParseError() || !d.IsNumber())
      throw usage_error{std::string{"--"} + option + " must be a number"};
    w.Key(field);
    d.Accept(w);
  };
  raw_number("rpm", "rpm");
  raw_number("tpm", "tpm");
  if (cl.option("budget") != nullptr) {
    w.Key("budget");
    w.StartObject();
    raw_number("budget", "usd");
    if (const auto* p = cl.option("period")) {
      w.Key("period");
      protocols::detail::write_string(w, *p);
    }
    w.EndObject();
  } else if (cl.option("period") != nullptr) {
    throw usage_error{"--period needs --budget"};
  }
  if (const auto* models = cl.option("models")) {
    w.Key("allowed_models");
    w.StartArray();
    std::string_view rest = *models;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      protocols::detail::write_string(w, rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    w.EndArray();
  }
  w.EndObject();
  return protocols::detail::to_string(buf);
}

// The JSON body of `keys create` / `keys rotate`: the flags, plus the settings of --json.
std::string key_body(const command_line& cl) {
  using protocols::detail::json_writer;
  rapidjson::Document settings;
  settings.SetObject();
  if (const auto* json = cl.option("json")) {
    settings.Parse(json->data(), json->size());
    if (settings.HasParseError() || !settings.IsObject())
      throw usage_error{"--json must be a JSON object"};
    if (settings.HasMember("name") || settings.HasMember("expires_at"))
      throw usage_error{"give the name and expiry with --name and --expires-at, not in --json"};
  }
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  for (auto it = settings.MemberBegin(); it != settings.MemberEnd(); ++it) {
    w.Key(it->name.GetString(), it->name.GetStringLength());
    it->value.Accept(w);
  }
  if (const auto* n = cl.option("name")) {
    w.Key("name");
    protocols::detail::write_string(w, *n);
  }
  if (const auto* e = cl.option("expires-at")) {
    w.Key("expires_at");
    protocols::detail::write_string(w, *e);
  }
  if (const auto* g = cl.option("grace-seconds")) {
    rapidjson::Document d;
    d.Parse(g->data(), g->size());
    if (d.HasParseError() || !d.IsNumber()) throw usage_error{"--grace-seconds must be a number"};
    w.Key("grace_seconds");
    d.Accept(w);
  }
  w.EndObject();
  return protocols::detail::to_string(buf);
}

// The admin request a command line stands for.
admin_request to_request(const command_line& cl) {
  if (cl.words.size() < 2 &&
      !(cl.words.size() == 1 && (cl.words[0] == "usage" || cl.words[0] == "audit")))
    throw usage_error{cl.words.empty() ? "name a command"
                                       : "'" + cl.words[0] + "' needs a subcommand"};
  const std::string& group = cl.words[0];
  const std::string verb = cl.words.size() > 1 ? cl.words[1] : std::string{};
  admin_request r;
  r.actor = "cli";
  if (group == "tenants" && verb == "list") {
    expect(cl, 2, {});
    r.method = "GET";
    r.target = "/admin/tenants";
  } else if (group == "tenants" && verb == "create") {
    expect(cl, 3, {"json", "rpm", "tpm", "budget", "period", "models"});
    r.method = "POST";
    r.target = "/admin/tenants";
    r.body = tenant_body(cl);
  } else if (group == "tenants" && verb == "delete") {
    expect(cl, 3, {});
    r.method = "DELETE";
    r.target = "/admin/tenants/" + cl.words[2];
  } else if (group == "keys" && verb == "create") {
    expect(cl, 3, {"name", "expires-at", "json"});
    r.method = "POST";
    r.target = "/admin/tenants/" + cl.words[2] + "/keys";
    r.body = key_body(cl);
  } else if (group == "keys" && verb == "list") {
    expect(cl, 2, {"tenant"});
    r.method = "GET";
    r.target = "/admin/keys";
    add_query(r.target, "tenant", cl.option("tenant"));
  } else if (group == "keys" && verb == "revoke") {
    expect(cl, 3, {});
    r.method = "POST";
    r.target = "/admin/keys/" + cl.words[2] + "/revoke";
  } else if (group == "keys" && verb == "rotate") {
    expect(cl, 3, {"grace-seconds", "expires-at"});
    r.method = "POST";
    r.target = "/admin/keys/" + cl.words[2] + "/rotate";
    r.body = key_body(cl);
  } else if (group == "usage") {
    expect(cl, 1, {"from", "to", "group-by", "csv"});
    r.method = "GET";
    r.target = "/admin/usage";
    add_query(r.target, "from", cl.option("from"));
    add_query(r.target, "to", cl.option("to"));
    add_query(r.target, "group_by", cl.option("group-by"));
    r.accept_csv = cl.option("csv") != nullptr;
  } else if (group == "audit") {
    expect(cl, 1, {"limit"});
    r.method = "GET";
    r.target = "/admin/audit";
    add_query(r.target, "limit", cl.option("limit"));
  } else {
    throw usage_error{"unknown command '" + group + (verb.empty() ? "" : " " + verb) + "'"};
  }
  // Names travel in a URL path: refuse what would change the path (the API checks the rest).
  for (std::size_t i = 2; i < cl.words.size(); ++i)
    if (cl.words[i].empty() || cl.words[i].find_first_of("/?#%") != std::string::npos)
      throw usage_error{"'" + cl.words[i] + "' is not a valid name or id"};
  return r;
}

}  // namespace

void print_admin_usage(std::ostream& os) {
  os << "usage: switchyard admin [--config FILE] COMMAND\n"
        "\n"
        "  tenants list\n"
        "  tenants create NAME [--rpm N] [--tpm N] [--budget USD [--period "
        "daily|weekly|monthly|total]]\n"
        "                      [--models m1,m2] | [--json '{...settings...}']\n"
        "  tenants delete NAME            (revokes its keys)\n"
        "  keys create TENANT [--name LABEL] [--expires-at RFC3339] [--json '{...settings...}']\n"
        "                                 (prints the key once)\n"
        "  keys list [--tenant NAME]\n"
        "  keys revoke ID\n"
        "  keys rotate ID [--grace-seconds N] [--expires-at RFC3339]\n"
        "  usage [--from DATE] [--to DATE] [--group-by tenant|key|model|provider|day] [--csv]\n"
        "  audit [--limit N]\n"
        "\n"
        "Works offline on the store named by the config's storage: (default config: "
     << default_config
     << ").\n"
        "A running gateway applies CLI changes at its next SIGHUP or restart (over postgres://\n"
        "storage, at once).\n"
        "Exit codes: 0 done, 1 refused or failed (reason on stderr), 2 bad command line.\n";
}

int run_admin_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  admin_request req;
  std::string config_path = default_config;
  try {
    auto cl = parse(args);
    if (const auto* c = cl.option("config")) config_path = *c;
    req = to_request(cl);
  } catch (const usage_error& e) {
    err << "switchyard admin: " << e.message << "\n";
    print_admin_usage(err);
    return 2;
  }
  auto loaded = config::load_file(config_path);
  if (!loaded) {
    err << loaded.error().to_string() << "\n";
    return 1;
  }
  std::string error;
  // Over PostgreSQL the change is announced like any other: running gateways apply it at once.
  auto store = open_admin_store(loaded.value()->storage, "cli", error);
  if (!store) {
    err << "switchyard admin: " << error << "\n";
    return 1;
  }
  admin_api api{std::move(store), loaded.value(), nullptr};
  auto r = api.handle(req);
  if (r.status >= 300) {
    rapidjson::Document d;
    d.Parse(r.body.data(), r.body.size());
    const bool has_message = !d.HasParseError() && d.IsObject() && d.HasMember("error") &&
                             d["error"].IsObject() && d["error"].HasMember("message") &&
                             d["error"]["message"].IsString();
    err << "switchyard admin: " << (has_message ? d["error"]["message"].GetString() : r.body)
        << " (" << r.status << ")\n";
    return 1;
  }
  out << r.body;
  if (r.body.empty() || r.body.back() != '\n') out << "\n";
  return 0;
}

}  // namespace switchyard::runtime
