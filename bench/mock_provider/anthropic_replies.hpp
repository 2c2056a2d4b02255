// What the mock provider answers in the Anthropic Messages dialect (POST /v1/messages): requests
// reduced to a reply_request, the key and version checks, whole messages, the named SSE events
// of a stream, and Anthropic's error bodies. Pure functions; no sockets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/mock_provider/reply_script.hpp"
#include "protocols/canonical.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// Decodes a Messages body with the gateway's own decoder (so `max_tokens` is required, as at
/// Anthropic); its errors keep their status and message.
protocols::result<reply_request, request_error> decode_anthropic_reply_request(
    std::string_view body);

/// What a decoded Messages request says about tools: the first client tool, `tool_choice`
/// (auto, any, tool, none), and whether the last message is the user's and mentions
/// tool_call_trigger (tool results decode to tool messages, so a turn of results is not).
tool_offer anthropic_tool_offer(const protocols::canonical_request& req);

/// The Anthropic API's header checks when a key is configured (empty = header absent): a missing
/// or wrong `x-api-key` is a 401 authentication_error, a missing `anthropic-version` a 400.
std::optional<request_error> anthropic_auth_error(std::string_view api_key,
                                                  std::string_view version,
                                                  std::string_view expected_key);

/// A whole message: one text block, or one tool_use block (input tool_call_arguments);
/// stop_reason end_turn, max_tokens or tool_use; usage with the cache counts at 0.
std::string anthropic_message_body(const reply_context& reply);

/// Anthropic's stream, as frames: message_start + content_block_start + ping; one
/// content_block_delta per piece (text_delta, or input_json_delta for a tool call);
/// content_block_stop + message_delta (stop_reason, usage); message_stop.
frame_layout anthropic_layout(const reply_context& reply);

/// Appends the events of step `step` (`piece` for a piece step), each `event: …\ndata: …\n\n`.
void append_anthropic_frame(const reply_context& reply, stream_step step, std::uint32_t piece,
                            std::string& out);

/// `{"type":"error","error":{"type":…,"message":…}}` with the type Anthropic uses for `status`
/// (429 rate_limit_error, 529 overloaded_error, other 5xx api_error, …).
std::string anthropic_error_body(unsigned status, std::string_view message);

}  // namespace switchyard::mock
