// A tiny scripted upstream for transport tests: listens on 127.0.0.1 port 0 (plain or TLS), reads
// HTTP/1.1 requests, and answers each with the steps a test's responder returns (write bytes,
// close). Counts accepted connections and connections the client closed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <cctype>
#include <future>
#include <type_traits>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "runtime/upstream_responses.hpp"

namespace switchyard::runtime::upstream_test {

/// One request as the server read it.
struct server_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::size_t connection = 0;  // 1-based accept order
  std::size_t index = 0;       // 1-based request number on its connection
};

/// One scripted action.
struct step {
  enum kind_t { write, close, gate } kind = write;
  std::string bytes;
};
using script = std::vector<step>;
/// Builds the answer to one request. An empty script never answers (the server waits for the
/// next request on that connection, which also notices when the client closes it).
using responder = std::function<script(const server_request&)>;

inline step send(std::string bytes) {
  return {step::write, std::move(bytes)};
}
inline step hang_up() {
  return {step::close, {}};
}
/// Waits until the test calls `open_gate()` (at once if it already did).
inline step wait_gate() {
  return {step::gate, {}};
}

class test_upstream_server {
 public:
  using tcp = boost::asio::ip::tcp;

  /// Plain HTTP, or TLS when `tls` is given (it must outlive the server). With `silent`, the
  /// server accepts and reads but never answers anything (not even a TLS handshake).
  test_upstream_server(boost::asio::io_context& io, responder r,
                       boost::asio::ssl::context* tls = nullptr, bool silent = false)
      : state_(std::make_shared<shared_state>(std::move(r))),
        io_(io),
        acceptor_(boost::asio::make_strand(io),
                  tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        tls_(tls),
        silent_(silent) {
    port_ = acceptor_.local_endpoint().port();
    do_accept();
  }

  ~test_upstream_server() { stop(); }

  /// Stops accepting and closes every connection (on their strands; the io_context must run).
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    std::promise<void> done;
    boost::asio::post(acceptor_.get_executor(), [&] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      std::vector<std::function<void()>> closers;
      {
        std::lock_guard<std::mutex> guard{state_->mutex};
        closers.swap(state_->closers);
      }
      for (auto& closer : closers) closer();
      done.set_value();
    });
    done.get_future().wait_for(std::chrono::seconds(5));
  }

  std::uint16_t port() const noexcept { return port_; }

  std::size_t accepted() const {
    std::lock_guard<std::mutex> guard{state_->mutex};
    return state_->accepted;
  }

  /// Connections on which the client closed or reset (seen by a pending server read).
  std::size_t client_closes() const {
    std::lock_guard<std::mutex> guard{state_->mutex};
    return state_->client_closes;
  }

  /// Scripts that ran to their end (every write handed to the kernel).
  std::size_t scripts_done() const {
    std::lock_guard<std::mutex> guard{state_->mutex};
    return state_->scripts_done;
  }

  /// Releases every script waiting at a `wait_gate()` step, and all later ones.
  void open_gate() {
    std::vector<std::function<void()>> waiters;
    state_->update([&] {
      state_->gate_open = true;
      waiters.swap(state_->gate_waiters);
    });
    for (auto& w : waiters) w();
  }

  std::vector<server_request> requests() const {
    std::lock_guard<std::mutex> guard{state_->mutex};
    return state_->requests;
  }

  /// Waits until `pred(*this)` holds; false on timeout.
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    std::unique_lock<std::mutex> lock{state_->mutex};
    return state_->cv.wait_for(lock, timeout, [&] {
      lock.unlock();
      const bool ok = pred(*this);
      lock.lock();
      return ok;
    });
  }

 private:
  struct shared_state {
    explicit shared_state(responder r) : respond(std::move(r)) {}
    responder respond;
    mutable std::mutex mutex;
    std::condition_variable cv;
    std::size_t accepted = 0;
    std::size_t client_closes = 0;
    std::size_t scripts_done = 0;
    bool gate_open = false;
    std::vector<std::function<void()>> gate_waiters;
    std::vector<server_request> requests;
    std::vector<std::function<void()>> closers;

    template <class F>
    void update(F f) {
      {
        std::lock_guard<std::mutex> guard{mutex};
        f();
      }
      cv.notify_all();
    }
  };

  static tcp::socket& lowest(tcp::socket& s) { return s; }
  static tcp::socket& lowest(boost::asio::ssl::stream<tcp::socket>& s) { return s.next_layer(); }

  template <class Stream>
  class session : public std::enable_shared_from_this<session<Stream>> {
   public:
    session(Stream stream, std::shared_ptr<shared_state> state, std::size_t index, bool silent)
        : stream_(std::move(stream)), state_(std::move(state)), index_(index), silent_(silent) {}

    void start(bool handshake) {
      auto self = this->shared_from_this();
      std::weak_ptr<session> weak = self;
      state_->update([&] {
        state_->closers.push_back([weak] {
          if (auto s = weak.lock())
            boost::asio::post(lowest(s->stream_).get_executor(), [s] { s->close_now(); });
        });
      });
      if (silent_) {
        do_read();
        return;
      }
      if constexpr (!std::is_same_v<Stream, tcp::socket>) {
        if (handshake) {
          stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                  [self](boost::system::error_code ec) {
                                    if (ec)
                                      self->close_now();
                                    else
                                      self->do_read();
                                  });
          return;
        }
      }
      do_read();
    }

    void close_now() {
      boost::system::error_code ec;
      closed_by_us_ = true;
      lowest(stream_).shutdown(tcp::socket::shutdown_both, ec);
      lowest(stream_).close(ec);
    }

   private:
    void do_read() {
      if (!silent_ && try_take_request()) return;
      auto self = this->shared_from_this();
      lowest_read([self](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); });
    }

    template <class H>
    void lowest_read(H&& h) {
      if (silent_)
        lowest(stream_).async_read_some(boost::asio::buffer(chunk_), std::forward<H>(h));
      else
        stream_.async_read_some(boost::asio::buffer(chunk_), std::forward<H>(h));
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
      if (ec) {
        if (!closed_by_us_) state_->update([&] { ++state_->client_closes; });
        close_now();
        return;
      }
      if (!silent_) buffer_.append(chunk_, n);
      do_read();
    }

    // Parses one whole request out of buffer_ (Content-Length bodies only) and answers it.
    bool try_take_request() {
      if (!buffer_.empty() && !(buffer_[0] >= 'A' && buffer_[0] <= 'Z')) {
        // Not HTTP (a TLS ClientHello, say): answer like a real server would, then close.
        buffer_.clear();
        steps_ = script{
            send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            hang_up()};
        next_ = 0;
        run_steps();
        return true;
      }
      const auto end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      server_request req;
      const std::string head = buffer_.substr(0, end);
      std::size_t line_end = head.find("\r\n");
      const std::string first = head.substr(0, line_end);
      const auto sp1 = first.find(' ');
      const auto sp2 = first.find(' ', sp1 + 1);
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        auto next = head.find("\r\n", pos);
        if (next == std::string::npos) next = head.size();
        const std::string line = head.substr(pos, next - pos);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          req.headers[name] = value;
        }
        pos = next + 2;
      }
      std::size_t length = 0;
      if (auto it = req.headers.find("content-length"); it != req.headers.end())
        length = std::stoul(it->second);
      if (buffer_.size() < end + 4 + length) return false;
      req.body = buffer_.substr(end + 4, length);
      buffer_.erase(0, end + 4 + length);
      req.connection = index_;
      req.index = ++requests_;
      state_->update([&] { state_->requests.push_back(req); });
      steps_ = state_->respond(req);
      next_ = 0;
      run_steps();
      return true;
    }

    void run_steps() {
      if (next_ == steps_.size()) {
        state_->update([&] { ++state_->scripts_done; });
        do_read();
        return;
      }
      const step& s = steps_[next_++];
      if (s.kind == step::close) {
        close_now();
        state_->update([&] { ++state_->scripts_done; });
        return;
      }
      if (s.kind == step::gate) {
        auto self = this->shared_from_this();
        bool open = false;
        state_->update([&] {
          open = state_->gate_open;
          if (!open)
            state_->gate_waiters.push_back([self] {
              boost::asio::post(lowest(self->stream_).get_executor(),
                                [self] { self->run_steps(); });
            });
        });
        if (open) run_steps();
        return;
      }
      auto self = this->shared_from_this();
      boost::asio::async_write(stream_, boost::asio::buffer(s.bytes),
                               [self](boost::system::error_code ec, std::size_t) {
                                 if (ec) {
                                   if (!self->closed_by_us_)
                                     self->state_->update([&] { ++self->state_->client_closes; });
                                   self->close_now();
                                   return;
                                 }
                                 self->run_steps();
                               });
    }

    Stream stream_;
    std::shared_ptr<shared_state> state_;
    std::size_t index_;
    bool silent_;
    bool closed_by_us_ = false;
    std::string buffer_;
    char chunk_[16 * 1024];
    script steps_;
    std::size_t next_ = 0;
    std::size_t requests_ = 0;
  };

  void do_accept() {
    acceptor_.async_accept(
        boost::asio::make_strand(io_),
        [this, state = state_](boost::system::error_code ec, tcp::socket socket) {
          if (ec) return;  // stopped
          std::size_t index = 0;
          state->update([&] { index = ++state->accepted; });
          if (tls_ != nullptr) {
            using tls_stream = boost::asio::ssl::stream<tcp::socket>;
            std::make_shared<session<tls_stream>>(tls_stream(std::move(socket), *tls_), state,
                                                  index, silent_)
                ->start(true);
          } else {
            std::make_shared<session<tcp::socket>>(std::move(socket), state, index, silent_)
                ->start(false);
          }
          do_accept();
        });
  }

  std::shared_ptr<shared_state> state_;
  boost::asio::io_context& io_;
  tcp::acceptor acceptor_;
  boost::asio::ssl::context* tls_;
  bool silent_;
  bool stopped_ = false;
  std::uint16_t port_ = 0;
};

}  // namespace switchyard::runtime::upstream_test
