// The mock provider's counters and their JSON form.
#include "bench/mock_provider/stats.hpp"

namespace switchyard::mock {

namespace {

constexpr std::array<std::string_view, route_count> route_names = {"chat_completions",
                                                                   "messages",
                                                                   "generate_content",
                                                                   "embeddings",
                                                                   "models",
                                                                   "health",
                                                                   "admin",
                                                                   "other"};

void append_field(std::string& out, std::string_view key, std::uint64_t value, bool& first) {
  if (!first) out += ',';
  first = false;
  out += '"';
  out += key;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

std::string_view to_string(route r) noexcept {
  auto i = static_cast<std::size_t>(r);
  return i < route_names.size() ? route_names[i] : std::string_view{"other"};
}

void stats::count_request(route r) noexcept {
  routes_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
}

void stats::count_fault(fault_kind k) noexcept {
  faults_[static_cast<std::size_t>(k)].fetch_add(1, std::memory_order_relaxed);
}

void stats::count_status(unsigned status) noexcept {
  auto cls = status / 100;
  if (cls >= 1 && cls < responses_.size()) responses_[cls].fetch_add(1, std::memory_order_relaxed);
}

void stats::connection_opened() noexcept {
  connections_total_.fetch_add(1, std::memory_order_relaxed);
  open_connections_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t stats::requests(route r) const noexcept {
  return routes_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
}

std::uint64_t stats::faults(fault_kind k) const noexcept {
  return faults_[static_cast<std::size_t>(k)].load(std::memory_order_relaxed);
}

void stats::reset() noexcept {
  for (auto& c : routes_) c.store(0, std::memory_order_relaxed);
  for (auto& c : faults_) c.store(0, std::memory_order_relaxed);
  for (auto& c : responses_) c.store(0, std::memory_order_relaxed);
  streams_.store(0, std::memory_order_relaxed);
  streams_completed_.store(0, std::memory_order_relaxed);
  connections_total_.store(0, std::memory_order_relaxed);
}

std::string stats::to_json() const {
  std::string out;
  out.reserve(512);
  std::uint64_t total = 0;
  for (const auto& c : routes_) total += c.load(std::memory_order_relaxed);
  std::uint64_t faults_total = 0;
  for (const auto& c : faults_) faults_total += c.load(std::memory_order_relaxed);

  bool first = true;
  out += '{';
  append_field(out, "requests_total", total, first);
  out += ",\"routes\":{";
  bool inner = true;
  for (std::size_t i = 0; i < route_count; ++i) {
    append_field(out, route_names[i], routes_[i].load(std::memory_order_relaxed), inner);
  }
  out += '}';
  append_field(out, "streams", streams_.load(std::memory_order_relaxed), first);
  append_field(out, "streams_completed", streams_completed_.load(std::memory_order_relaxed), first);
  append_field(out, "faults_total", faults_total, first);
  out += ",\"faults\":{";
  inner = true;
  for (std::size_t i = 0; i < fault_kind_count; ++i) {
    append_field(out, to_string(static_cast<fault_kind>(i)),
                 faults_[i].load(std::memory_order_relaxed), inner);
  }
  out += "},\"responses\":{";
  inner = true;
  for (std::size_t cls = 1; cls < responses_.size(); ++cls) {
    std::string key = std::to_string(cls) + "xx";
    append_field(out, key, responses_[cls].load(std::memory_order_relaxed), inner);
  }
  out += '}';
  auto open = open_connections_.load(std::memory_order_relaxed);
  append_field(out, "open_connections", open < 0 ? 0 : static_cast<std::uint64_t>(open), first);
  append_field(out, "connections_total", connections_total_.load(std::memory_order_relaxed), first);
  out += '}';
  return out;
}

}  // namespace switchyard::mock
