// Incremental parser for one upstream HTTP/1.x response: keeps the few header fields the exchange
// needs and hands out body bytes as they arrive (de-chunked), so streams relay without buffering.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

namespace switchyard::runtime {

class upstream_response_parser final : public boost::beast::http::basic_parser<false> {
 public:
  /// Header bytes allowed before the response is declared malformed.
  static constexpr std::uint32_t max_header_bytes = 64 * 1024;

  upstream_response_parser();

  /// Status code (valid once `is_header_done()`).
  unsigned status() const noexcept { return status_; }
  /// 10 for HTTP/1.0, 11 for HTTP/1.1.
  int version() const noexcept { return version_; }
  /// The `Content-Type` field, empty when absent.
  const std::string& content_type() const noexcept { return content_type_; }
  /// The `Retry-After` field, empty when absent.
  const std::string& retry_after() const noexcept { return retry_after_; }

  /// Body bytes parsed and not yet taken; the caller clears or moves them out.
  std::string& body() noexcept { return body_; }
  /// All body bytes parsed so far.
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                       boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::beast::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::beast::error_code&) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  unsigned status_ = 0;
  int version_ = 11;
  std::string content_type_;
  std::string retry_after_;
  std::string body_;
  std::uint64_t body_bytes_ = 0;
};

/// Seconds to wait from a `Retry-After` value: delta-seconds ("120") or an IMF-fixdate
/// ("Wed, 21 Oct 2015 07:28:00 GMT") measured against `now`. 0 when absent, past or unparseable;
/// capped at one day so a bogus value cannot park a provider for longer.
std::uint32_t parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace switchyard::runtime
