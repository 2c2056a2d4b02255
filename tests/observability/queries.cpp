// Dashboard JSON walking (RapidJSON) and Grafana variable substitution.
#include "queries.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <rapidjson/document.h>

namespace switchyard::otest {

namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return {};
  return v[key].GetString();
}

bool on_datasource_variable(const rapidjson::Value& v) {
  return v.IsObject() && v.HasMember("datasource") && v["datasource"].IsObject() &&
         str(v["datasource"], "type") == "prometheus" &&
         str(v["datasource"], "uid") == "${datasource}";
}

// Names of the Grafana variables `expr` uses.
std::set<std::string> variables_in(std::string_view expr) {
  static const std::regex var{
      R"(\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\])"};
  std::set<std::string> out;
  std::string text{expr};
  for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it)
    for (int g = 1; g <= 3; ++g)
      if ((*it)[g].matched) out.insert((*it)[g]);
  return out;
}

struct walker {
  std::string file;
  dashboards& out;
  std::set<std::string> defined;
  std::set<std::string> used;
  std::set<int> ids;

  void panels(const rapidjson::Value& list) {
    if (!list.IsArray()) return;
    for (const auto& p : list.GetArray()) {
      std::string title = str(p, "title");
      std::string type = str(p, "type");
      if (p.HasMember("id") && p["id"].IsInt() && !ids.insert(p["id"].GetInt()).second)
        out.problems.push_back(file + ": duplicate panel id " + std::to_string(p["id"].GetInt()));
      if (type == "row") {
        if (p.HasMember("panels")) panels(p["panels"]);
        continue;
      }
      if (type == "text") continue;
      if (!on_datasource_variable(p))
        out.problems.push_back(file + ": panel \"" + title + "\" is not on ${datasource}");
      if (!p.HasMember("targets") || !p["targets"].IsArray() || p["targets"].Empty()) {
        out.problems.push_back(file + ": panel \"" + title + "\" has no targets");
        continue;
      }
      for (const auto& t : p["targets"].GetArray()) {
        std::string expr = str(t, "expr");
        std::string where = file + ": panel \"" + title + "\" " + str(t, "refId");
        if (expr.empty()) {
          out.problems.push_back(where + " has no expr");
          continue;
        }
        if (!on_datasource_variable(t)) out.problems.push_back(where + " is not on ${datasource}");
        for (auto& v : variables_in(expr)) used.insert(v);
        out.panel_queries.push_back({where, expr});
      }
    }
  }

  void templating(const rapidjson::Value& doc) {
    bool has_datasource = false;
    if (!doc.HasMember("templating") || !doc["templating"].HasMember("list")) {
      out.problems.push_back(file + ": no templating list");
      return;
    }
    static const std::regex label_values{
        R"(^\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)"};
    for (const auto& v : doc["templating"]["list"].GetArray()) {
      std::string name = str(v, "name");
      std::string type = str(v, "type");
      defined.insert(name);
      if (type == "datasource") {
        if (name == "datasource" && str(v, "query") == "prometheus") has_datasource = true;
        continue;
      }
      if (type != "query") continue;
      if (!on_datasource_variable(v))
        out.problems.push_back(file + ": variable " + name + " is not on ${datasource}");
      std::string q = v.HasMember("query") && v["query"].IsObject() ? str(v["query"], "query")
                                                                    : str(v, "query");
      std::smatch m;
      if (!std::regex_match(q, m, label_values)) {
        out.problems.push_back(file + ": variable " + name +
                               " is not label_values(metric, label): " + q);
        continue;
      }
      out.variables.push_back({file + ": variable " + name, m[1], m[2]});
    }
    if (!has_datasource)
      out.problems.push_back(file + ": no `datasource` variable of type datasource (prometheus)");
  }
};

}  // namespace

dashboards read_dashboards(const fs::path& dir) {
  dashboards out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) out.problems.push_back(dir.string() + ": no dashboards");
  for (const auto& f : files) {
    rapidjson::Document doc;
    doc.Parse(slurp(f).c_str());
    std::string name = f.filename().string();
    if (doc.HasParseError() || !doc.IsObject()) {
      out.problems.push_back(name + ": not a JSON object");
      continue;
    }
    if (!doc.HasMember("schemaVersion") || !doc["schemaVersion"].IsInt() ||
        doc["schemaVersion"].GetInt() < 36)
      out.problems.push_back(name + ": schemaVersion missing or below 36");
    if (str(doc, "uid").empty() || str(doc, "title").empty())
      out.problems.push_back(name + ": uid and title are required");
    walker w{name, out, {}, {}, {}};
    w.templating(doc);
    if (doc.HasMember("panels")) w.panels(doc["panels"]);
    for (const auto& v : w.used)
      if (w.defined.count(v) == 0 && v.rfind("__", 0) != 0)
        out.problems.push_back(name + ": a query uses undefined variable $" + v);
  }
  return out;
}

std::string substitute(std::string_view expr, const std::map<std::string, std::string>& values,
                       std::string_view range) {
  static const std::regex var{
      R"(\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\])"};
  std::string text{expr};
  std::string out;
  std::size_t last = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it) {
    const auto& m = *it;
    std::string name = m[1].matched ? m[1].str() : m[2].matched ? m[2].str() : m[3].str();
    out.append(text, last, static_cast<std::size_t>(m.position()) - last);
    if (name == "__rate_interval" || name == "__interval" || name == "__range") {
      out += range;
    } else {
      auto v = values.find(name);
      if (v == values.end()) throw std::runtime_error("no value for variable $" + name);
      out += v->second;
    }
    last = static_cast<std::size_t>(m.position() + m.length());
  }
  out.append(text, last);
  return out;
}

std::string measured_part(std::string_view alert_expr) {
  static const std::regex comparison{
      R"(^([\s\S]*\S)\s*(?:>=|<=|==|!=|>|<)\s*(?:bool\s+)?-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\s*$)"};
  std::string text{alert_expr};
  std::smatch m;
  if (std::regex_match(text, m, comparison)) return m[1];
  return text;
}

}  // namespace switchyard::otest
