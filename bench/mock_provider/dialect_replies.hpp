// One reply in whichever dialect the route speaks: its ids, its whole body, its error bodies, and
// its stream — the frames in order, the pacing slot of each, and how far a cut lets it go. The
// order, pacing and cut rules are the same for every dialect; only the writing is the dialect's
// (responses.hpp, anthropic_replies.hpp, gemini_replies.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "bench/mock_provider/reply_script.hpp"
#include "protocols/canonical.hpp"

namespace switchyard::mock {

/// Reply `n` to `req` in dialect `d`: ids `chatcmpl-mock-<n>` / `call_mock_<n>` (OpenAI),
/// `msg_mock_<n>` / `toolu_mock_<n>` (Anthropic), `mock-<n>` (Gemini responseId), and the
/// script for `reply_tokens`.
reply_context make_reply(protocols::dialect d, std::uint64_t n, std::int64_t created,
                         std::uint32_t reply_tokens, const reply_request& req);

/// The whole (non-stream) body of `reply` in dialect `d`.
std::string reply_body(protocols::dialect d, const reply_context& reply);

/// An error body in dialect `d`'s shape (`param` only shows in OpenAI's).
std::string dialect_error_body(protocols::dialect d, unsigned status, std::string_view message,
                               std::string_view param = {});

/// The SSE frames of one streamed reply and the token slot each goes out with. Frames, in order:
/// [open] one per piece, finish, [usage] [done], where the dialect's frame_layout says which of
/// the bracketed ones it has.
class reply_stream {
 public:
  reply_stream(protocols::dialect d, reply_context reply);

  /// Number of frames.
  std::size_t frame_count() const noexcept {
    return token_frames_end() + 1 + (layout_.usage ? 1 : 0) + (layout_.done ? 1 : 0);
  }

  /// Frames [0, token_frames_end()) are the opening frame (if any) and the piece frames.
  std::size_t token_frames_end() const noexcept { return (layout_.open ? 1 : 0) + layout_.pieces; }

  /// The pacing slot of frame `j`: slot k is due k token intervals after the first byte.
  /// The opening frame and piece 0 share slot 0; piece i has slot i; the tail (finish, usage,
  /// end marker) goes out with the last piece.
  std::uint32_t slot(std::size_t j) const noexcept;

  /// Appends frame `j` (one or more SSE events).
  void append_frame(std::size_t j, std::string& out) const;

  /// How many frames a `cut` after `after_pieces` piece frames lets through (the opening frame
  /// included; never the finish frame, so a cut stream never ends well). nullopt = half the
  /// pieces.
  std::size_t cut_frame_limit(std::optional<std::uint32_t> after_pieces) const noexcept;

  const reply_context& reply() const noexcept { return reply_; }
  const frame_layout& layout() const noexcept { return layout_; }

 private:
  // The step frame `j` writes, and for a piece its index.
  stream_step step_of(std::size_t j, std::uint32_t& piece) const noexcept;

  protocols::dialect dialect_;
  reply_context reply_;
  frame_layout layout_;
};

}  // namespace switchyard::mock
