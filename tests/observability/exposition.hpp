// The two metric catalogues the observability tests compare: what `/metrics` exposes (Prometheus
// text format) and what docs/metrics.md documents (its `| metric | type | labels | … |` tables).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::otest {

/// One metric family: its type and every label-name set its samples carry (`le` of histogram
/// buckets excluded, so a histogram has the labels of its series).
struct family_info {
  std::string type;  ///< counter, gauge, histogram…
  std::set<std::set<std::string>> label_sets;
  std::size_t samples = 0;
};

using catalogue = std::map<std::string, family_info>;

/// Families of a text exposition, from its `# TYPE` lines and samples. Throws on a sample of a
/// family without `# TYPE`, or a malformed label set.
catalogue parse_exposition(std::string_view text);

/// The series (sample lines) of a text exposition.
std::size_t count_series(std::string_view text);

/// Metrics documented in a markdown file: every table row whose first cell is a backquoted
/// `switchyard_…` name. The type is the `type` column; labels are the backquoted words of the
/// `labels` column (none when the table has no such column). Each family gets one label set.
catalogue parse_metrics_doc(std::string_view markdown);

/// Every difference between `exposed` and `documented` (names, types and label sets, both
/// ways), one line each; empty when they agree.
std::vector<std::string> compare_catalogues(const catalogue& exposed, const catalogue& documented);

/// The `switchyard_…` metric names a PromQL expression mentions, with the `_bucket`, `_sum` and
/// `_count` suffixes of the histograms in `exposed` removed.
std::set<std::string> metric_names_in(std::string_view promql, const catalogue& exposed);

}  // namespace switchyard::otest
