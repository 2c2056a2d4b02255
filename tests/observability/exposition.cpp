// Parsers of the Prometheus text format and of docs/metrics.md's tables; small and strict, since
// their only inputs are the gateway's own output and its own documentation.
#include "exposition.hpp"

#include <cctype>
#include <regex>
#include <stdexcept>

namespace switchyard::otest {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string{s};
}

// Label names of `{a="x",b="y\"z"}` (the braces included in `text`).
std::set<std::string> label_names(std::string_view text) {
  std::set<std::string> names;
  std::size_t i = 1;
  while (i < text.size() && text[i] != '}') {
    auto eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"')
      throw std::runtime_error("malformed label set: " + std::string{text});
    names.insert(std::string{text.substr(i, eq - i)});
    std::size_t j = eq + 2;
    while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
    if (j >= text.size())
      throw std::runtime_error("unterminated label value: " + std::string{text});
    i = j + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  return names;
}

// Cells of a markdown table row `| a | b |`, trimmed.
std::vector<std::string> cells_of(std::string_view row) {
  std::vector<std::string> cells;
  row.remove_prefix(1);  // the leading '|'
  while (!row.empty()) {
    auto bar = row.find('|');
    if (bar == std::string_view::npos) break;
    cells.push_back(trim(row.substr(0, bar)));
    row.remove_prefix(bar + 1);
  }
  return cells;
}

std::string join(const std::set<std::string>& names) {
  std::string out = "{";
  for (const auto& n : names) out += (out.size() > 1 ? "," : "") + n;
  return out + "}";
}

}  // namespace

catalogue parse_exposition(std::string_view text) {
  catalogue out;
  for (auto line : lines_of(text)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto sp = rest.find(' ');
      out[std::string{rest.substr(0, sp)}].type = trim(rest.substr(sp + 1));
      continue;
    }
    if (line.front() == '#') continue;
    auto name_end = line.find_first_of("{ ");
    std::string name{line.substr(0, name_end)};
    std::set<std::string> labels;
    if (name_end != std::string_view::npos && line[name_end] == '{') {
      auto close = line.rfind('}');
      labels = label_names(line.substr(name_end, close - name_end + 1));
    }
    auto family = out.find(name);
    if (family == out.end()) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string_view n{name};
        std::string_view s{suffix};
        if (n.size() > s.size() && n.substr(n.size() - s.size()) == s) {
          auto base = out.find(std::string{n.substr(0, n.size() - s.size())});
          if (base != out.end() && base->second.type == "histogram") family = base;
        }
      }
    }
    if (family == out.end()) throw std::runtime_error("sample without # TYPE: " + name);
    labels.erase("le");
    family->second.label_sets.insert(std::move(labels));
    ++family->second.samples;
  }
  return out;
}

std::size_t count_series(std::string_view text) {
  std::size_t n = 0;
  for (auto line : lines_of(text))
    if (!line.empty() && line.front() != '#') ++n;
  return n;
}

catalogue parse_metrics_doc(std::string_view markdown) {
  catalogue out;
  int type_col = -1, labels_col = -1;
  static const std::regex quoted{"`([A-Za-z_][A-Za-z0-9_]*)`"};
  for (auto line : lines_of(markdown)) {
    if (line.empty() || line.front() != '|') {
      type_col = labels_col = -1;  // a table ended
      continue;
    }
    auto cells = cells_of(line);
    if (!cells.empty() && cells[0] == "metric") {  // a table header
      type_col = labels_col = -1;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "type") type_col = static_cast<int>(i);
        if (cells[i] == "labels") labels_col = static_cast<int>(i);
      }
      continue;
    }
    if (cells.empty() || cells[0].rfind("`switchyard_", 0) != 0 || type_col < 0) continue;
    std::string name = cells[0].substr(1, cells[0].size() - 2);
    family_info info;
    info.type = cells[static_cast<std::size_t>(type_col)];
    std::set<std::string> labels;
    if (labels_col >= 0 && static_cast<std::size_t>(labels_col) < cells.size()) {
      const auto& cell = cells[static_cast<std::size_t>(labels_col)];
      for (std::sregex_iterator it(cell.begin(), cell.end(), quoted), end; it != end; ++it)
        labels.insert((*it)[1]);
    }
    info.label_sets.insert(std::move(labels));
    out[name] = std::move(info);
  }
  return out;
}

std::vector<std::string> compare_catalogues(const catalogue& exposed, const catalogue& documented) {
  std::vector<std::string> diffs;
  for (const auto& [name, f] : exposed) {
    auto d = documented.find(name);
    if (d == documented.end()) {
      diffs.push_back(name + " is exported but not documented in docs/metrics.md");
      continue;
    }
    if (d->second.type != f.type)
      diffs.push_back(name + " is a " + f.type + " but documented as a " + d->second.type);
    const auto& doc_labels = *d->second.label_sets.begin();
    for (const auto& set : f.label_sets)
      if (set != doc_labels)
        diffs.push_back(name + " has a series with labels " + join(set) + ", documented " +
                        join(doc_labels));
  }
  for (const auto& [name, f] : documented)
    if (exposed.count(name) == 0 || exposed.at(name).samples == 0)
      diffs.push_back(name + " is documented but not exported");
  return diffs;
}

std::set<std::string> metric_names_in(std::string_view promql, const catalogue& exposed) {
  static const std::regex name{"switchyard_[a-zA-Z0-9_]+"};
  std::set<std::string> out;
  std::string text{promql};
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s{suffix};
      if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0) {
        auto base = exposed.find(n.substr(0, n.size() - s.size()));
        if (base != exposed.end() && base->second.type == "histogram") n = base->first;
      }
    }
    out.insert(n);
  }
  return out;
}

}  // namespace switchyard::otest
