// The client_channel of one request on one ingress connection: the commit race, the listener for
// client disconnects, and the writing of a whole or a chunked streaming response on the
// session's strand, with an explicit, bounded stream queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/actor.hpp>

#include "protocols/canonical.hpp"
#include "runtime/client_channel.hpp"

namespace switchyard::runtime {

class session;

/// One response to one request, bound to the session that read the request. Owns a strong
/// reference to its session (a response can outlive the read loop's interest in it); the session
/// only holds a weak one, so dropping every channel reference never leaks a connection.
class http_channel final : public client_channel,
                           public std::enable_shared_from_this<http_channel> {
 public:
  /// Created on the session's strand. `version` is the request's HTTP version (10 or 11);
  /// `keep_alive` whether the request allows the connection to be reused.
  http_channel(std::shared_ptr<session> owner, std::string request_id, unsigned version,
               bool keep_alive);
  ~http_channel() override;
  http_channel(const http_channel&) = delete;
  http_channel& operator=(const http_channel&) = delete;

  // -- response_sink (thread-safe) --
  bool try_commit(std::uint32_t attempt_id) override;
  void send_error(const protocols::error_info& error) override;
  void set_response_headers(std::vector<std::pair<std::string, std::string>> headers) override;
  void set_listener(const caf::actor& listener) override;

  // -- client_channel (on the strand, by the committed attempt) --
  boost::asio::any_io_executor executor() const override { return executor_; }
  void send_full(unsigned status, std::string_view content_type, std::string body,
                 std::vector<header_field> extra) override;
  void begin_stream(std::vector<header_field> extra) override;
  bool write_stream(std::string bytes, std::function<void()> resume) override;
  void end_stream() override;
  bool client_gone() const override { return gone_.load(std::memory_order_acquire); }

  // -- used by the session (on the strand) --

  /// The id echoed in `x-request-id`.
  const std::string& request_id() const noexcept { return request_id_; }
  /// `send_error` with extra headers (e.g. `Allow` on a 405). Thread-safe.
  void send_error(const protocols::error_info& error, std::vector<header_field> extra);
  /// The dialect of the client's API (error bodies follow it); set before the channel is shared.
  void set_dialect(protocols::dialect d) noexcept { dialect_ = d; }
  protocols::dialect dialect() const noexcept { return dialect_; }
  /// The connection closes after this response (`Connection: close`); call before it starts.
  void close_after_response() noexcept { keep_alive_ = false; }
  /// The client left: queued bytes are dropped, later writes ignored, the listener notified once.
  void mark_client_gone();
  /// Bytes queued for the stream and not yet written (for tests and metrics).
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

 private:
  enum class state : std::uint8_t {
    idle,
    writing_full,
    stream_header,
    streaming,
    ending,
    done,
    failed
  };
  static constexpr std::uint32_t uncommitted = std::numeric_limits<std::uint32_t>::max();

  void write_error(const protocols::error_info& error, std::vector<header_field> extra);
  bool final_keep_alive() const noexcept;
  void on_full_written(boost::system::error_code ec, std::size_t bytes);
  void on_header_written(boost::system::error_code ec, std::size_t bytes);
  void pump();
  void on_chunk_written(boost::system::error_code ec, std::size_t bytes);
  void on_last_written(boost::system::error_code ec, std::size_t bytes);
  void fail(boost::system::error_code ec);
  void count_sent(std::size_t bytes) noexcept;  // ingress bytes-out metric
  void finish();

  std::shared_ptr<session> owner_;
  boost::asio::any_io_executor executor_;
  std::string request_id_;
  unsigned version_;
  protocols::dialect dialect_ = protocols::dialect::openai;
  std::atomic<std::uint32_t> committed_{uncommitted};
  std::atomic<bool> gone_{false};
  std::mutex listener_mutex_;
  caf::actor listener_;

  // Strand-only state.
  bool keep_alive_;
  bool chunked_ = true;
  bool writing_ = false;
  bool end_requested_ = false;
  state state_ = state::idle;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> full_;
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> head_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
      serializer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::function<void()> resume_;
  // Set before the request is handed on (see `set_response_headers`); read on the strand after.
  std::vector<std::pair<std::string, std::string>> response_headers_;
};

}  // namespace switchyard::runtime
