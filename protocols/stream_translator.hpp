// One interface for every streaming response path: an upstream event stream in one dialect in,
// the client's event stream in its dialect out. The runtime holds any of them behind one pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/stream_relay.hpp"
#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// Translates one upstream stream for one client. Stateful, one per attempt; not thread-safe
/// (it lives on one strand). Output is appended only: what `feed` wrote is final.
class stream_translator {
 public:
  virtual ~stream_translator() = default;

  /// Feeds upstream bytes (split anywhere) and appends what the client must receive to `out`.
  /// Returns the state after these bytes; once it is not `open`, later feeds write nothing.
  /// `upstream_error`: the upstream's error event was translated into the client's dialect and
  /// written; `malformed`: the bytes are not a valid stream of this dialect (an event over the
  /// size limit, an event that is not JSON, a delta for a block never started): nothing was
  /// written for it, and the caller ends the stream with append_error_event.
  virtual relay_state feed(std::string_view upstream_bytes, std::string& out) = 0;

  /// The upstream closed its connection. True when the stream is complete: either the terminal
  /// event was already seen, or the dialect has none (Gemini) and every candidate finished, in
  /// which case the client's closing events (usage chunk, `[DONE]`) are written now. False when
  /// the stream was cut: nothing is written (no fake ending) and the caller ends it with an error.
  virtual bool finish_eof(std::string& out) = 0;

  /// Upstream data events seen (keep-alives and `[DONE]` not counted); 0 = nothing arrived yet.
  virtual std::uint32_t events() const noexcept = 0;
  /// The usage reported so far (normalized; `reported` false when the upstream said nothing).
  virtual const usage& last_usage() const noexcept = 0;
  virtual relay_state state() const noexcept = 0;
  /// Why generation stopped, once the upstream said so (none before, and for OpenAI passthrough,
  /// which does not parse chunks).
  virtual finish_reason finish() const noexcept = 0;

  /// Appends the client-dialect event that ends a committed stream on failure (OpenAI:
  /// `data: {"error":…}`, never followed by `[DONE]`; Anthropic: `event: error`).
  virtual void append_error_event(const error_info& e, std::string& out) const = 0;
};

/// What every translator needs to know about its stream.
struct stream_options {
  /// OpenAI clients: the client sent `stream_options.include_usage: true`, so it gets the final
  /// usage chunk. (Anthropic clients always get usage.)
  bool include_usage = false;
  /// Seeds generated ids (Gemini tool call ids, chunk ids when the upstream gives none); the
  /// gateway's request id is a good seed.
  std::string_view id_seed;
  /// The model name the client sees; empty = the upstream's.
  std::string_view model;
  /// `created` (Unix seconds) for OpenAI chunks, which other dialects do not carry.
  std::int64_t created = 0;
  /// Bound on one upstream event's size.
  std::size_t max_event_bytes = 1 << 20;
};

/// The translator for a `client`-dialect stream served by an `upstream`-dialect provider:
///
/// | client    | upstream  | translator                                              |
/// |-----------|-----------|---------------------------------------------------------|
/// | openai    | openai    | openai_stream_relay, adapted (passthrough)              |
/// | openai    | anthropic | anthropic_to_openai_stream                              |
/// | openai    | gemini    | gemini_to_openai_stream                                 |
/// | anthropic | anthropic | anthropic_stream_relay (passthrough)                    |
/// | anthropic | openai    | openai_to_anthropic_stream                              |
/// | anthropic | gemini    | gemini_to_openai_stream then openai_to_anthropic_stream |
///
/// Null for a Gemini client (there is no Gemini ingress).
std::unique_ptr<stream_translator> make_stream_translator(dialect client, dialect upstream,
                                                          const stream_options& opts);

/// The existing OpenAI passthrough relay behind the common interface (its own API unchanged).
class openai_relay_translator final : public stream_translator {
 public:
  explicit openai_relay_translator(const stream_options& opts);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  /// True only when `[DONE]` was seen: an OpenAI stream without it was cut.
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return relay_.events(); }
  const usage& last_usage() const noexcept override { return relay_.last_usage(); }
  relay_state state() const noexcept override { return relay_.state(); }
  finish_reason finish() const noexcept override { return finish_reason::none; }
  void append_error_event(const error_info& e, std::string& out) const override;

  /// The wrapped relay.
  const openai_stream_relay& relay() const noexcept { return relay_; }

 private:
  openai_stream_relay relay_;
};

/// Two translators in a row (e.g. Gemini -> OpenAI -> Anthropic). Usage, events and finish come
/// from the first, which sees the upstream.
class chained_stream_translator final : public stream_translator {
 public:
  chained_stream_translator(std::unique_ptr<stream_translator> first,
                            std::unique_ptr<stream_translator> second);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return first_->events(); }
  const usage& last_usage() const noexcept override { return first_->last_usage(); }
  relay_state state() const noexcept override;
  finish_reason finish() const noexcept override { return first_->finish(); }
  void append_error_event(const error_info& e, std::string& out) const override {
    second_->append_error_event(e, out);
  }

 private:
  std::unique_ptr<stream_translator> first_;
  std::unique_ptr<stream_translator> second_;
  std::string between_;  // the first's output, reused between feeds
};

}  // namespace switchyard::protocols
