// report.md and the SVG plots of a benchmark run. Only valid results are tabulated as figures
// and plotted; everything else is listed as "not a result" with its reason.
#include "bench/runner/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "bench/runner/cluster_figures.hpp"
#include "bench/runner/svg_plot.hpp"

namespace switchyard::bench {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const system_run* find_system(const run_record& r, system_kind k) {
  for (const auto& s : r.systems) {
    if (s.kind == k && s.skipped.empty()) return &s;
  }
  return nullptr;
}

const load_run* find_load(const system_run* s, const std::string& load) {
  if (!s) return nullptr;
  for (const auto& l : s->loads) {
    if (l.load == load && l.is_result()) return &l;
  }
  return nullptr;
}

std::uint64_t upstream_requests(const load_run& run) {
  std::uint64_t total = 0;
  for (const auto& [mock, n] : run.mock_requests) total += n;
  return total;
}

std::string phase_label(const mock_spec& m, const phase_spec& p, std::string& kind) {
  if (p.down) {
    kind = "down";
  } else if (p.status || !p.errors.empty()) {
    kind = "status";
  } else if (p.latency) {
    kind = "latency";
  } else {
    kind = "other";
  }
  if (!p.label.empty()) return p.label;
  if (p.down) return m.name + " down";
  if (p.status) return m.name + ": " + std::to_string(*p.status);
  if (!p.errors.empty()) return m.name + ": errors";
  if (p.latency) return m.name + ": slow";
  return m.name + ": tokens/s";
}

std::vector<plot_band> phase_bands(const scenario& s) {
  std::vector<plot_band> bands;
  for (const auto& m : s.mocks) {
    for (const auto& p : m.phases) {
      std::string kind;
      auto label = phase_label(m, p, kind);
      bands.push_back({p.from_s, p.to_s, label, band_color(kind)});
    }
  }
  return bands;
}

double nan() {
  return std::numeric_limits<double>::quiet_NaN();
}

std::string latency_plot(const run_record& r, const load_spec& l) {
  plot_panel p;
  p.title = l.closed ? "Latency by percentile (request sent to last byte)"
                     : "Latency by percentile (scheduled start to last byte)";
  p.x_label = "percentile";
  p.y_label = "latency (ms, log scale)";
  p.log_y = true;
  p.x_ticks = {{percentile_x(0), "min"},      {percentile_x(50), "50%"},
               {percentile_x(90), "90%"},     {percentile_x(99), "99%"},
               {percentile_x(99.9), "99.9%"}, {percentile_x(100), "max"}};
  p.x_min = 0;
  p.x_max = 4;
  for (std::size_t i = 0; i < r.systems.size(); ++i) {
    const auto* run = find_load(&r.systems[i], l.name);
    if (!run || run->report->latency.count == 0) continue;
    const auto& s = run->report->latency;
    plot_series se{r.systems[i].name, series_color(i), {}, true};
    se.points = {{percentile_x(0), s.min},      {percentile_x(50), s.p50},
                 {percentile_x(90), s.p90},     {percentile_x(99), s.p99},
                 {percentile_x(99.9), s.p99_9}, {percentile_x(100), s.max}};
    p.series.push_back(se);
  }
  return render_svg("Scenario " + r.sc.name + ", load " + l.name + ": latency", {p}, 800, 330);
}

std::string timeline_plot(const run_record& r, const load_spec& l) {
  plot_panel thr, p99, err;
  thr.title = "Throughput (responses completed per second)";
  thr.y_label = "responses/s";
  p99.title = "p99 latency of the responses completed in each second (from scheduled start)";
  p99.y_label = "ms (log scale)";
  p99.log_y = true;
  err.title = "Errors per second (failures + non-2xx)";
  err.y_label = "errors/s";
  err.x_label = "seconds since the load started (warm-up included)";
  auto bands = phase_bands(r.sc);
  double end = l.warmup_s + l.duration_s;
  for (auto* p : {&thr, &p99, &err}) {
    p->bands = bands;
    p->x_min = 0;
    p->x_max = end;
    if (l.warmup_s > 0) p->bands.push_back({0, l.warmup_s, "warm-up", "#bbbbbb"});
  }
  for (std::size_t i = 0; i < r.systems.size(); ++i) {
    const auto* run = find_load(&r.systems[i], l.name);
    if (!run) continue;
    plot_series a{r.systems[i].name, series_color(i), {}, false}, b = a, c = a;
    for (const auto& row : run->report->series) {
      // Rows are per second; plot each at the middle of its second. The drain after the load
      // (streams finishing) is shown too.
      double x = row.t + 0.5;
      for (auto* p : {&thr, &p99, &err}) p->x_max = std::max(*p->x_max, row.t + 1);
      a.points.emplace_back(x, row.completed);
      b.points.emplace_back(x, row.p99_ms ? *row.p99_ms : nan());
      c.points.emplace_back(x, row.errors);
    }
    thr.series.push_back(a);
    p99.series.push_back(b);
    err.series.push_back(c);
  }
  return render_svg("Scenario " + r.sc.name + ", load " + l.name + ": over time", {thr, p99, err},
                    800, 230);
}

std::string memory_plot(const run_record& r, const load_spec& l) {
  plot_panel mem, fly;
  mem.title = "Resident memory (VmRSS) of the system under test";
  mem.y_label = "MiB";
  fly.title = "Requests in flight (generator's view, end of each second)";
  fly.y_label = "in flight";
  fly.x_label = "seconds since the load started";
  for (std::size_t i = 0; i < r.systems.size(); ++i) {
    const auto* run = find_load(&r.systems[i], l.name);
    if (!run) continue;
    plot_series a{r.systems[i].name, series_color(i), {}, false}, b = a;
    for (auto [t, bytes] : run->rss_samples) a.points.emplace_back(t, bytes / (1024.0 * 1024.0));
    for (const auto& row : run->report->series) b.points.emplace_back(row.t + 1, row.in_flight);
    mem.series.push_back(a);
    fly.series.push_back(b);
  }
  return render_svg("Scenario " + r.sc.name + ", load " + l.name + ": memory", {mem, fly}, 800,
                    250);
}

std::string pct(double f) {
  return fmt("%.2f%%", f * 100);
}

}  // namespace

std::string format_ms(double ms) {
  if (!std::isfinite(ms)) return "–";
  if (ms < 0) return "−" + format_ms(-ms);
  if (ms < 1) return fmt("%.0f µs", ms * 1000);
  if (ms < 10) return fmt("%.2f ms", ms);
  if (ms < 1000) return fmt("%.1f ms", ms);
  return fmt("%.2f s", ms / 1000);
}

std::string format_bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024) return fmt("%.2f GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt("%.1f MiB", b / (1024.0 * 1024));
  if (b >= 1024) return fmt("%.1f KiB", b / 1024);
  return fmt("%.0f B", b);
}

circuit_reaction circuit_reaction_to(const load_run::circuit_series& c, const phase_spec& p) {
  circuit_reaction out;
  bool opened = false;
  for (const auto& [t, state] : c.samples) {
    if (!opened && t >= p.from_s && state != 0) {
      opened = true;
      out.ejected_after_s = t - p.from_s;
    }
    if (opened && t >= p.to_s && state == 0) {
      out.closed_after_s = t - p.to_s;
      break;
    }
  }
  return out;
}

namespace {

bool is_fault_phase(const phase_spec& p) {
  return p.down || (p.status && *p.status >= 500) || !p.errors.empty();
}

// Admitted (2xx) and refused (non-2xx) latency side by side: what backpressure costs each.
std::string admitted_and_refused(const run_record& r, const load_spec& l) {
  std::string rows;
  const load_run* first_load_run = nullptr;
  for (const auto& s : r.systems) {
    const auto* run = find_load(&s, l.name);
    if (!run || run->report->latency_rejected.count == 0) continue;
    first_load_run = r.sc.loads.empty() ? nullptr : find_load(&s, r.sc.loads.front().name);
    const auto& ok = run->report->latency_ok;
    const auto& no = run->report->latency_rejected;
    std::string vs_first = "–";
    if (first_load_run && first_load_run != run && first_load_run->report->latency_ok.count > 0)
      vs_first = fmt("%.2f", ok.p99 / std::max(1e-9, first_load_run->report->latency_ok.p99));
    rows += "| " + s.name + " | " + std::to_string(ok.count) + " | " + format_ms(ok.p50) + " | " +
            format_ms(ok.p99) + " | " + vs_first + " | " + std::to_string(no.count) + " | " +
            format_ms(no.p50) + " | " + format_ms(no.p99) + " | " + format_ms(no.max) + " |\n";
  }
  if (rows.empty()) return {};
  return "Admitted (2xx) and refused (non-2xx) responses:\n\n| system | admitted | p50 | p99 | "
         "p99 ÷ load `" +
         r.sc.loads.front().name +
         "` | refused | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|---|\n" + rows + "\n";
}

// When each fault phase ejected its provider, and when the circuit closed again.
std::string circuit_table(const run_record& r, const load_spec& l) {
  std::string rows;
  for (const auto& s : r.systems) {
    const auto* run = find_load(&s, l.name);
    if (!run) continue;
    for (const auto& c : run->circuits) {
      for (const auto& mock : r.sc.mocks) {
        if (mock.name != c.provider) continue;
        std::size_t ejections = 0;
        int prev = 0;
        for (const auto& [t, state] : c.samples) {
          if (prev != 1 && state == 1) ++ejections;  // a failed half-open probe re-ejects
          prev = state;
        }
        for (const auto& p : mock.phases) {
          if (!is_fault_phase(p)) continue;
          auto re = circuit_reaction_to(c, p);
          rows += "| " + s.name + " | " + c.provider + " | " +
                  (p.label.empty()
                       ? fmt("%g", p.from_s) + "–" + fmt("%g", p.to_s) + " s"
                       : p.label + " (" + fmt("%g", p.from_s) + "–" + fmt("%g", p.to_s) + " s)") +
                  " | " + (re.ejected_after_s ? format_ms(*re.ejected_after_s * 1e3) : "never") +
                  " | " + (re.closed_after_s ? format_ms(*re.closed_after_s * 1e3) : "not seen") +
                  " | " + std::to_string(ejections) + " |\n";
        }
      }
    }
  }
  if (rows.empty()) return {};
  return "Circuit breaker (`switchyard_provider_circuit_state` sampled every 100 ms from "
         "/metrics, so each figure is ±100 ms):\n\n| system | provider | fault phase | ejected "
         "after the phase began | closed after the phase ended | ejections in the load "
         "|\n|---|---|---|---|---|---|\n" +
         rows + "\n";
}

}  // namespace

// With `switchyard` and `switchyard-metrics-off` in the run: their throughput ratio per load
// and its median over the loads (the target: metrics on ≥ 95% of off).
std::string metrics_cost_section(const run_record& r) {
  const system_run* on = nullptr;
  const system_run* off = nullptr;
  for (const auto& s : r.systems) {
    if (!s.skipped.empty()) continue;
    if (s.name == "switchyard") on = &s;
    if (s.name == "switchyard-metrics-off") off = &s;
  }
  if (on == nullptr || off == nullptr) return {};
  std::string m =
      "## Metrics cost\n\nThroughput of Switchyard with its Prometheus exporter on, divided by "
      "the same gateway with `server.metrics: false`, load by load in this run:\n\n"
      "| load | metrics on (req/s) | metrics off (req/s) | on ÷ off |\n|---|---|---|---|\n";
  std::vector<double> ratios;
  for (const auto& l : r.sc.loads) {
    const auto* a = find_load(on, l.name);
    const auto* b = find_load(off, l.name);
    if (!a || !b) continue;
    double ratio = a->report->ok_rps / std::max(1e-9, b->report->ok_rps);
    ratios.push_back(ratio);
    m += "| " + l.name + " | " + fmt("%.0f", a->report->ok_rps) + " | " +
         fmt("%.0f", b->report->ok_rps) + " | " + fmt("%.3f", ratio) + " |\n";
  }
  if (ratios.empty()) return m + "\nNo load has a result for both.\n\n";
  std::sort(ratios.begin(), ratios.end());
  const auto n = ratios.size();
  double median = n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  m += "\nMedian on ÷ off: **" + fmt("%.3f", median) +
       "** (target ≥ 0.95: " + (median >= 0.95 ? "met" : "not met") + ").\n\n";
  return m;
}

std::string render_markdown(const run_record& r) {
  const auto& sc = r.sc;
  std::string m;
  m += "# Benchmark: " + sc.name + "\n\n";
  if (!sc.description.empty()) m += sc.description + "\n\n";
  m += "Run from " + r.started_at + " to " + r.finished_at + " with `" + r.command + "`";
  if (!r.switchyard_version.empty()) m += " (" + r.switchyard_version + ")";
  m += ". Every system was measured in this one run, one after the other, on the same machine.\n\n";

  m += "## Machine\n\n";
  m += "- CPU: " + std::to_string(r.nproc) + " × " + r.cpu + " (`nproc` " +
       std::to_string(r.nproc) + ")\n";
  if (!r.kernel.empty()) m += "- Kernel: " + r.kernel + "\n";
  if (!r.load_average.empty()) {
    double lo = 1e9, hi = 0, sum = 0;
    for (auto [t, v] : r.load_average) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    m += "- Load average (1 min) during the run: min " + fmt("%.2f", lo) + ", mean " +
         fmt("%.2f", sum / r.load_average.size()) + ", max " + fmt("%.2f", hi) +
         " (sampled every second; the machine is shared, so other jobs may have run)\n";
  }
  m += "- Open files limit (RLIMIT_NOFILE): soft " + std::to_string(r.fd_soft) + ", hard " +
       std::to_string(r.fd_hard) + "\n\n";

  m += "## Setup\n\n";
  m += "Mock upstreams (`bench/mock_provider`, started fresh for every system):\n\n";
  for (const auto& mk : sc.mocks) {
    m += "- **" + mk.name + "**: " + describe(mk) + "\n";
    for (const auto& p : mk.phases) {
      std::string kind;
      m += "  - " + fmt("%g", p.from_s) + " s – " + fmt("%g", p.to_s) +
           " s: " + phase_label(mk, p, kind);
      if (p.down) m += " (listener and connections closed, then listening again on the same port)";
      m += "\n";
    }
  }
  m += "\n| system | setup | measured |\n|---|---|---|\n";
  for (const auto& s : r.systems) {
    m += "| " + s.name + " | " + s.what + " | " +
         (s.skipped.empty() ? "yes" : "**no**: " + s.skipped) + " |\n";
  }
  m += "\n";
  if (!r.notes.empty()) {
    m += "Notes on this run:\n\n";
    for (const auto& n : r.notes) m += "- " + n + "\n";
    m += "\n";
  }

  for (const auto& l : sc.loads) {
    m += "## Load `" + l.name + "`: " + describe(l) + "\n\n";
    m += "| system | result | ok/s | error rate | p50 | p90 | p99 | p99.9 | max | TTFT p50 | TTFT "
         "p99 |\n";
    m += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::vector<std::string> not_results;
    for (const auto& s : r.systems) {
      if (!s.skipped.empty()) continue;
      for (const auto& run : s.loads) {
        if (run.load != l.name) continue;
        if (!run.is_result()) {
          std::string why = run.failure;
          if (why.empty() && run.report) {
            for (const auto& reason : run.report->invalid_reasons)
              why += (why.empty() ? "" : "; ") + reason;
          }
          m += "| " + s.name + " | **not a result** | – | – | – | – | – | – | – | – | – |\n";
          not_results.push_back(s.name + ": " + why);
          continue;
        }
        const auto& rep = *run.report;
        bool streams = rep.ttft.count > 0;
        m += "| " + s.name + " | valid | " + fmt("%.0f", rep.ok_rps) + " | " + pct(rep.error_rate) +
             " | " + format_ms(rep.latency.p50) + " | " + format_ms(rep.latency.p90) + " | " +
             format_ms(rep.latency.p99) + " | " + format_ms(rep.latency.p99_9) + " | " +
             format_ms(rep.latency.max) + " | " + (streams ? format_ms(rep.ttft.p50) : "–") +
             " | " + (streams ? format_ms(rep.ttft.p99) : "–") + " |\n";
      }
    }
    m += "\n";
    for (const auto& n : not_results) m += "- Not a result — " + n + "\n";
    if (!not_results.empty()) m += "\n";

    // Ratios against the mock called directly and against nginx, from this same run.
    const auto* direct = find_load(find_system(r, system_kind::direct), l.name);
    const auto* nginx = find_load(find_system(r, system_kind::nginx), l.name);
    if (direct) {
      m += "Compared with calling the mock directly in this run";
      m += l.closed ? " (closed loop: throughput is the most each system served)" : "";
      m += ":\n\n| system | added p50 | added p99 | throughput ÷ direct | throughput ÷ nginx "
           "|\n|---|---|---|---|---|\n";
      for (const auto& s : r.systems) {
        if (s.kind == system_kind::direct) continue;
        const auto* run = find_load(&s, l.name);
        if (!run) continue;
        const auto& a = run->report->latency;
        const auto& d = direct->report->latency;
        m += "| " + s.name + " | " + format_ms(a.p50 - d.p50) + " | " + format_ms(a.p99 - d.p99) +
             " | " + fmt("%.2f", run->report->ok_rps / std::max(1e-9, direct->report->ok_rps)) +
             " | " +
             (nginx ? fmt("%.2f", run->report->ok_rps / std::max(1e-9, nginx->report->ok_rps))
                    : "–") +
             " |\n";
      }
      m += "\n";
    }

    // Where the errors came from.
    std::string errors;
    for (const auto& s : r.systems) {
      for (const auto& run : s.loads) {
        if (run.load != l.name || !run.is_result()) continue;
        const auto& rep = *run.report;
        std::string line;
        for (const auto& [code, n] : rep.status_codes) {
          if (code != "200")
            line += (line.empty() ? "" : ", ") + std::to_string(n) + " × HTTP " + code;
        }
        for (const auto& k : rep.error_kinds) {
          line += (line.empty() ? "" : ", ") + std::to_string(k.count) + " × " + k.kind;
          if (!k.example.empty()) line += " (\"" + k.example + "\")";
        }
        if (rep.streams > 0 && rep.streams_done < rep.streams) {
          line += (line.empty() ? "" : ", ") + std::to_string(rep.streams - rep.streams_done) +
                  " of " + std::to_string(rep.streams) + " streams did not end with [DONE]";
        }
        std::string upstream;
        for (const auto& [mock, n] : run.mock_requests) {
          upstream += (upstream.empty() ? "" : ", ") + mock + " " + std::to_string(n);
        }
        // Hedges and retries show as upstream requests beyond what direct calls made with the
        // same schedule (warm-up included in both).
        const auto* direct_run = find_load(find_system(r, system_kind::direct), l.name);
        const auto direct_total = direct_run ? upstream_requests(*direct_run) : 0;
        if (s.kind != system_kind::direct && direct_total > 0 && !run.mock_requests.empty()) {
          char extra[48];
          std::snprintf(extra, sizeof extra, " (%+.1f%% against direct)",
                        100.0 * (static_cast<double>(upstream_requests(run)) /
                                     static_cast<double>(direct_total) -
                                 1.0));
          upstream += extra;
        }
        for (const auto& left : run.leftovers)
          line += (line.empty() ? "" : "; ") + std::string("after the load: ") + left;
        if (run.budget) line += (line.empty() ? "" : "; ") + budget_line(*run.budget);
        if (run.counters_operations)
          line +=
              (line.empty() ? "" : "; ") + counters_line(*run.counters_operations, rep.completed);
        // Pinned nodes share their cores with nothing of theirs: CPU per request compares them.
        if (s.kind == system_kind::switchyard && !sc.gateway.cpus.empty())
          line += (line.empty() ? "" : "; ") + cpu_line(run.cpu_s, rep.completed);
        if (!line.empty() || !run.mock_requests.empty()) {
          errors += "- " + s.name + ": " + (line.empty() ? "no errors" : line);
          if (!run.mock_requests.empty()) errors += "; upstream requests: " + upstream;
          errors += "\n";
        }
      }
    }
    if (!errors.empty()) m += "Errors and upstream requests:\n\n" + errors + "\n";
    m += admitted_and_refused(r, l);
    m += circuit_table(r, l);

    m += "![Latency by percentile, load " + l.name + "](latency-" + l.name + ".svg)\n\n";
    m += "![Throughput, p99 and errors over time, load " + l.name + "](timeline-" + l.name +
         ".svg)\n\n";
    if (sc.memory.enabled) m += "![Memory, load " + l.name + "](memory-" + l.name + ".svg)\n\n";
  }

  if (sc.memory.enabled) {
    m += "## Memory\n\n";
    m += "Resident memory of each system's processes from `/proc/PID/status` (VmRSS sampled every "
         "200 ms; "
         "VmHWM read at the end), and what the load added per request in flight at the peak.\n\n";
    m += "| system | load | VmRSS before | VmRSS peak | VmHWM after | peak in flight | bytes per "
         "in-flight request | target | peak fds |\n";
    m += "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& s : r.systems) {
      for (const auto& run : s.loads) {
        if (!run.is_result()) continue;
        double peak = run.report->peak_in_flight();
        double per =
            peak > 0
                ? (static_cast<double>(run.rss_peak) - static_cast<double>(run.rss_before)) / peak
                : 0;
        std::string target = "–";
        if (sc.memory.max_bytes_per_stream) {
          target = "≤ " + format_bytes(*sc.memory.max_bytes_per_stream) + ": " +
                   (per <= *sc.memory.max_bytes_per_stream ? "**met**" : "**missed**");
        }
        m += "| " + s.name + " | " + run.load + " | " + format_bytes(run.rss_before) + " | " +
             format_bytes(run.rss_peak) + " | " + format_bytes(run.hwm_after) + " | " +
             fmt("%.0f", peak) + " | " + format_bytes(per) + " | " + target + " | " +
             (run.fds_peak >= 0 ? std::to_string(run.fds_peak) : "–") + " |\n";
      }
    }
    m += "\n";
  }

  m += metrics_cost_section(r);

  bool logged = false;
  for (const auto& s : r.systems) logged |= !s.log_lines.empty();
  if (logged) {
    m += "## What the systems logged\n\nWarnings and errors on each system's standard error during "
         "the run "
         "(distinct lines, most frequent first):\n\n";
    for (const auto& s : r.systems) {
      for (const auto& line : s.log_lines) m += "- " + s.name + ": `" + line + "`\n";
    }
    m += "\n";
  }

  m += "## Method\n\n";
  m += "- Load: `switchyard-bench` (bench/loadgen). Open-loop latency counts from each request's "
       "*scheduled* "
       "start, so a stall is not hidden by the generator slowing down; a run where the generator "
       "fell behind "
       "its schedule, or where the target was unreachable, is reported above as not a result.\n";
  m += "- Every system gets freshly started mocks; mock phases are timed from the start of each "
       "load "
       "(the runner restarts the mocks' clock with `POST /_mock/clock` just before the generator "
       "starts).\n";
  m += "- Latency by percentile: the generator's min, p50, p90, p99, p99.9 and max of each run.\n";
  m += "- Raw generator reports and logs are in `raw/` (not committed).\n\n";
  m += "## Reproduce\n\n```sh\nmake deps\ncmake -S . -B build -G Ninja "
       "-DCMAKE_BUILD_TYPE=RelWithDebInfo\n" +
       r.command + "\n```\n";
  return m;
}

std::vector<std::string> write_report(const run_record& r, const std::string& dir) {
  std::vector<std::string> files;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << text;
    files.push_back(name);
  };
  for (const auto& l : r.sc.loads) {
    write("latency-" + l.name + ".svg", latency_plot(r, l));
    write("timeline-" + l.name + ".svg", timeline_plot(r, l));
    if (r.sc.memory.enabled) write("memory-" + l.name + ".svg", memory_plot(r, l));
  }
  write("report.md", render_markdown(r));
  return files;
}

}  // namespace switchyard::bench
