// The last few requests the mock received, verbatim, so tests can check exactly what a gateway
// forwarded (rewritten fields, kept fields, the upstream credential).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::mock {

/// One received request.
struct logged_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// A bounded, thread-safe log of the most recent model-route requests (any dialect, embeddings).
class request_log {
 public:
  explicit request_log(std::size_t capacity) : capacity_(capacity) {}

  /// Keeps `r`, dropping the oldest entry when full (a no-op with capacity 0).
  void add(logged_request r);

  /// `{"requests":[{"method","target","headers":{…},"body":<the JSON body, or a string>}…]}`,
  /// oldest first.
  std::string all_json() const;

  /// The newest request as one object, or nullopt-like empty string when none.
  std::string last_json() const;

  /// Forgets everything.
  void clear();

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<logged_request> entries_;
};

}  // namespace switchyard::mock
