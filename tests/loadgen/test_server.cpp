// The end-to-end tests' server: async Asio sessions, one request at a time per connection.
#include "loadgen/test_server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace switchyard::loadgen::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string chunk(const std::string& data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

std::string sse(const std::string& json) {
  return chunk("data: " + json + "\n\n");
}

std::string content_chunk(const std::string& text) {
  return sse(R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":")" +
             text + R"("},"finish_reason":null}]})");
}

}  // namespace

class test_session : public std::enable_shared_from_this<test_session> {
 public:
  test_session(tcp::socket s, test_server& server)
      : socket_(std::move(s)), server_(server), timer_(socket_.get_executor()) {}

  void start() { read_head(); }

 private:
  void read_head() {
    asio::async_read_until(socket_, buf_, "\r\n\r\n",
                           [self = shared_from_this()](const error_code& ec, std::size_t n) {
                             if (!ec) self->on_head(n);
                           });
  }

  void on_head(std::size_t head_len) {
    std::string head(asio::buffers_begin(buf_.data()),
                     asio::buffers_begin(buf_.data()) + static_cast<std::ptrdiff_t>(head_len));
    buf_.consume(head_len);
    ++server_.requests_;
    target_ = head.substr(head.find(' ') + 1);
    target_ = target_.substr(0, target_.find(' '));
    std::size_t length = 0;
    if (auto at = head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(head.substr(at + 16));
    }
    const std::size_t have = buf_.size();
    if (have >= length) {
      on_body(length);
      return;
    }
    asio::async_read(socket_, buf_, asio::transfer_exactly(length - have),
                     [self = shared_from_this(), length](const error_code& ec, std::size_t) {
                       if (!ec) self->on_body(length);
                     });
  }

  void on_body(std::size_t length) {
    std::string body(asio::buffers_begin(buf_.data()),
                     asio::buffers_begin(buf_.data()) + static_cast<std::ptrdiff_t>(length));
    buf_.consume(length);
    if (target_ == "/v1/close") {
      error_code ignored;
      socket_.close(ignored);
      return;
    }
    if (target_ == "/v1/hang") {
      read_head();  // never answers (the pending read keeps the session); the client times out
      return;
    }
    if (target_ == "/v1/ok") {
      write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
      return;
    }
    if (target_ == "/v1/fail") {
      write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (const auto at = body.find(R"("content":")"); at != std::string::npos) {
      server_.note_tag(body.substr(at + 11, 16));
    }
    if (body.find(R"("stream":true)") == std::string::npos) {
      const std::string json =
          R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":)"
          R"({"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
          R"("usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}})";
      write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(json.size()) + "\r\n\r\n" + json);
      return;
    }
    // A stream in two writes with a pause between, so tokens arrive in separate reads.
    std::string first =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
        sse(R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})") +
        content_chunk("one");
    std::string rest = content_chunk(" two") + content_chunk(" three");
    if (body.find(R"("include_usage":true)") != std::string::npos) {
      rest += sse(
          R"({"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}})");
    }
    rest += sse("[DONE]") + "0\r\n\r\n";
    auto self = shared_from_this();
    out_ = std::move(first);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self, rest = std::move(rest)](const error_code& ec, std::size_t) mutable {
          if (ec) return;
          self->timer_.expires_after(std::chrono::milliseconds(2));
          self->timer_.async_wait([self, rest = std::move(rest)](const error_code& e) mutable {
            if (!e) self->write(std::move(rest));
          });
        });
  }

  void write(std::string bytes) {
    out_ = std::move(bytes);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (!ec) self->read_head();
                      });
  }

  tcp::socket socket_;
  test_server& server_;
  asio::steady_timer timer_;
  asio::streambuf buf_;
  std::string target_;
  std::string out_;
};

test_server::test_server()
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

test_server::~test_server() {
  ioc_.stop();
  thread_.join();
}

void test_server::do_accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
    if (ec) return;
    ++connections_;
    std::make_shared<test_session>(std::move(s), *this)->start();
    do_accept();
  });
}

void test_server::note_tag(const std::string& tag) {
  std::lock_guard lock(mutex_);
  tags_.insert(tag);
}

std::size_t test_server::distinct_tags() const {
  std::lock_guard lock(mutex_);
  return tags_.size();
}

}  // namespace switchyard::loadgen::testing
