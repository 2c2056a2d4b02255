// Merging run statistics and assembling the per-second series across worker threads.
#include "bench/loadgen/stats.hpp"

#include <algorithm>
#include <limits>

namespace switchyard::loadgen {

const char* error_kind_name(error_kind k) noexcept {
  switch (k) {
    case error_kind::none:
      return "none";
    case error_kind::connect_refused:
      return "connect_refused";
    case error_kind::connect_timeout:
      return "connect_timeout";
    case error_kind::connect_unreachable:
      return "connect_unreachable";
    case error_kind::connect_other:
      return "connect_other";
    case error_kind::tls_handshake:
      return "tls_handshake";
    case error_kind::timeout:
      return "timeout";
    case error_kind::queue_timeout:
      return "queue_timeout";
    case error_kind::reset:
      return "reset";
    case error_kind::closed:
      return "closed";
    case error_kind::protocol:
      return "protocol";
    case error_kind::io_other:
      return "io_other";
  }
  return "unknown";
}

void run_stats::add_error(error_kind k, const std::string& message) {
  const auto i = static_cast<std::size_t>(k);
  ++errors[i];
  ++failed;
  if (error_examples[i].empty()) error_examples[i] = message;
}

void run_stats::merge(const run_stats& o) {
  scheduled += o.scheduled;
  sent += o.sent;
  completed += o.completed;
  ok += o.ok;
  failed += o.failed;
  unfinished += o.unfinished;
  for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
  for (std::size_t i = 0; i < errors.size(); ++i) {
    errors[i] += o.errors[i];
    if (error_examples[i].empty()) error_examples[i] = o.error_examples[i];
  }
  streams += o.streams;
  not_event_stream += o.not_event_stream;
  malformed_streams += o.malformed_streams;
  for (std::size_t i = 0; i < stream_ends.size(); ++i) stream_ends[i] += o.stream_ends[i];
  content_chunks += o.content_chunks;
  usage_reports += o.usage_reports;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  bytes_sent += o.bytes_sent;
  bytes_received += o.bytes_received;
  queued += o.queued;
  waited_for_connect += o.waited_for_connect;
  max_queue_depth = std::max(max_queue_depth, o.max_queue_depth);
  connections_opened += o.connections_opened;
  connect_failures += o.connect_failures;
  peer_closes += o.peer_closes;
  latency.merge(o.latency);
  latency_ok.merge(o.latency_ok);
  latency_rejected.merge(o.latency_rejected);
  ttfb.merge(o.ttfb);
  ttft.merge(o.ttft);
  itl.merge(o.itl);
  total.merge(o.total);
  lag.merge(o.lag);
  queue_wait.merge(o.queue_wait);
}

std::uint64_t run_stats::status_class(unsigned hundreds) const noexcept {
  std::uint64_t n = 0;
  const std::size_t lo = hundreds * 100;
  for (std::size_t i = lo; i < lo + 100 && i < status.size(); ++i) n += status[i];
  return n;
}

void second_bucket::reset(std::int64_t s) noexcept {
  second = s;
  sent = completed = errors = in_flight = queue = 0;
  latency.clear();
  ttft.clear();
  lag.clear();
}

void second_bucket::merge(const second_bucket& o) {
  sent += o.sent;
  completed += o.completed;
  errors += o.errors;
  in_flight += o.in_flight;
  queue += o.queue;
  latency.merge(o.latency);
  ttft.merge(o.ttft);
  lag.merge(o.lag);
}

series_collector::series_collector(unsigned workers, double warmup_s)
    : warmup_s_(warmup_s), watermark_(workers, 0) {}

void series_collector::submit(unsigned w, const second_bucket& b, std::int64_t next_second) {
  std::lock_guard lock(mutex_);
  if (b.second >= next_final_) {
    auto it = pending_.find(b.second);
    if (it == pending_.end()) {
      it = pending_.emplace(b.second, second_bucket{}).first;
      it->second.reset(b.second);
    }
    it->second.merge(b);
  }
  watermark_[w] = std::max(watermark_[w], next_second);
  finalise_locked();
}

void series_collector::finish(unsigned w) {
  std::lock_guard lock(mutex_);
  watermark_[w] = std::numeric_limits<std::int64_t>::max();
  finalise_locked();
}

void series_collector::finalise_locked() {
  const std::int64_t low = *std::min_element(watermark_.begin(), watermark_.end());
  const bool all_done = low == std::numeric_limits<std::int64_t>::max();
  // Every second below `low` is complete; when all workers are done, up to the last bucket.
  std::int64_t limit = low;
  if (all_done) limit = pending_.empty() ? next_final_ : pending_.rbegin()->first + 1;
  while (next_final_ < limit) {
    series_row row;
    row.second = next_final_;
    row.warmup = static_cast<double>(next_final_) < warmup_s_;
    auto it = pending_.find(next_final_);
    if (it != pending_.end()) {
      const second_bucket& b = it->second;
      row.sent = b.sent;
      row.completed = b.completed;
      row.errors = b.errors;
      row.in_flight = b.in_flight;
      row.queue = b.queue;
      if (!b.latency.empty()) {
        row.p50 = b.latency.percentile(50);
        row.p99 = b.latency.percentile(99);
      }
      if (!b.ttft.empty()) {
        row.ttft_p50 = b.ttft.percentile(50);
        row.ttft_p99 = b.ttft.percentile(99);
      }
      if (!b.lag.empty()) {
        row.lag_p50 = b.lag.percentile(50);
        row.lag_max = b.lag.max();
        row.behind = static_cast<std::int64_t>(*row.lag_p50) > lag_median_limit_ns ||
                     static_cast<std::int64_t>(*row.lag_max) > lag_max_limit_ns;
      }
      pending_.erase(it);
    }
    final_.push_back(row);
    ++next_final_;
  }
}

std::vector<series_row> series_collector::rows() const {
  std::lock_guard lock(mutex_);
  return final_;
}

std::optional<series_row> series_collector::latest() const {
  std::lock_guard lock(mutex_);
  if (final_.empty()) return std::nullopt;
  return final_.back();
}

}  // namespace switchyard::loadgen
