// A tiny in-process HTTP/1.1 server for the end-to-end tests: OpenAI-style chat completions
// (whole or streamed), a static "ok", a 503, a connection drop and a request that never ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace switchyard::loadgen::testing {

/// Listens on 127.0.0.1 on a free port and serves on its own thread until destroyed.
class test_server {
 public:
  test_server();
  ~test_server();
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  /// Requests seen (complete heads).
  int requests() const noexcept { return requests_.load(); }
  /// Distinct 16-digit tags seen at the start of chat prompts.
  std::size_t distinct_tags() const;
  /// Connections accepted.
  int connections() const noexcept { return connections_.load(); }

 private:
  friend class test_session;
  void do_accept();
  void note_tag(const std::string& tag);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::set<std::string> tags_;
  std::thread thread_;
};

}  // namespace switchyard::loadgen::testing
