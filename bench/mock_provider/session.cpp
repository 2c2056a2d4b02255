// One mock-provider connection: request reading within limits, routing, fault application, and
// the whole / streamed / cut / hung answers, all as async operations on the session's strand.
#include "bench/mock_provider/session.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "bench/mock_provider/anthropic_replies.hpp"
#include "bench/mock_provider/gemini_replies.hpp"
#include "bench/mock_provider/responses.hpp"
#include "protocols/error.hpp"
#include "protocols/openai_request.hpp"

namespace switchyard::mock {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view chunk_end = "\r\n";
constexpr std::string_view chunk_end_and_last = "\r\n0\r\n\r\n";
// How long a lingering close waits for the client to stop sending before closing anyway.
constexpr milliseconds max_linger{2000};
// How long a reset waits (in 1 ms steps) for written bytes to reach the client first.
constexpr unsigned max_flush_polls = 2000;

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

route classify(std::string_view path) {
  if (path == "/v1/chat/completions" || path == "/chat/completions") return route::chat_completions;
  if (path == "/v1/messages" || path == "/messages") return route::messages;
  if (parse_gemini_path(path)) return route::generate_content;
  if (path == "/v1/embeddings" || path == "/embeddings") return route::embeddings;
  if (path == "/v1/models" || path == "/models") return route::models;
  if (path == "/health") return route::health;
  if (path.substr(0, 7) == "/_mock/") return route::admin;
  return route::other;
}

// The dialect a route's answers (errors included) are written in.
protocols::dialect dialect_of(route r) {
  if (r == route::messages) return protocols::dialect::anthropic;
  if (r == route::generate_content) return protocols::dialect::gemini;
  return protocols::dialect::openai;
}

}  // namespace

session::session(net::ip::tcp::socket&& socket, std::shared_ptr<server_state> state)
    : state_(std::move(state)),
      opts_(state_->opts),
      stream_(std::move(socket)),
      timer_(stream_.get_executor()) {
  state_->counters.connection_opened();
}

session::~session() {
  release_slot();
  state_->remove_session(this);
  state_->counters.connection_closed();
}

void session::start() {
  state_->add_session(this, weak_from_this());
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&session::do_read, shared_from_this()));
}

void session::kill() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

template <class F>
void session::after(std::uint32_t ms, F&& next) {
  if (ms == 0) return next();
  timer_.expires_after(milliseconds(ms));
  timer_.async_wait(
      [self = shared_from_this(), next = std::forward<F>(next)](beast::error_code ec) mutable {
        if (!ec) next();
      });
}

template <class F>
void session::when_admitted(F&& next) {
  if (!state_->gate.limited()) return next();
  auto self = shared_from_this();
  auto pending = std::make_shared<std::decay_t<F>>(std::forward<F>(next));
  bool now = state_->gate.acquire_or_wait([self, pending] {
    // Called from whichever thread released the slot: continue on our own strand.
    net::post(self->stream_.get_executor(), [self, pending] {
      self->holds_slot_ = true;
      if (self->closed_) return self->release_slot();
      (*pending)();
    });
  });
  if (now) {
    holds_slot_ = true;
    (*pending)();
  }
}

void session::release_slot() {
  if (!holds_slot_) return;
  holds_slot_ = false;
  state_->gate.release();
}

// ---- reading -------------------------------------------------------------------------------

void session::do_read() {
  parser_.emplace();
  parser_->body_limit(opts_.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(opts_.max_header_bytes));
  stream_.expires_after(milliseconds(opts_.idle_timeout_ms));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&session::on_read_header, shared_from_this()));
}

void session::on_read_header(beast::error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  if (parser_->is_done()) return on_read({}, 0);
  const auto& h = parser_->get();
  if (beast::iequals(h[http::field::expect], "100-continue")) {
    net::async_write(stream_, net::buffer(continue_response),
                     beast::bind_front_handler(&session::on_continue_written, shared_from_this()));
    return;
  }
  do_read_body();
}

void session::on_continue_written(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  do_read_body();
}

void session::do_read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read(beast::error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  req_ = parser_->release();
  handle_request();
}

void session::on_read_error(beast::error_code ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    // The client is likely still sending; answer, then drain before closing so that the
    // answer is not destroyed by a reset.
    keep_alive_ = false;
    version_ = 11;
    // The error speaks the route's dialect when the request line got parsed (always for a body
    // over the limit; an empty target reads as OpenAI's).
    dialect_ = dialect_of(classify(path_of(parser_->get().target())));
    req_ = request_type{};
    bool body = ec == http::error::body_limit;
    prepare_error(body ? 413 : 431, body ? "Request body is larger than " +
                                               std::to_string(opts_.max_body_bytes) + " bytes."
                                         : "Request headers are larger than " +
                                               std::to_string(opts_.max_header_bytes) + " bytes.");
    log(body ? 413 : 431, "over limit");
    return do_write();
  }
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    // A malformed request (bad method, target, version, header, chunk...): say so and close.
    keep_alive_ = false;
    dialect_ = protocols::dialect::openai;
    version_ = 11;
    req_ = request_type{};
    prepare_error(400, "Malformed HTTP request: " + ec.message() + ".");
    log(400, "malformed HTTP");
    return do_write();
  }
  // end_of_stream, timeout, reset, a client gone mid-request: nothing to answer.
  close_now();
}

// ---- routing -------------------------------------------------------------------------------

void session::handle_request() {
  version_ = req_.version();
  keep_alive_ = req_.keep_alive();
  delay_ms_ = 0;
  cut_ = false;
  cut_after_tokens_.reset();

  auto path = path_of(req_.target());
  auto r = classify(path);
  dialect_ = dialect_of(r);
  state_->counters.count_request(r);

  auto method_not_allowed = [this](std::string_view allow) {
    prepare_error(405, "Method " + std::string(req_.method_string()) + " is not allowed here.");
    res_.set(http::field::allow, allow);
    log(405, "");
    do_write();
  };

  if (r == route::chat_completions || r == route::messages || r == route::generate_content ||
      r == route::embeddings) {
    record_request();
  }

  switch (r) {
    case route::chat_completions:
    case route::messages:
    case route::generate_content:
      if (req_.method() != http::verb::post) return method_not_allowed("POST");
      return handle_reply();
    case route::embeddings:
      if (req_.method() != http::verb::post) return method_not_allowed("POST");
      return handle_embeddings();
    case route::models:
      if (req_.method() != http::verb::get) return method_not_allowed("GET");
      return handle_models();
    case route::health:
      if (req_.method() != http::verb::get) return method_not_allowed("GET");
      prepare(200, "application/json", "{\"status\":\"ok\"}");
      return do_write();
    case route::admin:
      if (path == "/_mock/faults") return handle_faults_admin();
      if (path == "/_mock/stats") return handle_stats_admin();
      if (path == "/_mock/clock") return handle_clock_admin();
      if (path == "/_mock/requests" || path == "/_mock/last_request") {
        return handle_requests_admin(path == "/_mock/last_request");
      }
      break;
    case route::other:
      break;
  }
  prepare_error(404, "Unknown path " + std::string(path) + ".");
  log(404, "");
  do_write();
}

bool session::authorized() {
  if (!opts_.api_key) return true;
  auto e = auth_error();
  if (!e) return true;
  prepare_error(*e);
  log(e->status, "");
  do_write();
  return false;
}

std::optional<request_error> session::auth_error() const {
  switch (dialect_) {
    case protocols::dialect::anthropic:
      return anthropic_auth_error(req_["x-api-key"], req_["anthropic-version"], *opts_.api_key);
    case protocols::dialect::gemini:
      return gemini_auth_error(req_["x-goog-api-key"], query_param(req_.target(), "key"),
                               *opts_.api_key);
    case protocols::dialect::openai:
      break;
  }
  if (req_[http::field::authorization] == state_->expected_authorization) return std::nullopt;
  return request_error{
      401, "Incorrect API key provided. Send \"Authorization: Bearer <key>\".", {}};
}

bool session::pick_fault(bool is_stream, std::optional<fault_rule>& out) {
  std::optional<fault_rule> header_rule;
  auto it = req_.find("x-mock-fault");
  if (it != req_.end()) {
    auto parsed = parse_fault_rule(std::string_view(it->value()));
    if (!parsed) {
      prepare_error(400, "x-mock-fault: " + parsed.error(), "x-mock-fault");
      log(400, "bad x-mock-fault");
      do_write();
      return false;
    }
    header_rule = parsed.value();
  }
  // A request's own rule first, then the active phases' rules, then the plan.
  if (header_rule && state_->faults.fires_once(is_stream, *header_rule)) {
    out = header_rule;
  } else if (auto phase_fault = state_->phases.pick_fault(is_stream)) {
    out = phase_fault;
  } else {
    out = state_->faults.pick(is_stream);
  }
  if (out) state_->counters.count_fault(out->kind);
  return true;
}

bool session::take_over_by_fault(const std::optional<fault_rule>& fault) {
  if (!fault) return false;
  switch (fault->kind) {
    case fault_kind::reset:
      log(0, "fault=reset");
      reset_now();
      return true;
    case fault_kind::hang:
      log(0, "fault=hang");
      stream_.expires_never();
      do_hang_read();
      return true;
    case fault_kind::status: {
      prepare_error(fault->status, "mock_provider: injected fault (status " +
                                       std::to_string(fault->status) + ").");
      if (fault->retry_after_s) {
        res_.set(http::field::retry_after, std::to_string(*fault->retry_after_s));
      }
      log(fault->status, "fault=status");
      after(plan_.latency_ms, [this] { do_write(); });
      return true;
    }
    case fault_kind::cut:
      cut_ = true;
      cut_after_tokens_ = fault->after_tokens;
      return false;
    case fault_kind::slow_first_token:
    case fault_kind::delay:
      delay_ms_ = fault->ms;
      return false;
  }
  return false;
}

protocols::result<reply_request, request_error> session::decode_reply_request() const {
  switch (dialect_) {
    case protocols::dialect::anthropic:
      return decode_anthropic_reply_request(req_.body());
    case protocols::dialect::gemini:
      return decode_gemini_reply_request(req_.target(), req_.body());
    case protocols::dialect::openai:
      break;
  }
  return decode_openai_reply_request(req_.body());
}

void session::handle_reply() {
  if (!authorized()) return;
  auto decoded = decode_reply_request();
  if (!decoded) {
    prepare_error(decoded.error());
    log(res_.result_int(), "bad request");
    return do_write();
  }
  const auto& in = decoded.value();
  plan_ = state_->phases.plan();
  std::optional<fault_rule> fault;
  if (!pick_fault(in.stream, fault)) return;
  if (take_over_by_fault(fault)) return;

  auto reply = make_reply(dialect_, next_reply_number(),
                          static_cast<std::int64_t>(std::time(nullptr)), opts_.reply_tokens, in);
  request_id_ = reply.id;

  if (!in.stream) {
    prepare(200, "application/json", reply_body(dialect_, reply));
    log(200, cut_ ? "fault=cut" : "");
    return when_admitted([this] {
      if (cut_) return after(plan_.latency_ms + delay_ms_, [this] { do_write_cut(); });
      after(plan_.latency_ms + delay_ms_, [this] { do_write(); });
    });
  }

  reply_.emplace(dialect_, std::move(reply));
  frame_limit_ = cut_ ? reply_->cut_frame_limit(cut_after_tokens_) : reply_->frame_count();
  log(200, cut_ ? "stream fault=cut" : "stream");
  when_admitted(
      [this] { after(plan_.latency_ms + opts_.ttft_ms + delay_ms_, [this] { start_stream(); }); });
}

void session::handle_embeddings() {
  if (!authorized()) return;
  auto decoded = protocols::decode_openai_request(protocols::api_kind::embeddings, req_.body());
  if (!decoded) {
    const auto& e = decoded.error();
    prepare_error(protocols::http_status(e.code), e.message, e.param);
    log(res_.result_int(), "bad request");
    return do_write();
  }
  const auto& in = decoded.value();
  const auto& doc = *in.json;
  auto dims = embedding_dimensions(doc, opts_.embedding_dimensions);
  if (!dims) {
    prepare_error(400, dims.error(), "dimensions");
    log(400, "bad request");
    return do_write();
  }
  auto input_it = doc.FindMember("input");
  if (input_it == doc.MemberEnd()) {
    prepare_error(400, "input is required.", "input");
    log(400, "bad request");
    return do_write();
  }
  const auto& input = input_it->value;
  plan_ = state_->phases.plan();
  std::optional<fault_rule> fault;
  if (!pick_fault(false, fault)) return;
  if (take_over_by_fault(fault)) return;

  request_id_ = "chatcmpl-mock-" + std::to_string(next_reply_number());
  prepare(200, "application/json",
          embeddings_body(in.model, embedding_input_count(input), dims.value(),
                          embedding_seed(opts_.seed, input), in.prompt_tokens_estimate,
                          protocols::requested_embedding_encoding(in)));
  log(200, cut_ ? "fault=cut" : "");
  when_admitted([this] {
    if (cut_) return after(plan_.latency_ms + delay_ms_, [this] { do_write_cut(); });
    after(plan_.latency_ms + delay_ms_, [this] { do_write(); });
  });
}

void session::handle_models() {
  if (!authorized()) return;
  prepare(200, "application/json", models_body(opts_.models));
  do_write();
}

void session::handle_faults_admin() {
  switch (req_.method()) {
    case http::verb::get:
      prepare(200, "application/json", state_->faults.to_json());
      break;
    case http::verb::post: {
      auto plan = parse_fault_plan(req_.body());
      if (!plan) {
        prepare_error(400, plan.error(), "rules");
        log(400, "bad fault plan");
        break;
      }
      auto n = plan.value().size();
      state_->faults.replace(std::move(plan.value()));
      prepare(200, "application/json", "{\"rules\":" + std::to_string(n) + "}");
      log(200, "fault plan replaced");
      break;
    }
    case http::verb::delete_:
      state_->faults.clear();
      prepare(200, "application/json", "{\"rules\":0}");
      log(200, "fault plan cleared");
      break;
    default:
      prepare_error(405, "Use GET, POST or DELETE on /_mock/faults.");
      res_.set(http::field::allow, "GET, POST, DELETE");
      break;
  }
  do_write();
}

void session::handle_stats_admin() {
  switch (req_.method()) {
    case http::verb::get:
      prepare(200, "application/json", state_->counters.to_json());
      break;
    case http::verb::delete_:
      state_->counters.reset();
      prepare(200, "application/json", state_->counters.to_json());
      break;
    default:
      prepare_error(405, "Use GET or DELETE on /_mock/stats.");
      res_.set(http::field::allow, "GET, DELETE");
      break;
  }
  do_write();
}

void session::handle_clock_admin() {
  auto state_json = [this] {
    std::string s = state_->phases.to_json();
    s.pop_back();  // the closing brace: the gate's figures go in the same object
    s += ",\"concurrency\":{\"limit\":" + std::to_string(opts_.max_concurrency) +
         ",\"in_use\":" + std::to_string(state_->gate.in_use()) +
         ",\"waiting\":" + std::to_string(state_->gate.waiting()) + "}}";
    return s;
  };
  switch (req_.method()) {
    case http::verb::get:
      prepare(200, "application/json", state_json());
      break;
    case http::verb::post:
      state_->phases.restart();
      if (state_->on_clock_restart) state_->on_clock_restart();
      prepare(200, "application/json", state_json());
      log(200, "clock restarted");
      break;
    default:
      prepare_error(405, "Use GET or POST on /_mock/clock.");
      res_.set(http::field::allow, "GET, POST");
      break;
  }
  do_write();
}

void session::record_request() {
  logged_request r;
  r.method = std::string(req_.method_string());
  r.target = std::string(req_.target());
  for (const auto& field : req_) {
    r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  r.body = req_.body();
  state_->requests.add(std::move(r));
}

void session::handle_requests_admin(bool last_only) {
  if (req_.method() == http::verb::delete_ && !last_only) {
    state_->requests.clear();
    prepare(200, "application/json", state_->requests.all_json());
  } else if (req_.method() != http::verb::get) {
    prepare_error(405, "Use GET (or DELETE on /_mock/requests).");
    res_.set(http::field::allow, last_only ? "GET" : "GET, DELETE");
  } else if (!last_only) {
    prepare(200, "application/json", state_->requests.all_json());
  } else if (auto last = state_->requests.last_json(); !last.empty()) {
    prepare(200, "application/json", std::move(last));
  } else {
    prepare_error(404, "No request recorded yet (or --record-requests 0).");
  }
  do_write();
}

// ---- whole responses -----------------------------------------------------------------------

void session::prepare(unsigned status, std::string_view content_type, std::string body) {
  res_ = response_type{};
  res_.result(status);
  res_.version(version_);
  res_.set(http::field::content_type, content_type);
  if (!request_id_.empty()) res_.set("x-request-id", request_id_);
  res_.keep_alive(keep_alive_);
  res_.body() = std::move(body);
  res_.prepare_payload();
  state_->counters.count_status(status);
}

void session::prepare_error(unsigned status, std::string_view message, std::string_view param) {
  prepare(status, "application/json", dialect_error_body(dialect_, status, message, param));
}

void session::do_write() {
  stream_.expires_after(milliseconds(opts_.idle_timeout_ms));
  http::async_write(stream_, res_,
                    beast::bind_front_handler(&session::on_write, shared_from_this()));
}

void session::on_write(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  finish_response();
}

void session::finish_response() {
  release_slot();
  request_id_.clear();
  reply_.reset();
  if (!keep_alive_) return lingering_close();
  do_read();
}

// ---- cut non-stream ------------------------------------------------------------------------

void session::do_write_cut() {
  cut_sr_.emplace(res_);
  stream_.expires_after(milliseconds(opts_.idle_timeout_ms));
  http::async_write_header(stream_, *cut_sr_,
                           beast::bind_front_handler(&session::on_cut_header, shared_from_this()));
}

void session::on_cut_header(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  const auto& body = res_.body();
  net::async_write(stream_, net::buffer(body.data(), body.size() / 2),
                   beast::bind_front_handler(&session::on_cut_body, shared_from_this()));
}

void session::on_cut_body(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  reset_after_flush(0);
}

// ---- streams -------------------------------------------------------------------------------

void session::start_stream() {
  state_->counters.count_stream_started();
  state_->counters.count_status(200);
  http::response<http::empty_body> head;
  head.result(http::status::ok);
  head.version(version_);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set("x-request-id", request_id_);
  head.keep_alive(keep_alive_);
  head.chunked(true);
  // The header goes out in the same write as the first frames: one segment carries the first
  // byte and the first token, as a real provider's first flush does.
  http::response_serializer<http::empty_body> sr(head);
  sr.split(true);
  head_bytes_.clear();
  beast::error_code ec;
  while (!sr.is_header_done() && !ec) {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (auto b : beast::buffers_range_ref(buffers)) {
        head_bytes_.append(static_cast<const char*>(b.data()), b.size());
      }
      sr.consume(beast::buffer_bytes(buffers));
    });
  }
  if (ec) return close_now();

  first_byte_at_ = std::chrono::steady_clock::now();
  token_interval_ = {};
  if (plan_.tokens_per_second > 0) {
    token_interval_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / plan_.tokens_per_second));
  }
  next_frame_ = 0;
  do_write_frames();
}

void session::do_write_frames() {
  // Every frame of the current slot goes out in one HTTP chunk (and one write); unpaced, every
  // frame does.
  payload_.clear();
  const bool paced = token_interval_ != std::chrono::steady_clock::duration::zero();
  const auto slot = reply_->slot(next_frame_);
  while (next_frame_ < frame_limit_ && (!paced || reply_->slot(next_frame_) == slot)) {
    reply_->append_frame(next_frame_++, payload_);
  }
  bool last = next_frame_ == reply_->frame_count();
  stream_.expires_after(milliseconds(opts_.idle_timeout_ms));
  if (payload_.empty()) {
    // A cut before the first frame of a dialect with no opening frame (Gemini, after_tokens 0):
    // the header alone, since an empty HTTP chunk would end the body well.
    net::async_write(stream_, net::buffer(head_bytes_),
                     beast::bind_front_handler(&session::on_frames_written, shared_from_this()));
    return;
  }
  chunk_size_line_ = http_chunk_size_line(payload_.size());
  std::array<net::const_buffer, 4> buffers = {net::buffer(head_bytes_),
                                              net::buffer(chunk_size_line_), net::buffer(payload_),
                                              net::buffer(last ? chunk_end_and_last : chunk_end)};
  net::async_write(stream_, buffers,
                   beast::bind_front_handler(&session::on_frames_written, shared_from_this()));
}

void session::on_frames_written(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  head_bytes_.clear();
  if (next_frame_ == reply_->frame_count()) {
    state_->counters.count_stream_completed();
    return finish_response();
  }
  if (next_frame_ >= frame_limit_) return reset_after_flush(0);
  if (token_interval_ == std::chrono::steady_clock::duration::zero()) return do_write_frames();
  // Due times are absolute from the first byte, so timer jitter never accumulates.
  timer_.expires_at(first_byte_at_ + token_interval_ * reply_->slot(next_frame_));
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->do_write_frames();
  });
}

// ---- waiting, hanging, closing -------------------------------------------------------------

void session::do_hang_read() {
  stream_.async_read_some(net::buffer(discard_),
                          beast::bind_front_handler(&session::on_hang_read, shared_from_this()));
}

void session::on_hang_read(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  do_hang_read();
}

void session::lingering_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) return close_now();
  stream_.expires_after(std::min(max_linger, milliseconds(opts_.idle_timeout_ms)));
  stream_.async_read_some(net::buffer(discard_),
                          beast::bind_front_handler(&session::on_drain, shared_from_this()));
}

void session::on_drain(beast::error_code ec, std::size_t) {
  if (ec) return close_now();
  stream_.async_read_some(net::buffer(discard_),
                          beast::bind_front_handler(&session::on_drain, shared_from_this()));
}

void session::reset_after_flush(unsigned attempts) {
  // A reset discards whatever the kernel has not yet delivered, so wait until the bytes the
  // fault promises (N chunks, half a body) have left; on loopback that is at once.
  int pending = 0;
  if (attempts < max_flush_polls &&
      ::ioctl(stream_.socket().native_handle(), SIOCOUTQ, &pending) == 0 && pending > 0) {
    timer_.expires_after(milliseconds(1));
    timer_.async_wait([self = shared_from_this(), attempts](beast::error_code ec) {
      if (!ec) self->reset_after_flush(attempts + 1);
    });
    return;
  }
  reset_now();
}

void session::reset_now() {
  beast::error_code ec;
  // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
  stream_.socket().set_option(net::socket_base::linger(true, 0), ec);
  close_now();
}

void session::close_now() {
  if (closed_) return;
  closed_ = true;
  release_slot();
  timer_.cancel();
  beast::error_code ec;
  stream_.socket().close(ec);
}

std::uint64_t session::next_reply_number() {
  return state_->next_id.fetch_add(1, std::memory_order_relaxed);
}

void session::log(unsigned status, std::string_view note) const {
  if (!opts_.verbose) return;
  auto method = req_.method_string();
  auto target = req_.target();
  std::fprintf(stderr, "mock_provider: %.*s %.*s -> %s%s%.*s\n", static_cast<int>(method.size()),
               method.data(), static_cast<int>(target.size()), target.data(),
               status ? std::to_string(status).c_str() : "(no answer)", note.empty() ? "" : " ",
               static_cast<int>(note.size()), note.data());
}

}  // namespace switchyard::mock
