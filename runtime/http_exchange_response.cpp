// The response half of one HTTP attempt: incremental parsing, the choice of what to do with each
// kind of answer, the stream relay and the committed-response rule (design.md §7).
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/error.hpp>

#include "protocols/client_response.hpp"
#include "runtime/http_exchange.hpp"

namespace switchyard::runtime {

using actors::attempt_failure;

namespace {

// Unparsed bytes we tolerate between reads (a partial header or chunk line); the parser limits
// headers to 64 KiB, so only a hostile chunk extension could get near this.
constexpr std::size_t max_unparsed_bytes = 128 * 1024;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string status_detail(unsigned status, std::uint32_t retry_after_s) {
  std::string d = "the upstream answered HTTP " + std::to_string(status);
  if (retry_after_s > 0) d += " (Retry-After " + std::to_string(retry_after_s) + " s)";
  return d;
}

}  // namespace

void http_exchange::process() {
  namespace http = boost::beast::http;
  boost::beast::error_code ec;
  while (buffer_.size() > 0 && !parser_->is_done()) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    bool need_more = false;
    if (ec == http::error::need_more) {
      ec = {};
      need_more = true;  // but this put may still have completed the header
    }
    if (ec) break;
    if (!header_done_ && parser_->is_header_done()) {
      const unsigned status = parser_->status();
      if (status == 101) {
        fail(attempt_failure::protocol, "the upstream switched protocols (HTTP 101)");
        return;
      }
      if (status >= 100 && status < 200) {  // interim response (103 Early Hints…): skip it
        parser_.emplace();
        continue;
      }
      header_done_ = true;
      if (!on_header()) return;
    }
    if (need_more || used == 0) break;
  }
  if (ec) {
    fail(attempt_failure::protocol, "invalid HTTP response from the upstream: " + ec.message(),
         header_done_ && !committed_ ? parser_->status() : 0);
    return;
  }
  if (header_done_ && !on_body()) return;
  if (parser_->is_done()) {
    on_complete();
    return;
  }
  if (buffer_.size() > max_unparsed_bytes) {
    fail(attempt_failure::protocol, "the upstream sent an over-long header or chunk line");
    return;
  }
  if (paused_) return;  // on_resume reads on
  do_read();
}

bool http_exchange::on_header() {
  disarm_phase();
  const unsigned status = parser_->status();
  const auto length = parser_->content_length();
  if (actors::is_retryable_status(status)) {
    // Never forwarded: the body may echo the upstream credential. Read it only when that is
    // cheaper than a new connection.
    mode_ = body_mode::discard;
    retry_after_s_ = parse_retry_after(parser_->retry_after(), std::chrono::system_clock::now());
    if ((length && *length > max_discard_bytes) || (!length && !parser_->chunked())) {
      fail(attempt_failure::upstream_status, status_detail(status, retry_after_s_), status,
           retry_after_s_);
      return false;
    }
    return true;
  }
  if (status < 200 || status >= 300 || !spec_.stream) {
    ttfb_ = since(started_);
    mode_ = status >= 200 && status < 300 ? body_mode::whole : body_mode::passthrough;
    if (length && *length > max_body_bytes) {
      fail(attempt_failure::protocol,
           "the upstream response body (" + std::to_string(*length) + " bytes) exceeds 64 MiB",
           status);
      return false;
    }
    return true;
  }
  const auto& type = parser_->content_type();
  if (!type.empty() && !starts_with_ci(type, "text/event-stream")) {
    fail(attempt_failure::protocol,
         "the upstream answered a stream request with Content-Type '" + type + "'", status);
    return false;
  }
  protocols::stream_options opts;
  opts.include_usage = spec_.client_wants_usage;
  opts.id_seed = spec_.request_id;
  opts.created = unix_now();
  relay_ = protocols::make_stream_translator(spec_.client_dialect, spec_.upstream_dialect, opts);
  if (!relay_) {
    fail(attempt_failure::protocol, "no stream translation to the client's dialect", status);
    return false;
  }
  mode_ = body_mode::stream;
  return true;
}

bool http_exchange::on_body() {
  auto& body = parser_->body();
  switch (mode_) {
    case body_mode::discard:
      body.clear();
      if (parser_->body_bytes() > max_discard_bytes) {
        fail(attempt_failure::upstream_status, status_detail(parser_->status(), retry_after_s_),
             parser_->status(), retry_after_s_);
        return false;
      }
      return true;
    case body_mode::passthrough:
    case body_mode::whole:
      if (body.size() > max_body_bytes) {
        fail(attempt_failure::protocol, "the upstream response body exceeds 64 MiB",
             parser_->status());
        return false;
      }
      return true;
    case body_mode::stream:
      return relay_body();
    case body_mode::drain:
    case body_mode::none:
      body.clear();
      return true;
  }
  return true;
}

bool http_exchange::relay_body() {
  auto& body = parser_->body();
  if (body.empty()) return true;
  std::string out;
  const auto state = relay_->feed(body, out);
  body.clear();
  usage_ = relay_->last_usage();
  const unsigned status = parser_->status();
  if (!committed_) {
    if (state == protocols::relay_state::malformed) {
      fail(attempt_failure::protocol, "the upstream stream is not valid server-sent events",
           status);
      return false;
    }
    if (state == protocols::relay_state::upstream_error) {
      // Nothing reached the client yet (even if content preceded the error in this read), so
      // another target can still answer.
      fail(attempt_failure::upstream_status,
           "the upstream stream sent an error event before anything reached the client", status);
      return false;
    }
    if (relay_->events() == 0) {
      if (state == protocols::relay_state::done) {
        fail(attempt_failure::empty_stream, "the upstream stream ended before any event", status);
        return false;
      }
      return true;  // only comments or partial events so far
    }
    if (!commit_stream()) return false;
  }
  // The stream's end event is in `out`: the record goes to the journal before the client has it.
  if (state == protocols::relay_state::done) before_last_bytes(parser_->status());
  if (!out.empty() && write_stream(std::move(out)) == write_result::gone) return false;
  switch (state) {
    case protocols::relay_state::open:
      return true;
    case protocols::relay_state::done:
      end_stream();
      mode_ = body_mode::drain;
      if (parser_->is_done()) {
        // The pool gets the connection before the request actor hears of the end, so the
        // client's next request can already reuse it.
        recycle();
        report_finished();
        return false;
      }
      report_finished();
      return true;  // read the rest of the message (usually the last chunk) to pool it
    case protocols::relay_state::upstream_error:
      // The client has the upstream's own error event; end there, without our second one.
      end_stream();
      stream_broken_ = true;
      fail(attempt_failure::upstream_status, "the upstream sent an error event mid-stream", 0);
      return false;
    case protocols::relay_state::malformed:
      fail(attempt_failure::protocol, "the upstream stream became malformed mid-stream");
      return false;
  }
  return true;
}

bool http_exchange::commit_stream() {
  if (!try_commit()) {
    fail(attempt_failure::lost_race, "another attempt answered the client first");
    return false;
  }
  ttfb_ = since(started_);
  begin_stream();
  report_committed();
  return true;
}

// The upstream's message ended while the stream was open. A dialect without a terminal event
// (Gemini) ends this way when complete; for the others it means the stream was cut.
void http_exchange::complete_stream() {
  std::string out;
  const bool complete = relay_->finish_eof(out);
  usage_ = relay_->last_usage();
  if (!complete || relay_->events() == 0) {
    if (!committed_) {
      recycle();
      report_failed(attempt_failure::empty_stream, "the upstream stream ended before any event",
                    parser_->status());
    } else {
      fail(attempt_failure::reset, "the upstream ended the stream before its end event");
    }
    return;
  }
  recycle();
  if (!committed_ && !commit_stream()) return;
  before_last_bytes(parser_->status());
  if (!out.empty() && write_stream(std::move(out)) == write_result::gone) return;
  end_stream();
  report_finished();
}

// A whole answer: a 2xx in the client's dialect, or a refusal the client gets as its own.
void http_exchange::complete_whole(unsigned status) {
  std::string body = std::move(parser_->body());
  std::string type = parser_->content_type();
  const bool translated = spec_.client_dialect != spec_.upstream_dialect;
  if (mode_ == body_mode::whole) {
    protocols::client_response_options opts;
    opts.id_seed = spec_.request_id;
    opts.created = unix_now();
    auto answer = protocols::client_response_body(spec_.client_dialect, spec_.upstream_dialect,
                                                  std::move(body), opts);
    if (!answer.ok()) {
      recycle();
      report_failed(attempt_failure::protocol,
                    "the upstream's response cannot be read: " + answer.error().message, status);
      return;
    }
    usage_ = answer.value().tokens;
    body = tag_provider(with_cost(std::move(answer.value().body)));
    response_dropped_ = std::move(answer.value().dropped);
  } else if (translated) {
    body = protocols::client_error_passthrough(spec_.client_dialect, spec_.upstream_dialect,
                                               status, body);
  }
  if (translated || type.empty()) type = "application/json";
  recycle();
  if (!try_commit()) {
    report_failed(attempt_failure::lost_race, "another attempt answered the client first");
    return;
  }
  before_last_bytes(status);
  channel_->send_full(status, type, std::move(body), response_headers());
  report_finished();  // carries the commit: one event, one actor wake-up
}

void http_exchange::on_complete() {
  // Every branch returns the connection to the pool before it reports: the request actor may
  // start the client's next request the moment it hears, and that one should find it there.
  const unsigned status = parser_->status();
  switch (mode_) {
    case body_mode::discard:
      recycle();
      report_failed(attempt_failure::upstream_status, status_detail(status, retry_after_s_), status,
                    retry_after_s_);
      return;
    case body_mode::passthrough:
    case body_mode::whole:
      complete_whole(status);
      return;
    case body_mode::stream:
      complete_stream();
      return;
    case body_mode::drain:
    case body_mode::none:
      recycle();
      return;
  }
}

}  // namespace switchyard::runtime
