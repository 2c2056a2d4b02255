// Helpers for the mock provider tests: an in-process server on a free port, and a small HTTP
// client whose every operation has a deadline so a broken server fails a test instead of hanging.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "bench/mock_provider/dialect_replies.hpp"
#include "bench/mock_provider/options.hpp"
#include "bench/mock_provider/reply_script.hpp"
#include "bench/mock_provider/server.hpp"

namespace switchyard::mock::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

/// Options for a test server on 127.0.0.1 with a free port.
inline options test_options() {
  options o;
  o.listen_host = "127.0.0.1";
  o.listen_port = 0;
  return o;
}

/// A mock provider running on its own thread for the life of the object.
class running_server {
 public:
  explicit running_server(options o = test_options()) : srv_(std::move(o)) {
    auto bound = srv_.listen();
    if (!bound) throw std::runtime_error(bound.error());
    endpoint_ = bound.value();
    thread_ = std::thread([this] { srv_.run(); });
  }
  ~running_server() {
    srv_.stop();
    thread_.join();
  }
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;

  const tcp::endpoint& endpoint() const { return endpoint_; }
  server_state& state() { return srv_.state(); }

 private:
  server srv_;
  tcp::endpoint endpoint_;
  std::thread thread_;
};

/// What reading raw bytes until the connection ended produced.
struct raw_read {
  std::string bytes;
  beast::error_code ec;  ///< why reading stopped: eof, connection_reset, timeout
};

/// One client connection. Every call runs its own io_context until done or the deadline.
class client {
 public:
  static constexpr std::chrono::seconds deadline{10};

  explicit client(const tcp::endpoint& ep) : stream_(ioc_) {
    stream_.expires_after(deadline);
    beast::error_code ec;
    stream_.async_connect(ep, [&](beast::error_code e) { ec = e; });
    run();
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  /// Sends `req` (Content-Length and Host filled in).
  void send(http::request<http::string_body> req) {
    req.set(http::field::host, "mock");
    req.prepare_payload();
    beast::error_code ec;
    stream_.expires_after(deadline);
    http::async_write(stream_, req, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw std::runtime_error("write: " + ec.message());
  }

  /// Sends raw bytes as they are.
  void send_raw(std::string_view bytes) {
    beast::error_code ec;
    stream_.expires_after(deadline);
    net::async_write(stream_, net::buffer(bytes),
                     [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) throw std::runtime_error("write: " + ec.message());
  }

  /// Reads one whole response (chunked bodies are decoded). `ec` says why it failed.
  http::response<http::string_body> read(beast::error_code& ec) {
    http::response<http::string_body> res;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    stream_.expires_after(deadline);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (!ec) res = parser.release();
    return res;
  }

  /// A response and when its header and its end arrived.
  struct timed_response {
    http::response<http::string_body> res;
    std::chrono::steady_clock::time_point header_at;
    std::chrono::steady_clock::time_point done_at;
  };

  /// Reads one response, noting when the header and the end arrived; throws on failure.
  timed_response read_timed() {
    timed_response out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    beast::error_code ec;
    stream_.expires_after(deadline);
    http::async_read_header(stream_, buffer_, parser,
                            [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    out.header_at = std::chrono::steady_clock::now();
    if (ec) throw std::runtime_error("read header: " + ec.message());
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    out.done_at = std::chrono::steady_clock::now();
    if (ec) throw std::runtime_error("read body: " + ec.message());
    out.res = parser.release();
    return out;
  }

  /// Reads one response; throws on failure.
  http::response<http::string_body> read() {
    beast::error_code ec;
    auto res = read(ec);
    if (ec) throw std::runtime_error("read: " + ec.message());
    return res;
  }

  /// Sends `req` and reads its response.
  http::response<http::string_body> exchange(http::request<http::string_body> req) {
    send(std::move(req));
    return read();
  }

  /// Reads raw bytes (after anything already buffered) until the peer closes or resets.
  raw_read read_until_closed() {
    raw_read out;
    auto data = buffer_.data();
    out.bytes.assign(static_cast<const char*>(data.data()), data.size());
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk{};
    stream_.expires_after(deadline);
    bool done = false;
    std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code e,
                                                                      std::size_t n) {
      out.bytes.append(chunk.data(), n);
      if (e) {
        out.ec = e;
        done = true;
        return;
      }
      stream_.async_read_some(net::buffer(chunk), on_read);
    };
    stream_.async_read_some(net::buffer(chunk), on_read);
    run();
    if (!done) out.ec = beast::error::timeout;
    return out;
  }

  /// Bytes the kernel holds for us right now, without waiting.
  std::size_t available() {
    beast::error_code ec;
    return stream_.socket().available(ec) + buffer_.size();
  }

  /// Closes our side.
  void close() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

/// A request with a JSON body.
inline http::request<http::string_body> post(std::string_view target, std::string body) {
  http::request<http::string_body> req{http::verb::post, std::string(target), 11};
  req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  return req;
}

/// A GET (or other bodiless) request.
inline http::request<http::string_body> get(std::string_view target,
                                            http::verb verb = http::verb::get) {
  return http::request<http::string_body>{verb, std::string(target), 11};
}

/// A minimal valid chat request body.
inline std::string chat_body(bool stream = false, std::string_view extra = "") {
  std::string s = R"({"model":"test-model","messages":[{"role":"user","content":"hello there"}])";
  if (stream) s += R"(,"stream":true)";
  if (!extra.empty()) {
    s += ',';
    s += extra;
  }
  s += '}';
  return s;
}

/// Parses JSON; fails the calling test through the returned document's error flag.
inline rapidjson::Document parse_json(std::string_view s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  return d;
}

/// Parses JSON that must parse: throws (failing the calling test) when it does not.
inline rapidjson::Document must_parse(std::string_view s) {
  auto d = parse_json(s);
  if (d.HasParseError()) throw std::runtime_error("not JSON: " + std::string(s));
  return d;
}

/// A JSON string value as a std::string.
inline std::string str(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

/// The `data:` payloads of an SSE body (events separated by blank lines).
inline std::vector<std::string> sse_data(std::string_view body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find("\n\n", pos);
    if (end == std::string_view::npos) break;
    auto event = body.substr(pos, end - pos);
    if (event.substr(0, 6) == "data: ") out.emplace_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

/// One Server-Sent Event: its `event:` name (empty when it has none) and its `data:`.
struct sse_event {
  std::string name;
  std::string data;
};

/// The events of an SSE body, in order; CRLF line ends read as LF (Gemini sends CRLF). A last
/// event without its blank line is left out, as a client would.
inline std::vector<sse_event> sse_events(std::string_view body) {
  std::string text;
  text.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    text.push_back(body[i]);
  }
  std::vector<sse_event> out;
  std::size_t pos = 0;
  for (auto end = text.find("\n\n"); end != std::string::npos; end = text.find("\n\n", pos)) {
    sse_event e;
    std::string_view block(text.data() + pos, end - pos);
    while (!block.empty()) {
      auto nl = block.find('\n');
      auto line = block.substr(0, nl);
      if (line.substr(0, 7) == "event: ") e.name = std::string(line.substr(7));
      if (line.substr(0, 6) == "data: ") e.data = std::string(line.substr(6));
      block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
    }
    out.push_back(std::move(e));
    pos = end + 2;
  }
  return out;
}

/// The events' names, in order.
inline std::vector<std::string> event_names(const std::vector<sse_event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name);
  return out;
}

/// Reply 1, created at 1700000000, to a request for "test-model" in dialect `d`: `reply_tokens`
/// capped by `max_tokens`, or a call of `tool` when it is non-empty.
inline reply_context make_test_reply(protocols::dialect d, std::uint32_t reply_tokens,
                                     std::optional<std::uint32_t> max_tokens,
                                     std::uint32_t prompt_tokens, std::string tool = {},
                                     bool include_usage = false) {
  reply_request req;
  req.model = "test-model";
  req.max_tokens = max_tokens;
  req.prompt_tokens = prompt_tokens;
  req.tool = std::move(tool);
  req.include_usage = include_usage;
  return make_reply(d, 1, 1700000000, reply_tokens, req);
}

/// Reads GET /_mock/stats through a fresh connection.
inline rapidjson::Document fetch_stats(const tcp::endpoint& ep) {
  client c(ep);
  auto res = c.exchange(get("/_mock/stats"));
  return parse_json(res.body());
}

/// One counter of a stats document: `d[group][key]`.
inline std::uint64_t stat(const rapidjson::Document& d, const char* group, const char* key) {
  return d[group][key].GetUint64();
}

/// Replaces the fault plan (POST /_mock/faults); throws when the server refuses it.
inline void set_plan(const tcp::endpoint& ep, std::string json) {
  client c(ep);
  auto res = c.exchange(post("/_mock/faults", std::move(json)));
  if (res.result_int() != 200) throw std::runtime_error("fault plan refused: " + res.body());
}

/// True when reading stopped on a TCP reset.
inline bool is_reset(const beast::error_code& ec) {
  return ec == net::error::connection_reset;
}

/// The status line and headers of a raw response.
inline std::string header_block(const std::string& raw) {
  return raw.substr(0, raw.find("\r\n\r\n"));
}

/// How many times `needle` occurs in `hay`.
inline std::size_t count_of(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace switchyard::mock::test
