// SVG rendering of the report's charts: axes, ticks, grid, shaded windows, lines and a legend.
#include "bench/runner/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace switchyard::bench {

namespace {

std::string fmt(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

std::string tick_label(double v) {
  char buf[32];
  double a = std::fabs(v);
  if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string series_color(std::size_t i) {
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                 "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
  return colors[i % (sizeof colors / sizeof colors[0])];
}

std::string band_color(const std::string& kind) {
  if (kind == "down") return "#d62728";
  if (kind == "status" || kind == "errors") return "#ff7f0e";
  if (kind == "latency") return "#9467bd";
  return "#7f7f7f";
}

double percentile_x(double p) {
  if (p >= 100) return 4;
  if (p <= 0) return 0;
  return std::min(4.0, -std::log10(1 - p / 100));
}

std::vector<double> nice_ticks(double lo, double hi, bool log_axis) {
  std::vector<double> t;
  if (!(hi > lo)) return {lo};
  if (log_axis) {
    lo = std::max(lo, 1e-9);
    int k0 = static_cast<int>(std::floor(std::log10(lo)));
    int k1 = static_cast<int>(std::ceil(std::log10(hi)));
    bool fine = k1 - k0 <= 2;
    for (int k = k0; k <= k1; ++k) {
      for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
        double v = m * std::pow(10.0, k);
        if (v >= lo * 0.999 && v <= hi * 1.001) t.push_back(v);
      }
    }
    if (t.empty()) t.push_back(lo);
    return t;
  }
  double raw = (hi - lo) / 5;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  }
  return t;
}

std::string render_svg(const std::string& title, const std::vector<plot_panel>& panels, int width,
                       int panel_height) {
  const double left = 72, right = 170, top = 34, bottom = 46;
  const double head = 30;
  const int height = static_cast<int>(head + panel_height * panels.size());
  std::string s;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
       "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
       std::to_string(height) +
       "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + fmt(width / 2.0) +
       "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
       xml_escape(title) + "</text>\n";

  for (std::size_t pi = 0; pi < panels.size(); ++pi) {
    const auto& p = panels[pi];
    const double y0 = head + pi * panel_height;
    const double px0 = left, px1 = width - right;
    const double py0 = y0 + top, py1 = y0 + panel_height - bottom;

    // Data ranges.
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
    double ymin = xmin, ymax = -xmin;
    for (const auto& se : p.series) {
      for (auto [x, y] : se.points) {
        if (!std::isfinite(x)) continue;
        xmin = std::min(xmin, x);
        xmax = std::max(xmax, x);
        if (!std::isfinite(y) || (p.log_y && y <= 0)) continue;
        ymin = std::min(ymin, y);
        ymax = std::max(ymax, y);
      }
    }
    for (const auto& b : p.bands) {
      xmin = std::min(xmin, b.x0);
      xmax = std::max(xmax, b.x1);
    }
    if (!std::isfinite(xmin)) xmin = 0, xmax = 1;
    if (!std::isfinite(ymin)) ymin = p.log_y ? 1 : 0, ymax = 1;
    if (p.x_min) xmin = *p.x_min;
    if (p.x_max) xmax = *p.x_max;
    if (!p.log_y) ymin = std::min(0.0, ymin);
    if (p.y_min) ymin = *p.y_min;
    if (p.y_max) ymax = *p.y_max;
    if (p.log_y) {
      ymin = std::pow(10.0, std::floor(std::log10(std::max(ymin, 1e-6))));
      ymax = std::pow(10.0, std::ceil(std::log10(std::max(ymax, ymin * 10))));
    } else {
      if (ymax <= ymin) ymax = ymin + 1;
      ymax *= 1.08;
    }
    if (xmax <= xmin) xmax = xmin + 1;

    auto X = [&](double x) { return px0 + (x - xmin) / (xmax - xmin) * (px1 - px0); };
    auto Y = [&](double y) {
      double f = p.log_y
                     ? (std::log10(y) - std::log10(ymin)) / (std::log10(ymax) - std::log10(ymin))
                     : (y - ymin) / (ymax - ymin);
      return py1 - std::clamp(f, 0.0, 1.0) * (py1 - py0);
    };

    s += "<g>\n<text x=\"" + fmt(px0) + "\" y=\"" + fmt(y0 + 22) +
         "\" font-size=\"12\" font-weight=\"bold\">" + xml_escape(p.title) + "</text>\n";
    // Bands under everything else.
    for (const auto& b : p.bands) {
      double bx0 = X(std::max(b.x0, xmin)), bx1 = X(std::min(b.x1, xmax));
      if (bx1 <= bx0) continue;
      s += "<rect x=\"" + fmt(bx0) + "\" y=\"" + fmt(py0) + "\" width=\"" + fmt(bx1 - bx0) +
           "\" height=\"" + fmt(py1 - py0) + "\" fill=\"" + b.color +
           "\" fill-opacity=\"0.15\"/>\n";
      s += "<text x=\"" + fmt(bx0 + 3) + "\" y=\"" + fmt(py0 + 11) + "\" fill=\"" + b.color +
           "\" font-size=\"10\">" + xml_escape(b.label) + "</text>\n";
    }
    // Grid and ticks.
    for (double v : nice_ticks(ymin, ymax, p.log_y)) {
      double y = Y(v);
      s += "<line x1=\"" + fmt(px0) + "\" x2=\"" + fmt(px1) + "\" y1=\"" + fmt(y) + "\" y2=\"" +
           fmt(y) + "\" stroke=\"#e0e0e0\"/>\n";
      s += "<text x=\"" + fmt(px0 - 6) + "\" y=\"" + fmt(y + 4) + "\" text-anchor=\"end\">" +
           tick_label(v) + "</text>\n";
    }
    std::vector<std::pair<double, std::string>> xt = p.x_ticks;
    if (xt.empty()) {
      for (double v : nice_ticks(xmin, xmax, false)) xt.emplace_back(v, tick_label(v));
    }
    for (const auto& [v, label] : xt) {
      if (v < xmin - 1e-9 || v > xmax + 1e-9) continue;
      double x = X(v);
      s += "<line x1=\"" + fmt(x) + "\" x2=\"" + fmt(x) + "\" y1=\"" + fmt(py0) + "\" y2=\"" +
           fmt(py1) + "\" stroke=\"#f0f0f0\"/>\n";
      s += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(py1 + 14) + "\" text-anchor=\"middle\">" +
           xml_escape(label) + "</text>\n";
    }
    s += "<rect x=\"" + fmt(px0) + "\" y=\"" + fmt(py0) + "\" width=\"" + fmt(px1 - px0) +
         "\" height=\"" + fmt(py1 - py0) + "\" fill=\"none\" stroke=\"#444\"/>\n";
    s += "<text x=\"" + fmt((px0 + px1) / 2) + "\" y=\"" + fmt(py1 + 32) +
         "\" text-anchor=\"middle\">" + xml_escape(p.x_label) + "</text>\n";
    s += "<text transform=\"translate(" + fmt(18) + "," + fmt((py0 + py1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + xml_escape(p.y_label) + "</text>\n";

    // Lines.
    for (const auto& se : p.series) {
      std::string d;
      bool pen = false;
      for (auto [x, y] : se.points) {
        if (!std::isfinite(x) || !std::isfinite(y) || (p.log_y && y <= 0)) {
          pen = false;
          continue;
        }
        d += (pen ? "L" : "M") + fmt(X(x)) + " " + fmt(Y(y)) + " ";
        pen = true;
      }
      if (!d.empty()) {
        s += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + se.color +
             "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>\n";
      }
      if (se.markers) {
        for (auto [x, y] : se.points) {
          if (!std::isfinite(y) || (p.log_y && y <= 0)) continue;
          s += "<circle cx=\"" + fmt(X(x)) + "\" cy=\"" + fmt(Y(y)) + "\" r=\"2.8\" fill=\"" +
               se.color + "\"/>\n";
        }
      }
    }
    // Legend.
    double ly = py0 + 8;
    for (const auto& se : p.series) {
      s += "<line x1=\"" + fmt(px1 + 12) + "\" x2=\"" + fmt(px1 + 32) + "\" y1=\"" + fmt(ly) +
           "\" y2=\"" + fmt(ly) + "\" stroke=\"" + se.color + "\" stroke-width=\"2.5\"/>\n";
      s += "<text x=\"" + fmt(px1 + 38) + "\" y=\"" + fmt(ly + 4) + "\">" + xml_escape(se.name) +
           "</text>\n";
      ly += 16;
    }
    s += "</g>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace switchyard::bench
