// Writing one response: a whole one with Beast's serializer, or a chunked event stream whose
// chunks are queued (bounded by stream_buffer_limit, with a resume callback) and written one at a
// time, each within write_timeout.
#include "runtime/http_channel.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/write.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "protocols/client_response.hpp"
#include "runtime/server.hpp"
#include "runtime/session.hpp"

namespace switchyard::runtime {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

// Headers the channel owns (framing, connection management) or that could split the response.
bool acceptable_extra(const header_field& h) {
  if (h.name.empty()) return false;
  for (std::string_view s : {std::string_view{h.name}, std::string_view{h.value}})
    for (char c : s)
      if (c == '\r' || c == '\n' || c == '\0') return false;
  for (auto owned :
       {http::field::connection, http::field::content_length, http::field::transfer_encoding,
        http::field::keep_alive, http::field::upgrade, http::field::trailer})
    if (beast::iequals(h.name, http::to_string(owned))) return false;
  return !beast::iequals(h.name, "x-request-id") && !beast::iequals(h.name, "request-id");
}

template <class Fields>
void set_extras(Fields& fields, const std::vector<header_field>& extra) {
  for (const auto& h : extra)
    if (acceptable_extra(h)) fields.set(h.name, h.value);
}

void arm_write_timeout(session& s) {
  const auto& t = s.owner().limits().write_timeout;
  if (t.count() > 0)
    s.stream().expires_after(t);
  else
    s.stream().expires_never();
}

}  // namespace

http_channel::http_channel(std::shared_ptr<session> owner, std::string request_id, unsigned version,
                           bool keep_alive)
    : owner_(std::move(owner)),
      executor_(owner_->stream().get_executor()),
      request_id_(std::move(request_id)),
      version_(version),
      keep_alive_(keep_alive) {}

http_channel::~http_channel() {
  // Every reference is gone. If the response neither finished nor lost its client, whoever held
  // this channel dropped it: let the session answer (or close) so the client is never left hanging.
  if (state_ == state::done || state_ == state::failed || gone_.load()) return;
  bool nothing_sent = state_ == state::idle;
  net::post(executor_, [s = std::move(owner_), nothing_sent, id = std::move(request_id_)] {
    s->on_channel_abandoned(nothing_sent, id);
  });
}

// -- response_sink
// ----------------------------------------------------------------------------------

bool http_channel::try_commit(std::uint32_t attempt_id) {
  auto expected = uncommitted;
  return committed_.compare_exchange_strong(expected, attempt_id, std::memory_order_acq_rel);
}

void http_channel::send_error(const protocols::error_info& error) {
  send_error(error, {});
}

void http_channel::send_error(const protocols::error_info& error, std::vector<header_field> extra) {
  if (!try_commit(error_attempt)) return;
  net::dispatch(executor_, [self = shared_from_this(), error, extra = std::move(extra)]() mutable {
    self->write_error(error, std::move(extra));
  });
}

void http_channel::set_response_headers(std::vector<std::pair<std::string, std::string>> headers) {
  response_headers_ = std::move(headers);
}

void http_channel::set_listener(const caf::actor& listener) {
  bool gone;
  {
    std::lock_guard<std::mutex> guard{listener_mutex_};
    listener_ = listener;
    gone = gone_.load();
  }
  if (gone && listener) caf::anon_send(listener, actors::client_gone_atom::value);
}

void http_channel::mark_client_gone() {
  caf::actor listener;
  {
    std::lock_guard<std::mutex> guard{listener_mutex_};
    if (gone_.load()) return;
    gone_.store(true, std::memory_order_release);
    listener = std::move(listener_);  // told once; the channel keeps no actor handle afterwards
    listener_ = nullptr;
  }
  // Drop what is queued, except a chunk being written: the pending write still reads it.
  if (writing_ && !queue_.empty()) {
    queue_.erase(queue_.begin() + 1, queue_.end());
    queued_bytes_ = queue_.front().size();
  } else {
    queue_.clear();
    queued_bytes_ = 0;
  }
  resume_ = nullptr;  // a gone client never resumes its writer
  if (listener) caf::anon_send(listener, actors::client_gone_atom::value);
}

// -- whole responses
// ----------------------------------------------------------------------------------

void http_channel::write_error(const protocols::error_info& error,
                               std::vector<header_field> extra) {
  if (error.retry_after_s) extra.push_back({"Retry-After", std::to_string(*error.retry_after_s)});
  send_full(protocols::http_status(error.code), "application/json",
            protocols::error_body(dialect_, error), std::move(extra));
}

bool http_channel::final_keep_alive() const noexcept {
  return keep_alive_ && !owner_->owner().draining();
}

void http_channel::send_full(unsigned status, std::string_view content_type, std::string body,
                             std::vector<header_field> extra) {
  if (state_ != state::idle || client_gone()) return;
  state_ = state::writing_full;
  keep_alive_ = final_keep_alive();
  auto& res = full_.emplace();
  res.version(version_);
  res.result(status);
  res.set(http::field::content_type, content_type);
  res.set("x-request-id", request_id_);
  if (dialect_ == protocols::dialect::anthropic) res.set("request-id", request_id_);  // its SDKs' name
  set_extras(res, extra);
  for (const auto& [name, value] : response_headers_) res.set(name, value);
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  res.prepare_payload();
  owner_->owner().stats().count_response(status);
  writing_ = true;
  arm_write_timeout(*owner_);
  http::async_write(owner_->stream(), res,
                    beast::bind_front_handler(&http_channel::on_full_written, shared_from_this()));
}

void http_channel::on_full_written(error_code ec, std::size_t n) {
  writing_ = false;
  count_sent(n);
  full_.reset();
  if (ec) return fail(ec);
  finish();
}

// -- streams ------------------------------------------------------------------------------------

void http_channel::begin_stream(std::vector<header_field> extra) {
  if (state_ != state::idle || client_gone()) return;
  state_ = state::stream_header;
  // HTTP/1.0 has no chunked encoding: the stream is delimited by closing the connection.
  chunked_ = version_ >= 11;
  keep_alive_ = chunked_ && final_keep_alive();
  auto& res = head_.emplace();
  res.version(version_);
  res.result(http::status::ok);
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.set("x-request-id", request_id_);
  if (dialect_ == protocols::dialect::anthropic) res.set("request-id", request_id_);  // its SDKs' name
  set_extras(res, extra);
  for (const auto& [name, value] : response_headers_) res.set(name, value);
  res.keep_alive(keep_alive_);
  if (chunked_) res.chunked(true);
  owner_->owner().stats().count_response(200);
  auto& sr = serializer_.emplace(res);
  writing_ = true;
  arm_write_timeout(*owner_);
  http::async_write_header(
      owner_->stream(), sr,
      beast::bind_front_handler(&http_channel::on_header_written, shared_from_this()));
}

void http_channel::on_header_written(error_code ec, std::size_t n) {
  writing_ = false;
  count_sent(n);
  serializer_.reset();
  head_.reset();
  if (ec) return fail(ec);
  state_ = state::streaming;
  pump();
}

bool http_channel::write_stream(std::string bytes, std::function<void()> resume) {
  if (client_gone() || (state_ != state::stream_header && state_ != state::streaming) ||
      end_requested_)
    return false;
  if (!bytes.empty()) {  // an empty chunk would end the stream
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
  }
  pump();
  if (queued_bytes_ > stream_buffer_limit) {
    resume_ = std::move(resume);
    return false;
  }
  return true;
}

void http_channel::end_stream() {
  if (client_gone() || (state_ != state::stream_header && state_ != state::streaming)) return;
  end_requested_ = true;
  pump();
}

void http_channel::pump() {
  if (writing_ || state_ != state::streaming || client_gone()) return;
  if (!queue_.empty()) {
    writing_ = true;
    arm_write_timeout(*owner_);
    auto handler = beast::bind_front_handler(&http_channel::on_chunk_written, shared_from_this());
    const auto& front = queue_.front();
    if (chunked_)
      net::async_write(owner_->stream(), http::make_chunk(net::buffer(front)), std::move(handler));
    else
      net::async_write(owner_->stream(), net::buffer(front), std::move(handler));
    return;
  }
  if (!end_requested_) return;
  state_ = state::ending;
  writing_ = true;
  if (chunked_) {
    arm_write_timeout(*owner_);
    net::async_write(owner_->stream(), http::make_chunk_last(),
                     beast::bind_front_handler(&http_channel::on_last_written, shared_from_this()));
  } else {
    net::post(executor_,
              beast::bind_front_handler(&http_channel::on_last_written, shared_from_this(),
                                        error_code{}, std::size_t{0}));
  }
}

void http_channel::on_chunk_written(error_code ec, std::size_t n) {
  writing_ = false;
  count_sent(n);
  if (ec) return fail(ec);
  if (!queue_.empty()) {
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
  pump();
  if (resume_ && queued_bytes_ < stream_buffer_limit) {
    auto resume = std::move(resume_);
    resume_ = nullptr;
    resume();
  }
}

void http_channel::on_last_written(error_code ec, std::size_t n) {
  writing_ = false;
  count_sent(n);
  if (ec) return fail(ec);
  finish();
}

// -- endings ------------------------------------------------------------------------------------

void http_channel::count_sent(std::size_t bytes) noexcept {
  owner_->owner().stats().bytes_sent_total.fetch_add(bytes, std::memory_order_relaxed);
}

void http_channel::finish() {
  state_ = state::done;
  {
    std::lock_guard<std::mutex> guard{listener_mutex_};
    listener_ = nullptr;  // nothing more to report: no actor handle outlives the response
  }
  owner_->on_response_done(keep_alive_);
}

void http_channel::fail(error_code ec) {
  state_ = state::failed;
  bool was_gone = client_gone();
  // A write timeout is the client's fault however the session learnt of it; any other error
  // after the session saw the client leave is just the echo of that.
  if (ec == beast::error::timeout || !was_gone)
    owner_->owner().stats().write_failures_total.fetch_add(1, std::memory_order_relaxed);
  mark_client_gone();
  if (!was_gone) owner_->on_response_failed();
}

}  // namespace switchyard::runtime
