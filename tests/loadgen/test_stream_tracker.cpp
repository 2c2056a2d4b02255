// SSE stream accounting: a recorded OpenAI stream fed in any split gives the same time to first
// token, inter-token gaps, usage and end; error events, cuts and malformed chunks are told apart.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "bench/loadgen/stream_tracker.hpp"

using namespace switchyard::loadgen;

namespace {

// A stream as OpenAI sends it (role chunk, three content chunks, finish, usage, [DONE]).
const std::string recorded_stream =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wor\"},\"finish_reason\":null}],"
    "\"usage\":null}\r\n\r\n"
    ": keep-alive comment\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ld\"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,"
    "\"total_tokens\":15}}\n\n"
    "data: [DONE]\n\n";

// Offsets in `recorded_stream` just past the end of each content event.
std::size_t end_of_event(std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto lf = recorded_stream.find("\n\n", pos);
    const auto crlf = recorded_stream.find("\r\n\r\n", pos);
    if (crlf != std::string::npos && crlf < lf) {
      pos = crlf + 4;
    } else {
      pos = lf + 2;
    }
  }
  return pos;
}

}  // namespace

TEST_CASE("stream tracker: a recorded stream, one event per read") {
  histogram itl;
  stream_tracker t;
  t.reset(1000, &itl);
  // Event k arrives at time 10000 * (k + 1).
  std::size_t pos = 0;
  for (std::size_t k = 1; pos < recorded_stream.size(); ++k) {
    const std::size_t end = end_of_event(k);
    t.feed(std::string_view(recorded_stream).substr(pos, end - pos),
           static_cast<std::int64_t>(10000 * k));
    pos = end;
  }
  // The role chunk has empty content: the first token is the second event.
  CHECK(t.first_content_ns() == 20000);
  CHECK(t.last_content_ns() == 50000);  // the comment counts as an event of its own
  CHECK(t.content_chunks() == 3);
  REQUIRE(itl.count() == 2);
  CHECK(itl.min() == 10000);  // " wor" at 30000 after "Hello" at 20000
  CHECK(itl.max() == 20000);  // "ld" at 50000: the comment in between was not a token
  CHECK(t.saw_done());
  CHECK_FALSE(t.saw_error_event());
  CHECK_FALSE(t.malformed());
  CHECK(t.has_usage());
  CHECK(t.prompt_tokens() == 12);
  CHECK(t.completion_tokens() == 3);
  CHECK(t.classify(true) == stream_end::done);
  CHECK(t.classify(false) == stream_end::done);  // a cut after [DONE] lost nothing
}

TEST_CASE("stream tracker: any split of the bytes gives the same accounting") {
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    histogram itl;
    stream_tracker t;
    t.reset(0, &itl);
    for (std::size_t pos = 0; pos < recorded_stream.size(); pos += step) {
      t.feed(std::string_view(recorded_stream).substr(pos, step), 5);
    }
    INFO("step " << step);
    CHECK(t.content_chunks() == 3);
    CHECK(t.first_content_ns() == 5);
    CHECK(itl.count() == 2);
    CHECK(itl.max() == 0);  // everything arrived at the same instant
    CHECK(t.saw_done());
    CHECK(t.prompt_tokens() == 12);
    CHECK_FALSE(t.malformed());
  }
}

TEST_CASE("stream tracker: no gap sink for requests outside the window") {
  stream_tracker t;
  t.reset(0, nullptr);
  t.feed(recorded_stream, 1);
  CHECK(t.content_chunks() == 3);
  CHECK(t.saw_done());
}

TEST_CASE("stream tracker: a stream cut before [DONE]") {
  stream_tracker t;
  t.reset(0, nullptr);
  t.feed(std::string_view(recorded_stream).substr(0, end_of_event(3)), 7);
  CHECK(t.content_chunks() == 2);
  CHECK_FALSE(t.saw_done());
  CHECK(t.classify(false) == stream_end::cut);
  CHECK(t.classify(true) == stream_end::no_done);
}

TEST_CASE("stream tracker: error events in both spellings") {
  stream_tracker a;
  a.reset(0, nullptr);
  a.feed(
      "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
      "data: {\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\"}}\n\n",
      3);
  CHECK(a.content_chunks() == 1);
  CHECK(a.saw_error_event());
  CHECK(a.classify(false) == stream_end::error_event);
  CHECK(a.classify(true) == stream_end::error_event);

  stream_tracker b;
  b.reset(0, nullptr);
  b.feed("event: error\ndata: {\"message\":\"overloaded\"}\n\ndata: [DONE]\n\n", 3);
  CHECK(b.saw_error_event());
  CHECK(b.saw_done());
  CHECK(b.classify(true) == stream_end::error_event);  // an error outranks [DONE]

  stream_tracker c;
  c.reset(0, nullptr);
  c.feed("data: {\"error\":null,\"choices\":[]}\n\n", 3);
  CHECK_FALSE(c.saw_error_event());
}

TEST_CASE("stream tracker: malformed chunks and oversized events are flagged") {
  stream_tracker t;
  t.reset(0, nullptr);
  t.feed("data: {not json\n\n", 1);
  CHECK(t.malformed());
  CHECK(t.content_chunks() == 0);

  stream_tracker big;
  big.reset(0, nullptr);
  std::string huge = "data: \"" + std::string(2u << 20, 'a');
  big.feed(huge, 1);
  CHECK(big.malformed());
}

TEST_CASE("stream tracker: scanning chunk JSON") {
  auto f = scan_chat_json(R"({"choices":[{"delta":{"content":"hi"}}]})");
  CHECK(f.valid);
  CHECK(f.content);
  CHECK_FALSE(f.error);

  CHECK_FALSE(scan_chat_json(R"({"choices":[{"delta":{"content":""}}]})").content);
  CHECK_FALSE(scan_chat_json(R"({"choices":[{"delta":{"content":null}}]})").content);
  CHECK_FALSE(scan_chat_json(R"({"choices":[{"delta":{"role":"assistant"}}]})").content);
  CHECK(scan_chat_json(R"({"choices":[{"delta":{"reasoning_content":"hmm"}}]})").content);
  CHECK(scan_chat_json(R"({"choices":[{"delta":{"reasoning":"hmm"}}]})").content);
  CHECK(scan_chat_json(
            R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]})")
            .content);
  CHECK(scan_chat_json(R"({"choices":[{"index":0,"text":"legacy"}]})").content);
  // "content" somewhere else is not output.
  CHECK_FALSE(scan_chat_json(R"({"content":"x","choices":[]})").content);
  CHECK_FALSE(
      scan_chat_json(R"({"choices":[{"message":{"x":{"delta":{"content":"no"}}}}]})").content);

  auto e = scan_chat_json(R"({"error":"boom"})");
  CHECK(e.error);
  CHECK(scan_chat_json(R"({"error":{"message":"x"}})").error);
  CHECK_FALSE(scan_chat_json(R"({"choices":[{"error":"nested"}]})").error);

  auto u =
      scan_chat_json(R"({"id":"x","choices":[{"message":{"role":"assistant","content":"hi"}}],)"
                     R"("usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}})");
  CHECK(u.valid);
  CHECK(u.has_usage);
  CHECK(u.prompt_tokens == 7);
  CHECK(u.completion_tokens == 2);
  CHECK_FALSE(scan_chat_json(R"({"usage":null})").has_usage);
  CHECK_FALSE(scan_chat_json(R"({"x":{"usage":{"prompt_tokens":1}}})").has_usage);

  CHECK_FALSE(scan_chat_json("").valid);
  CHECK_FALSE(scan_chat_json("{\"a\":").valid);
  CHECK_FALSE(scan_chat_json("[1,2] trailing").valid);
}
