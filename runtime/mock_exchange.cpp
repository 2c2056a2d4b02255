// The in-process mock provider, its flow: decode, wait out the latency, commit, then answer
// whole or stream paced frames with backpressure (the reply itself: mock_reply.cpp).
#include "runtime/mock_exchange.hpp"

#include <cmath>
#include <utility>

#include "protocols/client_response.hpp"
#include "protocols/openai_builders.hpp"

namespace switchyard::runtime {

using actors::attempt_failure;

namespace {

// Stream bytes gathered into one write when the mock is not paced.
constexpr std::size_t batch_bytes = 16 * 1024;

}  // namespace

mock_exchange::mock_exchange(actors::attempt_spec spec, std::shared_ptr<client_channel> channel)
    : attempt_base(std::move(spec), std::move(channel)), pace_timer_(strand_) {}

void mock_exchange::start() {
  started_ = std::chrono::steady_clock::now();
  if (ended_) return;
  arm_total();
  if (channel_->client_gone()) {
    fail(attempt_failure::cancelled, "the client disconnected before the attempt started");
    return;
  }
  auto decoded = protocols::decode_openai_request(spec_.kind, spec_.body);
  if (!decoded.ok()) {
    fail(attempt_failure::protocol,
         "the mock provider cannot decode the request: " + decoded.error().message);
    return;
  }
  const auto& req = decoded.value();
  const auto& mock = provider().mock;
  if (mock.tokens_per_second > 0) {
    const double ns = 1e9 / mock.tokens_per_second;
    interval_ = std::chrono::nanoseconds(ns < 1 ? 1 : static_cast<std::int64_t>(std::llround(ns)));
  }
  const bool chat = spec_.kind == protocols::api_kind::chat_completions;
  if (!(chat ? prepare_chat(req) : prepare_embeddings(req))) return;

  // A non-stream answer arrives once it is fully "generated"; a stream starts after the latency.
  std::chrono::nanoseconds delay = mock.latency;
  if (chat && !spec_.stream && interval_.count() > 0)
    delay += interval_ * static_cast<std::int64_t>(usage_.completion_tokens);
  // A mock slower than its provider's first-byte timeout times out like a real upstream.
  arm_phase(timeouts().first_byte, attempt_failure::first_byte_timeout);
  pace_timer_.expires_after(delay);
  pace_timer_.async_wait([self = self(), gen = ++pace_generation_](boost::system::error_code ec) {
    if (ec || gen != self->pace_generation_ || self->ended_) return;
    self->on_first_byte();
  });
}

bool mock_exchange::prepare_chat(const protocols::inbound_request& req) {
  auto words = reply_words(req, provider().mock.reply_tokens);
  usage_ = {};
  usage_.prompt_tokens = req.prompt_tokens_estimate;
  usage_.reported = true;
  const std::string id =
      "chatcmpl-mock-" +
      (spec_.request_id.empty() ? std::to_string(spec_.attempt_id) : spec_.request_id);
  const std::int64_t created = unix_now();
  if (!spec_.stream) {
    std::string text;
    for (const auto& w : words) {
      if (!text.empty()) text += ' ';
      text += w;
    }
    usage_.completion_tokens = static_cast<std::uint32_t>(words.size());
    whole_body_ = protocols::build_chat_completion(id, req.model, created, text, usage_);
    return true;
  }
  // usage_.completion_tokens counts the words actually sent, so a cut stream reports what the
  // client received.
  streaming_answer_ = true;
  if (spec_.client_dialect != protocols::dialect::openai) {
    protocols::stream_options opts;
    opts.id_seed = spec_.request_id;
    opts.created = created;
    translator_ = protocols::make_stream_translator(spec_.client_dialect,
                                                    protocols::dialect::openai, opts);
    if (!translator_) {
      fail(attempt_failure::protocol, "no stream translation to the client's dialect");
      return false;
    }
  }
  emit_usage_ = spec_.client_wants_usage || translator_ != nullptr;
  words_ = std::move(words);
  id_ = id;
  model_ = req.model;
  created_ = created;
  final_usage_ = usage_;
  final_usage_.completion_tokens = static_cast<std::uint32_t>(words_.size());
  return true;
}

void mock_exchange::on_first_byte() {
  disarm_phase();
  ttfb_ = since(started_);
  if (!try_commit()) {
    fail(attempt_failure::lost_race, "another attempt answered the client first");
    return;
  }
  if (!streaming_answer_) {
    if (status_ == 200 && spec_.client_dialect != protocols::dialect::openai) {
      protocols::client_response_options opts;
      opts.id_seed = spec_.request_id;
      auto answer = protocols::client_response_body(spec_.client_dialect,
                                                    protocols::dialect::openai,
                                                    std::move(whole_body_), opts);
      if (!answer.ok()) {  // the mock's own answer: a bug, reported like a broken upstream's
        fail(attempt_failure::protocol, "the mock's answer cannot be translated: " +
                                            answer.error().message);
        return;
      }
      whole_body_ = std::move(answer.value().body);
      response_dropped_ = std::move(answer.value().dropped);
    }
    if (status_ == 200) whole_body_ = tag_provider(with_cost(std::move(whole_body_)));
    before_last_bytes(status_);
    channel_->send_full(status_, "application/json", std::move(whole_body_), response_headers());
    report_finished();  // carries the commit
    stop_io();
    return;
  }
  begin_stream();
  report_committed();
  pump();
}

void mock_exchange::pump() {
  const std::size_t total = frame_count();
  std::string batch;
  // Writes `batch`; false when the pump must stop (client gone, or paused with frames left).
  auto flush = [&]() -> bool {
    if (next_ == total) before_last_bytes(200);  // this batch ends the stream
    const auto r = write_frames(std::move(batch));
    batch.clear();
    if (r == write_result::gone) return false;
    return r == write_result::more || next_ == total;
  };
  while (next_ < total) {
    if (frame_paced(next_) && interval_.count() > 0) {
      if (!due_) break;
      due_ = false;
    }
    batch += frame_at(next_);
    if (next_ >= 1 && next_ <= words_.size()) ++usage_.completion_tokens;
    ++next_;
    if (batch.size() >= batch_bytes && !flush()) return;
  }
  if (!batch.empty() && !flush()) return;
  if (next_ == total) {
    end_stream();
    report_finished();
    stop_io();
    return;
  }
  schedule_next();
}

attempt_base::write_result mock_exchange::write_frames(std::string frames) {
  if (!translator_) return write_stream(std::move(frames));
  std::string out;
  translator_->feed(frames, out);
  return write_stream(std::move(out));
}

void mock_exchange::schedule_next() {
  // A mock paced slower than its provider's idle timeout breaks like a real upstream would.
  arm_phase(timeouts().idle, attempt_failure::idle_timeout);
  pace_timer_.expires_after(interval_);
  pace_timer_.async_wait([self = self(), gen = ++pace_generation_](boost::system::error_code ec) {
    if (ec || gen != self->pace_generation_ || self->ended_) return;
    self->disarm_phase();
    self->due_ = true;
    self->pump();
  });
}

void mock_exchange::on_resume() {
  pump();
}

void mock_exchange::stop_io() {
  stop_timers();
  ++pace_generation_;
  pace_timer_.cancel();
}

}  // namespace switchyard::runtime
