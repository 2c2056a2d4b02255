// Client load for the cluster tests: a few threads sending chat requests at a steady total rate
// (or as fast as answers come), each answer kept with its status, request id and timing, so a
// test can compare what clients saw with what the cluster recorded.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace switchyard::ctest {

struct answer {
  unsigned status = 0;     ///< 0: no HTTP answer (connection error or timeout, see `error`)
  std::string request_id;  ///< the `x-request-id` the client got
  std::string error_code;  ///< `error.code` of an error body
  itest::steady::time_point sent;
  itest::steady::time_point done;
  std::string error;
};

struct load_plan {
  std::uint16_t port = 0;
  std::size_t clients = 6;
  /// Requests per second over all clients: exactly rate × duration requests, evenly spaced.
  /// 0: closed loop, each client sends its next request when answered, until `duration`.
  double rate = 0;
  itest::ms duration = std::chrono::seconds(10);
  itest::ms request_timeout = std::chrono::seconds(30);
  std::string body;
  std::string target = "/v1/chat/completions";
};

class client_load {
 public:
  /// Starts the clients at once.
  explicit client_load(load_plan plan);
  /// Stops and joins the clients.
  ~client_load();
  client_load(const client_load&) = delete;
  client_load& operator=(const client_load&) = delete;

  /// Waits until the plan's duration has passed and every client has its last answer.
  void wait();
  /// Ends the load early (the requests in flight finish first); joins.
  void stop();
  itest::steady::time_point started() const { return start_; }

  /// Every answer so far.
  std::vector<answer> answers() const;
  /// Answers with `status`, so far.
  std::size_t count(unsigned status) const;

 private:
  void client(std::size_t index);

  load_plan plan_;
  itest::steady::time_point start_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<answer> answers_;
  std::vector<std::thread> threads_;
};

/// A one-line summary of answers by status ("200: 410, 402: 97, 0: 2"), for failure messages.
std::string status_summary(const std::vector<answer>& answers);

}  // namespace switchyard::ctest
