// Client load: paced senders over fresh connections, as independent clients would be.
#include "client_load.hpp"

#include <cmath>
#include <map>
#include <sstream>

namespace switchyard::ctest {

using namespace itest;

client_load::client_load(load_plan plan) : plan_(std::move(plan)), start_(steady::now()) {
  if (plan_.clients == 0) plan_.clients = 1;
  for (std::size_t i = 0; i < plan_.clients; ++i) threads_.emplace_back([this, i] { client(i); });
}

client_load::~client_load() {
  stop();
}

void client_load::client(std::size_t index) {
  const auto end = start_ + plan_.duration;
  // Open loop: request j of the plan is due at j / rate, and client i sends requests i,
  // i + clients, i + 2·clients…: together an even stream at `rate`, exactly rate × duration
  // requests. A client behind schedule sends at once (one request at a time, no burst).
  const double seconds = std::chrono::duration<double>(plan_.duration).count();
  const auto planned =
      plan_.rate > 0 ? static_cast<std::size_t>(std::floor(plan_.rate * seconds + 1e-9)) : 0;
  for (std::size_t j = index; !stop_.load(); j += plan_.clients) {
    if (plan_.rate > 0) {
      if (j >= planned) break;
      const auto due = start_ + std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double>(j / plan_.rate));
      while (!stop_.load() && steady::now() < due) std::this_thread::sleep_for(2ms);
      if (stop_.load()) break;
    } else if (steady::now() >= end) {
      break;
    }
    answer a;
    a.sent = steady::now();
    try {
      auto r = http_request(plan_.port, "POST", plan_.target, plan_.body, json_headers(test_key),
                            plan_.request_timeout);
      a.status = r.status;
      a.request_id = r.header("x-request-id");
      if (r.status != 200) a.error_code = json_string(r.json(), "error/code");
    } catch (const std::exception& e) {
      a.error = e.what();
    }
    a.done = steady::now();
    std::lock_guard lock(mu_);
    answers_.push_back(std::move(a));
  }
}

void client_load::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void client_load::stop() {
  stop_ = true;
  wait();
}

std::vector<answer> client_load::answers() const {
  std::lock_guard lock(mu_);
  return answers_;
}

std::size_t client_load::count(unsigned status) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& a : answers_) n += a.status == status ? 1 : 0;
  return n;
}

std::string status_summary(const std::vector<answer>& answers) {
  std::map<unsigned, std::size_t> by_status;
  std::map<std::string, std::size_t> by_code;
  for (const auto& a : answers) {
    ++by_status[a.status];
    if (!a.error_code.empty()) ++by_code[a.error_code];
  }
  std::ostringstream s;
  for (auto& [status, n] : by_status) s << (s.tellp() > 0 ? ", " : "") << status << ": " << n;
  for (auto& [code, n] : by_code) s << ", " << code << ": " << n;
  return s.str();
}

}  // namespace switchyard::ctest
