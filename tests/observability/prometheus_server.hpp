// A real Prometheus (the Debian package's binary) for the observability tests: its own config,
// storage and loopback port in the test's temp dir, so it never touches a system instance.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "harness.hpp"

namespace switchyard::otest {

/// `prometheus` scraping `127.0.0.1:<target_port>` every second, evaluating `rule_file` every
/// second. Stopped (SIGTERM, then SIGKILL) on destruction.
class prometheus_server {
 public:
  prometheus_server(const itest::temp_dir& dir, std::uint16_t target_port,
                    const std::filesystem::path& rule_file);

  std::uint16_t port() const { return port_; }
  itest::process& proc() { return *proc_; }

  /// GET `/api/v1/<path>` with URL-encoded `params` ("query", "match[]"…); the `data` member of
  /// a `success` answer. Throws with the answer otherwise.
  rapidjson::Document api(std::string_view path,
                          const std::vector<std::pair<std::string, std::string>>& params = {});

  /// Instant query `expr` at the current time: its `data` (resultType and result).
  rapidjson::Document query(std::string_view expr) {
    return api("query", {{"query", std::string{expr}}});
  }

 private:
  std::unique_ptr<itest::process> proc_;
  std::uint16_t port_ = 0;
};

/// `s` percent-encoded for a query string.
std::string url_encode(std::string_view s);

/// The number of elements of an instant query's `result` (a vector's samples, 1 for a scalar).
std::size_t result_size(const rapidjson::Value& data);

/// `data` as compact JSON, for messages.
std::string to_json(const rapidjson::Value& data);

}  // namespace switchyard::otest
