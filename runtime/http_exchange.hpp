// One attempt over HTTP/1.1 (plain or TLS) against an upstream of any dialect, on a pooled
// keep-alive connection: request out, response translated into the client's dialect and relayed
// under the commit rule.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "protocols/stream_translator.hpp"
#include "runtime/attempt_base.hpp"
#include "runtime/upstream_pool.hpp"
#include "runtime/upstream_response.hpp"

namespace switchyard::runtime {

class http_exchange final : public attempt_base {
 public:
  /// Largest non-stream body accepted from an upstream; past it the attempt fails (`protocol`).
  static constexpr std::uint64_t max_body_bytes = 64ull * 1024 * 1024;
  /// Largest error body read (then discarded) to keep a connection reusable after a
  /// retryable status; a larger or unbounded one closes the connection instead.
  static constexpr std::uint64_t max_discard_bytes = 64 * 1024;
  /// Bytes asked for per upstream read; also bounds what one relay step can queue.
  static constexpr std::size_t read_chunk_bytes = 16 * 1024;

  http_exchange(actors::attempt_spec spec, std::shared_ptr<client_channel> channel,
                std::shared_ptr<upstream_pool> pool);

  void start() override;

 private:
  enum class body_mode : std::uint8_t {
    none,
    discard,      // retryable status: read a small body only to keep the connection
    passthrough,  // non-2xx the client gets as is
    whole,        // 2xx non-stream
    stream,       // 2xx stream through the translator
    drain,        // after the stream's end: read the rest of the message to reuse the connection
  };
  enum class io_stage : std::uint8_t { write, read };

  std::shared_ptr<http_exchange> self() {
    return std::static_pointer_cast<http_exchange>(shared_from_this());
  }

  bool build_request_head();
  void do_connect();
  void on_resolve(boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type eps);
  void on_connect(boost::system::error_code ec);
  void on_handshake(boost::system::error_code ec);
  void do_write();
  void on_write(boost::system::error_code ec);
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void on_io_error(boost::system::error_code ec, io_stage stage);
  void process();
  bool on_header();
  bool on_body();
  bool relay_body();
  bool commit_stream();
  void on_complete();
  void complete_stream();
  void complete_whole(unsigned status);
  void recycle();
  std::string endpoint_name() const;

  void on_resume() override;
  void stop_io() override;
  std::uint32_t relayed_events() const noexcept override;

  std::shared_ptr<upstream_pool> pool_;
  std::unique_ptr<upstream_connection> conn_;
  std::optional<boost::asio::ip::tcp::resolver> resolver_;
  std::string head_;
  boost::beast::flat_buffer buffer_;
  std::optional<upstream_response_parser> parser_;
  std::unique_ptr<protocols::stream_translator> relay_;
  body_mode mode_ = body_mode::none;
  bool reused_ = false;    // this exchange runs on a pooled connection
  bool retried_ = false;   // the keep-alive race retry was spent
  bool got_byte_ = false;  // any response byte arrived on the current connection
  bool header_done_ = false;
  std::uint32_t retry_after_s_ = 0;
};

}  // namespace switchyard::runtime
