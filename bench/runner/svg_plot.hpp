// Small, dependency-free SVG charts for benchmark reports: line series on linear or log axes,
// shaded time windows (fault phases), stacked panels in one file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::bench {

/// One line. Points with a NaN y break the line (a second with no data).
struct plot_series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;
  bool markers = false;  ///< draw a dot at every point
};

/// A shaded x range with a label, e.g. a fault window.
struct plot_band {
  double x0 = 0;
  double x1 = 0;
  std::string label;
  std::string color;
};

struct plot_panel {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;
  std::vector<plot_series> series;
  std::vector<plot_band> bands;
  /// Fixed x ticks (value, label); empty = automatic.
  std::vector<std::pair<double, std::string>> x_ticks;
  std::optional<double> x_min, x_max, y_min, y_max;
};

/// A whole SVG document: `title` over the panels stacked vertically.
std::string render_svg(const std::string& title, const std::vector<plot_panel>& panels,
                       int width = 800, int panel_height = 250);

/// A distinct colour for series `i` (the same system keeps its colour in every plot).
std::string series_color(std::size_t i);

/// A colour for a band of this kind ("down", "status", "errors", "latency", other).
std::string band_color(const std::string& kind);

/// Escapes text for SVG/XML.
std::string xml_escape(const std::string& s);

/// "Nice" tick values covering [lo, hi]: 1-2-5 steps on a linear axis, powers of ten (and 2, 5
/// within a short range) on a log axis.
std::vector<double> nice_ticks(double lo, double hi, bool log_axis);

/// The x position of percentile `p` (0..100) on a percentile plot: -log10(1 - p/100), so that
/// 90, 99 and 99.9 are evenly spaced; `max` is drawn at 4.
double percentile_x(double p);

}  // namespace switchyard::bench
