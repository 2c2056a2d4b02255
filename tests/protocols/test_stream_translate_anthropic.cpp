// Tests for Anthropic upstream streams: Anthropic -> OpenAI chunks (golden vectors from the
// Messages streaming reference, fed whole, byte by byte and in random splits; usage, finish,
// errors, broken streams) and the Anthropic -> Anthropic relay.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/anthropic_stream_relay.hpp"
#include "protocols/anthropic_to_openai_stream.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

stream_options options(bool include_usage) {
  stream_options o;
  o.include_usage = include_usage;
  o.created = 1700000000;
  return o;
}

vectors::factory to_openai(bool include_usage) {
  return [include_usage] {
    return std::make_unique<anthropic_to_openai_stream>(options(include_usage));
  };
}

std::string event(std::string_view name, std::string_view data) {
  return "event: " + std::string(name) + "\ndata: " + std::string(data) + "\n\n";
}

const std::string start = event(
    "message_start",
    R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}})");
const std::string text_block =
    event("content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");

std::string text_delta(std::string_view text) {
  return event("content_block_delta",
               R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
                   std::string(text) + R"("}})");
}

}  // namespace

TEST_CASE("the reference text stream becomes the golden OpenAI chunks, in any split",
          "[stream_translate][anthropic]") {
  const auto run =
      vectors::check_split_invariance(to_openai(true), vectors::load("anthropic_stream_text.sse"));
  vectors::check_same_events(run.out, vectors::load("openai_from_anthropic_stream_text.sse"));
  CHECK(run.state == relay_state::done);
  CHECK(run.eof_ok);
  CHECK(run.events == 8);  // every data event, ping included
  CHECK(run.usage.reported);
  CHECK(run.usage.prompt_tokens == 25);
  CHECK(run.usage.completion_tokens == 15);
}

TEST_CASE("thinking, text and two tool calls become the golden OpenAI chunks",
          "[stream_translate][anthropic]") {
  const auto in = vectors::load("anthropic_stream_tool_use.sse");
  const auto run = vectors::check_split_invariance(to_openai(false), in);
  vectors::check_same_events(run.out, vectors::load("openai_from_anthropic_stream_tool_use.sse"));
  CHECK(run.state == relay_state::done);
  CHECK(run.usage.prompt_tokens == 472 + 20 + 300);
  CHECK(run.usage.cached_tokens == 300);
  CHECK(run.usage.cache_creation_tokens == 20);
  CHECK(run.usage.completion_tokens == 89);
  anthropic_to_openai_stream t(options(false));
  std::string out;
  t.feed(in, out);
  CHECK(t.finish() == finish_reason::tool_calls);
}

TEST_CASE("stop reasons map to OpenAI finish reasons", "[stream_translate][anthropic]") {
  for (const auto& [stop, finish] :
       {std::pair{"end_turn", "stop"}, std::pair{"stop_sequence", "stop"},
        std::pair{"max_tokens", "length"}, std::pair{"tool_use", "tool_calls"},
        std::pair{"refusal", "content_filter"}, std::pair{"pause_turn", "stop"}}) {
    CAPTURE(stop);
    anthropic_to_openai_stream t(options(false));
    std::string out;
    t.feed(start + event("message_delta",
                         std::string(R"({"type":"message_delta","delta":{"stop_reason":")") + stop +
                             R"("},"usage":{"output_tokens":3}})"),
           out);
    const auto events = vectors::events_of(out);
    REQUIRE(events.size() == 2);
    CHECK(vectors::parse(events[1].data)["choices"][0]["finish_reason"] == finish);
  }
}

TEST_CASE("an upstream error event becomes an OpenAI error event with no [DONE]",
          "[stream_translate][anthropic]") {
  anthropic_to_openai_stream t(options(true));
  std::string out;
  CHECK(t.feed(start + text_block + text_delta("Hi"), out) == relay_state::open);
  const auto before = out.size();
  CHECK(
      t.feed(
          event(
              "error",
              R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})") +
              event("message_stop", R"({"type":"message_stop"})"),
          out) == relay_state::upstream_error);
  const auto events = vectors::events_of(out.substr(before));
  REQUIRE(events.size() == 1);
  const auto err = vectors::parse(events[0].data);
  CHECK(err["error"]["type"] == "overloaded_error");
  CHECK(err["error"]["message"] == "Overloaded");
  CHECK_FALSE(t.finish_eof(out));
  CHECK(out.find("[DONE]") == std::string::npos);
}

TEST_CASE("a cut Anthropic stream is reported broken and gets no fake ending",
          "[stream_translate][anthropic]") {
  anthropic_to_openai_stream t(options(true));
  std::string out;
  const auto full = vectors::load("anthropic_stream_text.sse");
  t.feed(full.substr(0, full.find("event: message_stop")), out);
  CHECK(t.state() == relay_state::open);
  CHECK(t.finish() == finish_reason::stop);
  const auto before = out;
  CHECK_FALSE(t.finish_eof(out));
  CHECK(out == before);
  std::string err;
  t.append_error_event(make_error(gateway_error::upstream_failed, "cut"), err);
  CHECK(err == openai_stream_error_event(make_error(gateway_error::upstream_failed, "cut")));
}

TEST_CASE("malformed Anthropic streams", "[stream_translate][anthropic]") {
  const auto malformed = [](const std::string& in) {
    anthropic_to_openai_stream t(options(false));
    std::string out;
    const auto st = t.feed(in, out);
    return std::pair{st, out};
  };
  CHECK(malformed(event("message_start", "not json")).first == relay_state::malformed);
  CHECK(malformed(event("x", R"({"no_type":1})")).first == relay_state::malformed);
  CHECK(malformed(text_block).first == relay_state::malformed);  // before message_start
  CHECK(malformed(start + text_delta("x")).first == relay_state::malformed);  // block never started
  CHECK(malformed(start + start).first == relay_state::malformed);
  CHECK(malformed(start + text_block + text_delta("\\uDC00")).first == relay_state::malformed);
  CHECK(malformed(start + text_block + text_delta("\xff")).first == relay_state::malformed);
  CHECK(
      malformed(
          start +
          event(
              "content_block_start",
              R"({"type":"content_block_start","index":4000000000,"content_block":{"type":"text"}})"))
          .first == relay_state::malformed);
  CHECK(malformed(event("message_stop", R"({"type":"message_stop"})")).first ==
        relay_state::malformed);
  // Only the role chunk of the good prefix was written.
  const auto [st, out] = malformed(start + "event: x\ndata: {\n\n" + text_block);
  CHECK(st == relay_state::malformed);
  CHECK(vectors::events_of(out).size() == 1);
  anthropic_to_openai_stream tiny(stream_options{false, {}, {}, 0, 64});
  std::string out2;
  CHECK(tiny.feed(start, out2) == relay_state::malformed);  // an event over the size limit
}

TEST_CASE("pings, block stops, unknown events and ignored blocks write nothing",
          "[stream_translate][anthropic]") {
  anthropic_to_openai_stream t(options(false));
  std::string out;
  t.feed(start, out);
  const auto after_start = out.size();
  t.feed(
      event("ping", R"({"type":"ping"})") +
          event("future_event", R"({"type":"future_event","x":1})") +
          event(
              "content_block_start",
              R"({"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"abc"}})") +
          event(
              "content_block_delta",
              R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hidden"}})") +
          event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
          event(
              "content_block_start",
              R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})") +
          event(
              "content_block_delta",
              R"({"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{}}})"),
      out);
  CHECK(t.state() == relay_state::open);
  CHECK(out.size() == after_start);
  CHECK(t.events() == 8);
}

TEST_CASE("the client-facing model name can be overridden, and nothing follows the end",
          "[stream_translate][anthropic]") {
  stream_options o = options(false);
  o.model = "gateway-model";
  anthropic_to_openai_stream t(o);
  std::string out;
  CHECK(t.feed(vectors::load("anthropic_stream_text.sse"), out) == relay_state::done);
  for (const auto& ev : vectors::events_of(out)) {
    if (ev.data != "[DONE]") CHECK(vectors::parse(ev.data)["model"] == "gateway-model");
  }
  const auto size = out.size();
  CHECK(t.feed(text_delta("late"), out) == relay_state::done);
  CHECK(out.size() == size);
  CHECK(t.finish_eof(out));
}

TEST_CASE("the Anthropic relay passes events through and learns usage and the end",
          "[stream_translate][anthropic]") {
  const auto in = vectors::load("anthropic_stream_tool_use.sse");
  const auto run = vectors::check_split_invariance(
      [] { return std::make_unique<anthropic_stream_relay>(stream_options{}); }, in);
  CHECK(run.out == in);  // the reference stream is already in canonical framing
  CHECK(run.state == relay_state::done);
  CHECK(run.eof_ok);
  CHECK(run.usage.prompt_tokens == 792);
  CHECK(run.usage.completion_tokens == 89);

  anthropic_stream_relay relay{stream_options{}};
  std::string out;
  // No event names: they are taken from the data.
  CHECK(relay.feed("data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},"
                   "\"usage\":{\"output_tokens\":7}}\n\n",
                   out) == relay_state::open);
  CHECK(relay.finish() == finish_reason::length);
  CHECK(out.rfind("event: message_delta\ndata: ", 0) == 0);
  CHECK_FALSE(relay.finish_eof(out));
  CHECK(relay.feed(event("error", R"({"type":"error","error":{"type":"api_error","message":"x"}})"),
                   out) == relay_state::upstream_error);
  CHECK(out.find("event: error\n") != std::string::npos);
  std::string err;
  relay.append_error_event(make_error(gateway_error::upstream_timeout, "slow"), err);
  CHECK(err == anthropic_stream_error_event(make_error(gateway_error::upstream_timeout, "slow")));

  anthropic_stream_relay bad{stream_options{}};
  CHECK(bad.feed(event("message_start", "{oops"), out) == relay_state::malformed);
}
