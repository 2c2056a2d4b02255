// Tests for the OpenAI stream relay: passthrough, the hidden usage chunk, usage accounting, the
// end states, and independence from how the upstream bytes are split.
#include <catch2/catch.hpp>

#include <memory>

#include "protocols/openai_builders.hpp"
#include "protocols/stream_relay.hpp"

using namespace switchyard::protocols;

namespace {

const usage final_usage{12, 3, 4, 1, true};

std::string frame(const std::string& json) {
  return "data: " + json + "\n\n";
}

std::string role_chunk() {
  return build_chat_chunk("c1", "m", 1, "assistant", "", std::nullopt);
}
std::string content_chunk(std::string_view text) {
  return build_chat_chunk("c1", "m", 1, std::nullopt, text, std::nullopt);
}
std::string stop_chunk() {
  return build_chat_chunk("c1", "m", 1, std::nullopt, "", "stop");
}
std::string usage_chunk() {
  return build_usage_chunk("c1", "m", 1, final_usage);
}

// What an OpenAI upstream sends when the gateway asked for include_usage: `"usage":null` on every
// content chunk, then the usage-only chunk, then [DONE].
std::string with_null_usage(std::string chunk) {
  chunk.insert(chunk.size() - 1, ",\"usage\":null");
  return chunk;
}

std::string upstream_stream() {
  return frame(with_null_usage(role_chunk())) + frame(with_null_usage(content_chunk("Hel"))) +
         ": keep-alive\n\n" + frame(with_null_usage(content_chunk("lo \"usage\": {}"))) +
         frame(with_null_usage(stop_chunk())) + frame(usage_chunk()) + "data: [DONE]\n\n";
}

void check_usage(const usage& u) {
  CHECK(u.reported);
  CHECK(u.prompt_tokens == 12);
  CHECK(u.completion_tokens == 3);
  CHECK(u.cached_tokens == 4);
  CHECK(u.reasoning_tokens == 1);
}

}  // namespace

TEST_CASE("a client that asked for usage gets the stream verbatim", "[stream_relay]") {
  openai_stream_relay relay(true);
  std::string out;
  const auto in = upstream_stream();
  CHECK(relay.feed(in, out) == relay_state::done);
  // Comments are not relayed; everything else is byte for byte.
  std::string expected = in;
  expected.erase(expected.find(": keep-alive\n\n"), 14);
  CHECK(out == expected);
  CHECK(relay.events() == 5);
  check_usage(relay.last_usage());
  CHECK(relay.state() == relay_state::done);
}

TEST_CASE("a client that did not ask for usage never sees the usage chunk", "[stream_relay]") {
  openai_stream_relay relay(false);
  std::string out;
  CHECK(relay.feed(upstream_stream(), out) == relay_state::done);
  CHECK(out == frame(with_null_usage(role_chunk())) + frame(with_null_usage(content_chunk("Hel"))) +
                   frame(with_null_usage(content_chunk("lo \"usage\": {}"))) +
                   frame(with_null_usage(stop_chunk())) + "data: [DONE]\n\n");
  CHECK(relay.events() == 5);  // the dropped chunk was still seen
  check_usage(relay.last_usage());
}

TEST_CASE("usage on a content chunk is stripped only when the client did not ask",
          "[stream_relay]") {
  std::string chunk = stop_chunk();
  chunk.insert(chunk.size() - 1,
               ",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,"
               "\"prompt_tokens_details\":{\"cached_tokens\":4},"
               "\"completion_tokens_details\":{\"reasoning_tokens\":1}},\"after\":0.1");
  SECTION("not asked: removed, the rest kept in order") {
    openai_stream_relay relay(false);
    std::string out;
    CHECK(relay.feed(frame(chunk), out) == relay_state::open);
    std::string stop = stop_chunk();
    stop.insert(stop.size() - 1, ",\"after\":0.1");
    CHECK(out == frame(stop));
    check_usage(relay.last_usage());
  }
  SECTION("asked: kept verbatim") {
    openai_stream_relay relay(true);
    std::string out;
    CHECK(relay.feed(frame(chunk), out) == relay_state::open);
    CHECK(out == frame(chunk));
    check_usage(relay.last_usage());
  }
}

TEST_CASE("the relay output does not depend on how the bytes are split", "[stream_relay]") {
  const auto in = upstream_stream();
  for (bool wants_usage : {false, true}) {
    CAPTURE(wants_usage);
    openai_stream_relay whole(wants_usage);
    std::string expected;
    REQUIRE(whole.feed(in, expected) == relay_state::done);
    openai_stream_relay bytewise(wants_usage);
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto piece = std::make_unique<std::string>(1, in[i]);
      const auto st = bytewise.feed(*piece, out);
      CHECK(st == (i + 1 == in.size() ? relay_state::done : relay_state::open));
    }
    CHECK(out == expected);
    CHECK(bytewise.events() == whole.events());
    check_usage(bytewise.last_usage());
  }
}

TEST_CASE("nothing after [DONE] reaches the client", "[stream_relay]") {
  openai_stream_relay relay(true);
  std::string out;
  CHECK(relay.feed(frame(content_chunk("a")) + "data: [DONE]\n\n" + frame(content_chunk("b")),
                   out) == relay_state::done);
  CHECK(out == frame(content_chunk("a")) + "data: [DONE]\n\n");
  CHECK(relay.feed(frame(content_chunk("c")), out) == relay_state::done);
  CHECK(out == frame(content_chunk("a")) + "data: [DONE]\n\n");
  CHECK(relay.events() == 1);
}

TEST_CASE("an upstream error event is relayed and ends the stream", "[stream_relay]") {
  const std::string err =
      R"({"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})";
  openai_stream_relay relay(false);
  std::string out;
  CHECK(relay.feed(frame(content_chunk("a")), out) == relay_state::open);
  CHECK(relay.feed(frame(err) + "data: [DONE]\n\n", out) == relay_state::upstream_error);
  CHECK(out == frame(content_chunk("a")) + frame(err));
  CHECK(relay.state() == relay_state::upstream_error);
  CHECK(relay.events() == 2);
}

TEST_CASE("an error key that is not a top-level error object is just content", "[stream_relay]") {
  openai_stream_relay relay(false);
  std::string out;
  const auto chunk = content_chunk("{\"error\": {\"x\": 1}}");  // escaped inside the content
  const std::string nested = R"({"choices":[{"delta":{"error":{"m":1}}}]})";
  const std::string null_error = R"({"error":null,"choices":[]})";
  CHECK(relay.feed(frame(chunk) + frame(nested) + frame(null_error), out) == relay_state::open);
  CHECK(out == frame(chunk) + frame(nested) + frame(null_error));
}

TEST_CASE("event names and multi-line data survive re-framing", "[stream_relay]") {
  openai_stream_relay relay(true);
  std::string out;
  CHECK(relay.feed("event: ping\ndata: {\"a\":\ndata: 1}\n\n", out) == relay_state::open);
  CHECK(out == "event: ping\ndata: {\"a\":\ndata: 1}\n\n");
  CHECK(relay.events() == 1);
}

TEST_CASE("empty data is relayed as an empty event", "[stream_relay]") {
  openai_stream_relay relay(false);
  std::string out;
  CHECK(relay.feed("data\n\ndata:\n\n", out) == relay_state::open);
  CHECK(out == "data: \n\ndata: \n\n");
  CHECK(relay.events() == 2);
}

TEST_CASE("an empty stream has no events", "[stream_relay]") {
  openai_stream_relay relay(false);
  std::string out;
  CHECK(relay.feed(": ping\n\n: ping\n\n", out) == relay_state::open);
  CHECK(relay.events() == 0);
  CHECK(out.empty());
  CHECK_FALSE(relay.last_usage().reported);
  CHECK(relay.feed("data: [DONE]\n\n", out) == relay_state::done);
  CHECK(relay.events() == 0);
}

TEST_CASE("an event over the size limit makes the stream malformed", "[stream_relay]") {
  openai_stream_relay relay(true, 64);
  std::string out;
  CHECK(relay.feed(frame(R"({"a":1})"), out) == relay_state::open);
  CHECK(relay.feed("data: " + std::string(100, 'x'), out) == relay_state::malformed);
  CHECK(relay.feed("\n\ndata: [DONE]\n\n", out) == relay_state::malformed);
  CHECK(out == frame(R"({"a":1})"));
}

TEST_CASE("non-JSON data and a malformed usage chunk are relayed as they are", "[stream_relay]") {
  openai_stream_relay relay(false);
  std::string out;
  const std::string broken = R"({"choices":[],"usage":{"prompt_tokens":1)";
  CHECK(relay.feed("data: hello\n\n" + frame(broken), out) == relay_state::open);
  CHECK(out == "data: hello\n\n" + frame(broken));
  CHECK_FALSE(relay.last_usage().reported);
}
