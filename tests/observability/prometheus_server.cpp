// Starting Prometheus and talking to its HTTP API.
#include "prometheus_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::otest {

using namespace std::chrono_literals;

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::size_t result_size(const rapidjson::Value& data) {
  if (!data.IsObject() || !data.HasMember("result")) return 0;
  const auto& r = data["result"];
  if (r.IsArray()) return r.Size();
  return 1;  // scalar or string: [time, value]
}

std::string to_json(const rapidjson::Value& data) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  data.Accept(w);
  return buf.GetString();
}

prometheus_server::prometheus_server(const itest::temp_dir& dir, std::uint16_t target_port,
                                     const std::filesystem::path& rule_file) {
  // The test fails (never skips) when Prometheus is missing: scripts/install-deps.sh installs it.
  if (::access(PROMETHEUS_BINARY, X_OK) != 0)
    throw std::runtime_error(std::string{"cannot run "} + PROMETHEUS_BINARY +
                             ": install the `prometheus` package (scripts/install-deps.sh)");
  auto storage = dir.path() / "prometheus-data";
  std::filesystem::create_directories(storage);
  auto config = dir.write("prometheus.yml",
                          "global:\n"
                          "  scrape_interval: 1s\n"
                          "  scrape_timeout: 1s\n"
                          "  evaluation_interval: 1s\n"
                          "rule_files:\n"
                          "  - " +
                              rule_file.string() +
                              "\n"
                              "scrape_configs:\n"
                              "  - job_name: switchyard\n"
                              "    static_configs:\n"
                              "      - targets: ['127.0.0.1:" +
                              std::to_string(target_port) + "']\n");
  // Another process may take the port between free_loopback_port() and Prometheus' bind: retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = itest::free_loopback_port();
    proc_ = std::make_unique<itest::process>(
        "prometheus",
        std::vector<std::string>{PROMETHEUS_BINARY, "--config.file=" + config.string(),
                                 "--storage.tsdb.path=" + storage.string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=warn"},
        dir.path() / "prometheus.stderr");
    bool ready = itest::eventually(
        [&] {
          if (!proc_->running()) return true;
          try {
            return itest::get(port_, "/-/ready", {}, 2s).status == 200;
          } catch (const std::exception&) {
            return false;
          }
        },
        60s, 100ms);
    if (ready && proc_->running()) return;
    std::string log = proc_->stderr_text();
    proc_->stop();
    if (log.find("address already in use") == std::string::npos)
      throw std::runtime_error("prometheus did not become ready:\n" + log);
  }
  throw std::runtime_error("prometheus found no free port");
}

rapidjson::Document prometheus_server::api(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& params) {
  std::string target = "/api/v1/" + std::string{path};
  char sep = '?';
  for (const auto& [k, v] : params) {
    target += sep + url_encode(k) + "=" + url_encode(v);
    sep = '&';
  }
  auto r = itest::get(port_, target, {}, 30s);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("status") ||
      std::string{doc["status"].GetString()} != "success" || !doc.HasMember("data"))
    throw std::runtime_error("prometheus " + target + " answered " + std::to_string(r.status) +
                             ": " + r.body);
  rapidjson::Document data;
  data.CopyFrom(doc["data"], data.GetAllocator());
  return data;
}

}  // namespace switchyard::otest
