// Shared attempt machinery: events, commit, stream writes with backpressure, timers, cancel.
#include "runtime/attempt_base.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/post.hpp>
#include <caf/send.hpp>

#include "actors/cost.hpp"
#include "protocols/client_response.hpp"
#include "protocols/usage_cost.hpp"
#include "protocols/error.hpp"
#include "protocols/provider_tag.hpp"

namespace switchyard::runtime {

using actors::attempt_event;
using actors::attempt_failure;

namespace {

std::string timeout_detail(attempt_failure f, std::chrono::milliseconds after) {
  const std::string ms = std::to_string(after.count()) + " ms";
  switch (f) {
    case attempt_failure::connect_timeout:
      return "connecting to the upstream (DNS, TCP, TLS) took longer than " + ms;
    case attempt_failure::first_byte_timeout:
      return "the upstream did not answer within " + ms + " of the request";
    case attempt_failure::idle_timeout:
      return "the upstream sent nothing for " + ms + " mid-response";
    case attempt_failure::total_timeout:
      return "the attempt exceeded its total timeout of " + ms;
    default:
      return "timed out after " + ms;
  }
}

}  // namespace

attempt_base::attempt_base(actors::attempt_spec spec, std::shared_ptr<client_channel> channel)
    : spec_(std::move(spec)),
      channel_(std::move(channel)),
      strand_(channel_->executor()),
      started_(std::chrono::steady_clock::now()),
      phase_timer_(strand_),
      total_timer_(strand_) {}

attempt_base::~attempt_base() = default;

std::chrono::microseconds attempt_base::since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t);
}

std::int64_t attempt_base::unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void attempt_base::send(attempt_event ev) {
  ev.attempt_id = spec_.attempt_id;
  ev.was_committed = committed_;
  ev.stream_broken = stream_broken_;
  ev.usage = usage_;
  ev.time_to_first_byte = ttfb_;
  ev.upstream_time = since(started_);
  if (spec_.listener) caf::anon_send(spec_.listener, std::move(ev));
}

void attempt_base::report_committed() {
  attempt_event ev;
  ev.kind = attempt_event::committed;
  send(std::move(ev));
}

void attempt_base::report_finished() {
  assert(!ended_ && "an attempt reports exactly one final event");
  if (ended_) return;
  ended_ = true;
  paused_ = false;
  hold_.reset();  // every caller holds its own reference to this attempt
  attempt_event ev;
  ev.kind = attempt_event::finished;
  send(std::move(ev));
}

void attempt_base::report_failed(attempt_failure f, std::string detail, unsigned upstream_status,
                                 std::uint32_t retry_after_s) {
  assert(!ended_ && "an attempt reports exactly one final event");
  if (ended_) return;
  ended_ = true;
  paused_ = false;
  hold_.reset();
  attempt_event ev;
  ev.kind = attempt_event::failed;
  ev.failure = f;
  ev.upstream_status = upstream_status;
  ev.retry_after_s = retry_after_s;
  ev.detail = std::move(detail);
  send(std::move(ev));
}

void attempt_base::fail(attempt_failure f, std::string detail, unsigned upstream_status,
                        std::uint32_t retry_after_s) {
  if (ended_) {
    stop_io();
    return;
  }
  if (streaming_ && !stream_ended_) {
    stream_ended_ = true;
    if (!channel_->client_gone()) {
      // The client already has a 200 and part of the answer: end it with an error it can see.
      auto err = protocols::make_error(
          protocols::gateway_error::upstream_failed,
          "The upstream stream broke before it completed; the response is incomplete. "
          "Retry the request.");
      channel_->write_stream(protocols::stream_error_event(spec_.client_dialect, err), [] {});
      channel_->end_stream();
      stream_broken_ = true;
    }
    // The client had part of the answer: without the upstream's final usage, its tokens are
    // estimated (one per event relayed) rather than recorded as none. `reported` stays false.
    if (committed_ && !usage_.reported)
      usage_.completion_tokens = std::max(usage_.completion_tokens, relayed_events());
  }
  report_failed(f, std::move(detail), upstream_status, retry_after_s);
  stop_io();
}

void attempt_base::cancel() {
  if (ended_) {
    stop_io();
    return;
  }
  fail(attempt_failure::cancelled, "cancelled by the gateway");
}

bool attempt_base::try_commit() {
  committed_ = channel_->try_commit(spec_.attempt_id);
  return committed_;
}

std::vector<header_field> attempt_base::response_headers() const {
  std::vector<header_field> h;
  h.reserve(3);
  if (!spec_.request_id.empty()) h.push_back({"x-request-id", spec_.request_id});
  h.push_back({"x-switchyard-provider", spec_.provider->name});
  if (!spec_.dropped.empty() || !response_dropped_.empty()) {
    std::string names;
    for (const auto* list : {&spec_.dropped, &response_dropped_}) {
      for (const auto& name : *list) {
        if (!names.empty()) names += ", ";
        names += name;
      }
    }
    h.push_back({"x-switchyard-dropped-fields", std::move(names)});
  }
  return h;
}

std::string attempt_base::tag_provider(std::string body) const {
  if (spec_.client_dialect != protocols::dialect::openai) return body;
  return protocols::add_provider_member(std::move(body), spec_.provider->name);
}

void attempt_base::begin_stream() {
  channel_->begin_stream(response_headers());
  streaming_ = true;
}

void attempt_base::before_last_bytes(unsigned status) {
  if (announced_ || !spec_.before_last_bytes) return;
  announced_ = true;
  spec_.before_last_bytes(usage_, status);
}

void attempt_base::end_stream() {
  stream_ended_ = true;
  channel_->end_stream();
}

std::string attempt_base::with_cost(std::string body) const {
  if (spec_.target == nullptr) return body;
  return protocols::with_usage_cost(std::move(body), actors::cost_usd(*spec_.target, usage_));
}

attempt_base::write_result attempt_base::write_stream(std::string bytes) {
  // The event that carries the usage carries its cost too (usage_ is current when it is written).
  if (spec_.target != nullptr)
    bytes = protocols::with_stream_usage_cost(std::move(bytes),
                                              actors::cost_usd(*spec_.target, usage_));
  std::weak_ptr<attempt_base> weak = weak_from_this();
  auto strand = strand_;
  if (spec_.client_dialect == protocols::dialect::openai)
    bytes = protocols::add_provider_to_events(bytes, spec_.provider->name);
  const bool more = channel_->write_stream(std::move(bytes), [weak, strand] {
    boost::asio::dispatch(strand, [weak] {
      if (auto self = weak.lock()) self->on_resume_posted();
    });
  });
  if (channel_->client_gone()) {
    fail(attempt_failure::cancelled, "the client disconnected");
    return write_result::gone;
  }
  if (!more) {
    paused_ = true;
    hold_ = shared_from_this();
    return write_result::paused;
  }
  return write_result::more;
}

void attempt_base::on_resume_posted() {
  if (!paused_ || ended_) return;
  paused_ = false;
  auto self = std::move(hold_);  // alive until this call returns
  if (channel_->client_gone()) {
    fail(attempt_failure::cancelled, "the client disconnected");
    return;
  }
  on_resume();
}

void attempt_base::arm_phase(std::chrono::milliseconds d, attempt_failure f) {
  ++phase_generation_;
  if (d.count() <= 0) {
    phase_timer_.cancel();
    return;
  }
  phase_timer_.expires_after(d);
  phase_timer_.async_wait(
      [self = shared_from_this(), gen = phase_generation_, f, d](boost::system::error_code ec) {
        if (ec || gen != self->phase_generation_) return;  // re-armed or cancelled meanwhile
        self->on_timeout(f, d);
      });
}

void attempt_base::disarm_phase() {
  ++phase_generation_;
  phase_timer_.cancel();
}

void attempt_base::arm_total() {
  const auto d = timeouts().total;
  if (d.count() <= 0) return;
  total_timer_.expires_after(d);
  total_timer_.async_wait([self = shared_from_this(), d](boost::system::error_code ec) {
    if (ec) return;
    self->on_timeout(attempt_failure::total_timeout, d);
  });
}

void attempt_base::stop_timers() {
  ++phase_generation_;
  phase_timer_.cancel();
  total_timer_.cancel();
}

void attempt_base::on_timeout(attempt_failure f, std::chrono::milliseconds after) {
  if (ended_) {
    stop_io();
    return;
  }
  fail(f, timeout_detail(f, after));
}

void attempt_handle_impl::cancel() {
  if (cancelled_.exchange(true)) return;
  boost::asio::post(strand_, [weak = attempt_]() {
    if (auto attempt = weak.lock()) attempt->cancel();
  });
}

std::shared_ptr<actors::attempt_handle> launch_attempt(std::shared_ptr<attempt_base> attempt) {
  auto handle = std::make_shared<attempt_handle_impl>(attempt->executor(), attempt);
  auto strand = attempt->executor();
  // defer, not post: called from the session's own handler (the gateway's speculative first
  // attempt), it runs on this thread right after the handler returns instead of waking another
  // I/O thread. Either way it never runs before `start` returns (the port's contract).
  boost::asio::defer(strand, [attempt = std::move(attempt)] { attempt->start(); });
  return handle;
}

namespace {

class inert_handle final : public actors::attempt_handle {
 public:
  void cancel() override {}
};

}  // namespace

std::shared_ptr<actors::attempt_handle> reject_attempt(const actors::attempt_spec& spec,
                                                       std::string detail) {
  attempt_event ev;
  ev.kind = attempt_event::failed;
  ev.attempt_id = spec.attempt_id;
  ev.failure = attempt_failure::protocol;
  ev.detail = std::move(detail);
  if (spec.listener) caf::anon_send(spec.listener, std::move(ev));
  return std::make_shared<inert_handle>();
}

}  // namespace switchyard::runtime
