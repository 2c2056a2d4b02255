// What every upstream attempt (HTTP or in-process mock) shares: it runs on its client channel's
// strand, races for the commit, owns its timers, and reports exactly one final event.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "actors/messages.hpp"
#include "actors/ports/upstream_transport.hpp"
#include "runtime/client_channel.hpp"

namespace switchyard::runtime {

class attempt_base : public std::enable_shared_from_this<attempt_base> {
 public:
  attempt_base(actors::attempt_spec spec, std::shared_ptr<client_channel> channel);
  virtual ~attempt_base();
  attempt_base(const attempt_base&) = delete;
  attempt_base& operator=(const attempt_base&) = delete;

  /// Runs the attempt. Called once, on `executor()`.
  virtual void start() = 0;

  /// Ends the attempt as `cancelled` unless it already ended (then only stops leftover I/O).
  /// Called on `executor()`.
  void cancel();

  /// The client channel's strand: every handler of this attempt runs there.
  const boost::asio::any_io_executor& executor() const noexcept { return strand_; }

 protected:
  enum class write_result : std::uint8_t { more, paused, gone };

  /// Sends `committed` (once, after `try_commit` won and the response began).
  void report_committed();
  /// Sends the final `finished` with `usage_`.
  void report_finished();
  /// Sends the final `failed`.
  void report_failed(actors::attempt_failure f, std::string detail, unsigned upstream_status = 0,
                     std::uint32_t retry_after_s = 0);

  /// Ends the attempt as failed: a committed, still open stream first gets an error event and
  /// its end (never a fake [DONE]); then the event, then `stop_io()`.
  void fail(actors::attempt_failure f, std::string detail, unsigned upstream_status = 0,
            std::uint32_t retry_after_s = 0);

  /// Claims the client's response for this attempt.
  bool try_commit();
  /// `x-request-id`, `x-switchyard-provider` and, when fields were dropped in translation,
  /// `x-switchyard-dropped-fields`, sent with a committed response.
  std::vector<header_field> response_headers() const;
  /// A whole 2xx answer for the client: OpenAI-dialect clients get the serving provider as a
  /// top-level `provider` member, as OpenRouter sends it.
  std::string tag_provider(std::string body) const;
  /// Starts the committed stream.
  void begin_stream();
  /// Ends the committed stream normally.
  void end_stream();
  /// Just before the last bytes of a committed response go out: hands the usage known now to
  /// `spec_.before_last_bytes` (the provisional usage record), once.
  void before_last_bytes(unsigned status);

  /// A whole 2xx body with `usage.cost` (from `usage_` at the target's prices) in its usage.
  std::string with_cost(std::string body) const;

  /// Queues stream bytes; an event carrying usage gets `usage.cost` (from `usage_`), and each
  /// OpenAI-dialect chunk is tagged with `provider`. `paused`: wait for `on_resume`; `gone`: the
  /// client left and the attempt has already failed as `cancelled`.
  write_result write_stream(std::string bytes);

  /// Arms the phase timer (connect, first byte, idle…): one phase at a time, re-arming replaces
  /// it. A zero duration means no limit for that phase.
  void arm_phase(std::chrono::milliseconds d, actors::attempt_failure f);
  void disarm_phase();
  /// Arms the whole-attempt timer from the provider's `total` timeout.
  void arm_total();

  /// A timer fired. Default: `fail(f)` while running, `stop_io()` once ended.
  virtual void on_timeout(actors::attempt_failure f, std::chrono::milliseconds after);
  /// The client drained its queue after `write_stream` returned `paused`.
  virtual void on_resume() = 0;
  /// Closes the upstream side for good (no pooling) and cancels every timer.
  virtual void stop_io() = 0;
  /// Upstream data events relayed so far (0 when the attempt counts tokens itself): a committed
  /// stream that breaks before the upstream reported usage is billed one token per event.
  virtual std::uint32_t relayed_events() const noexcept { return 0; }
  void stop_timers();

  const config::provider_config& provider() const noexcept { return *spec_.provider; }
  /// The attempt's timeouts: the model's overrides over the provider's.
  const config::upstream_timeouts& timeouts() const noexcept {
    return spec_.timeouts ? *spec_.timeouts : spec_.provider->timeouts;
  }
  static std::chrono::microseconds since(std::chrono::steady_clock::time_point t);
  /// Unix seconds now (OpenAI's `created`).
  static std::int64_t unix_now();

  actors::attempt_spec spec_;
  std::shared_ptr<client_channel> channel_;
  boost::asio::any_io_executor strand_;
  protocols::usage usage_;
  /// Response members the client's dialect had no place for (a translated whole response).
  std::vector<std::string> response_dropped_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::microseconds ttfb_{0};
  bool committed_ = false;      // won try_commit
  bool streaming_ = false;      // begin_stream called
  bool stream_ended_ = false;   // end_stream called (normally or after an error event)
  bool stream_broken_ = false;  // the stream ended with an error event
  bool ended_ = false;          // the final event is out
  bool paused_ = false;         // waiting for the client to drain
  bool announced_ = false;      // before_last_bytes called

 private:
  void send(actors::attempt_event ev);
  void on_resume_posted();

  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer total_timer_;
  std::uint64_t phase_generation_ = 0;
  // Keeps the attempt alive while it waits for `resume` and nothing else references it.
  std::shared_ptr<attempt_base> hold_;
};

/// The `attempt_handle` of one attempt: cancel posts onto the attempt's strand.
class attempt_handle_impl final : public actors::attempt_handle {
 public:
  attempt_handle_impl(boost::asio::any_io_executor strand, std::weak_ptr<attempt_base> attempt)
      : strand_(std::move(strand)), attempt_(std::move(attempt)) {}
  void cancel() override;

 private:
  boost::asio::any_io_executor strand_;
  std::weak_ptr<attempt_base> attempt_;
  std::atomic<bool> cancelled_{false};
};

/// Posts `attempt->start()` onto its strand and returns its handle.
std::shared_ptr<actors::attempt_handle> launch_attempt(std::shared_ptr<attempt_base> attempt);

/// For an attempt that cannot even start (bad sink, no provider): sends its one `failed`
/// (`protocol`) event now and returns a handle whose cancel does nothing.
std::shared_ptr<actors::attempt_handle> reject_attempt(const actors::attempt_spec& spec,
                                                       std::string detail);

}  // namespace switchyard::runtime
