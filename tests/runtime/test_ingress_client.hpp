// Test support for the ingress tests: an HTTP client whose every wait is bounded (no test can hang
// on a broken server), and request builders.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace switchyard::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

/// A blocking-style HTTP client in which every operation gives up after a bounded time.
class test_client {
 public:
  explicit test_client(unsigned short port) : socket_(io_) {
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
  }

  net::ip::tcp::socket& socket() { return socket_; }

  void send(const std::string& bytes) {
    boost::system::error_code ec;
    net::write(socket_, net::buffer(bytes), ec);
    if (ec) throw std::runtime_error("send failed: " + ec.message());
  }

  /// Reads one response; nullopt when the connection closed or `timeout` passed first.
  std::optional<http::response<http::string_body>> read_response(
      std::chrono::milliseconds timeout = 5s) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    chunk_sizes.clear();
    auto on_chunk = [this](std::uint64_t size, beast::string_view, boost::system::error_code&) {
      chunk_sizes.push_back(size);
    };
    parser.on_chunk_header(on_chunk);
    if (!run(
            [&](auto done) {
              http::async_read(socket_, buffer_, parser, [done](auto ec, auto) { done(ec); });
            },
            timeout))
      return std::nullopt;
    return parser.release();
  }

  /// Reads the header of the next response; its status, or nullopt on close or timeout.
  std::optional<unsigned> read_header_status(std::chrono::milliseconds timeout = 5s) {
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // the header only
    if (!run(
            [&](auto done) {
              http::async_read_header(socket_, buffer_, parser,
                                      [done](auto ec, auto) { done(ec); });
            },
            timeout))
      return std::nullopt;
    return parser.get().result_int();
  }

  /// Reads an interim `100 Continue`.
  bool read_continue(std::chrono::milliseconds timeout = 5s) {
    return read_header_status(timeout) == 100u;
  }

  /// True when the server closes the connection (EOF or reset) within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout = 5s) {
    if (buffer_.size() > 0) return false;
    char byte;
    boost::system::error_code result;
    bool finished = false;
    socket_.async_read_some(net::buffer(&byte, 1), [&](auto ec, auto) {
      result = ec;
      finished = true;
    });
    io_.restart();
    io_.run_for(timeout);
    if (!finished) {
      socket_.cancel();
      io_.restart();
      io_.run();
      return false;
    }
    return result == net::error::eof || result == net::error::connection_reset;
  }

  /// Everything until the server closes (bounded by `timeout`).
  std::string read_until_close(std::chrono::milliseconds timeout = 5s) {
    std::string out{static_cast<const char*>(buffer_.data().data()), buffer_.size()};
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      boost::system::error_code result;
      std::size_t n = 0;
      bool finished = false;
      socket_.async_read_some(net::buffer(chunk), [&](auto ec, auto bytes) {
        result = ec;
        n = bytes;
        finished = true;
      });
      io_.restart();
      io_.run_until(deadline);
      if (!finished) {
        socket_.cancel();
        io_.restart();
        io_.run();
        return out;
      }
      out.append(chunk.data(), n);
      if (result) return out;
    }
  }

  void close() {
    boost::system::error_code ec;
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  /// Chunk sizes of the last response read (chunked encoding only), the final 0 included.
  std::vector<std::uint64_t> chunk_sizes;

 private:
  template <class Start>
  bool run(Start start, std::chrono::milliseconds timeout) {
    bool finished = false;
    boost::system::error_code result;
    start([&](boost::system::error_code ec) {
      finished = true;
      result = ec;
    });
    io_.restart();
    io_.run_for(timeout);
    if (!finished) {
      socket_.cancel();
      io_.restart();
      io_.run();
      return false;
    }
    return !result;
  }

  net::io_context io_;
  net::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

/// A request line, headers and body, as raw bytes.
inline std::string raw_request(
    const std::string& method, const std::string& target, const std::string& body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n" + body;
  return out;
}

inline std::string chat_body(const std::string& model = "m1", bool stream = false) {
  return R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"hello"}]})";
}

inline std::vector<std::pair<std::string, std::string>> bearer(const char* key) {
  return {{"Authorization", std::string{"Bearer "} + key}};
}

}  // namespace switchyard::test
