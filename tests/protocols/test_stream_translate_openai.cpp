// Tests for OpenAI upstream streams -> Anthropic events (golden vector in any split, errors, cut
// streams), and for the common interface: the adapted OpenAI relay, the Gemini -> Anthropic
// chain, and the factory's table.
#include <catch2/catch.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_builders.hpp"
#include "protocols/openai_to_anthropic_stream.hpp"
#include "protocols/vector_support.hpp"

using namespace switchyard::protocols;

namespace {

std::string frame(std::string_view json) {
  return "data: " + std::string(json) + "\n\n";
}

std::string chunk(std::string_view delta, std::string_view finish = {}) {
  return frame(
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":)" +
      std::string(delta) + R"(,"finish_reason":)" +
      (finish.empty() ? std::string("null") : "\"" + std::string(finish) + "\"") + "}]}");
}

std::vector<std::string> names(const std::string& out) {
  std::vector<std::string> n;
  for (const auto& ev : vectors::events_of(out)) n.push_back(ev.name);
  return n;
}

}  // namespace

TEST_CASE("an OpenAI tool-call stream becomes the golden Anthropic events, in any split",
          "[stream_translate][openai]") {
  const auto run = vectors::check_split_invariance(
      [] { return std::make_unique<openai_to_anthropic_stream>(stream_options{}); },
      vectors::load("openai_stream_tool_calls.sse"));
  vectors::check_same_events(run.out, vectors::load("anthropic_from_openai_stream_tool_calls.sse"));
  CHECK(run.state == relay_state::done);
  CHECK(run.eof_ok);
  CHECK(run.events == 10);
  CHECK(run.usage.prompt_tokens == 120);
  CHECK(run.usage.cached_tokens == 100);
  CHECK(run.usage.reasoning_tokens == 7);
}

TEST_CASE("finish reasons become Anthropic stop reasons", "[stream_translate][openai]") {
  for (const auto& [finish, stop] :
       {std::pair{"stop", "end_turn"}, std::pair{"length", "max_tokens"},
        std::pair{"tool_calls", "tool_use"}, std::pair{"function_call", "tool_use"},
        std::pair{"content_filter", "refusal"}}) {
    CAPTURE(finish);
    openai_to_anthropic_stream t{stream_options{}};
    std::string out;
    CHECK(t.feed(chunk(R"({"content":"hi"})") + chunk("{}", finish) + "data: [DONE]\n\n", out) ==
          relay_state::done);
    const auto events = vectors::events_of(out);
    CHECK(names(out) == std::vector<std::string>{"message_start", "content_block_start",
                                                 "content_block_delta", "content_block_stop",
                                                 "message_delta", "message_stop"});
    CHECK(vectors::parse(events[4].data)["delta"]["stop_reason"] == stop);
  }
}

TEST_CASE("an OpenAI error event becomes an Anthropic error event", "[stream_translate][openai]") {
  openai_to_anthropic_stream t{stream_options{}};
  std::string out;
  CHECK(
      t.feed(chunk(R"({"content":"a"})") +
                 frame(R"({"error":{"message":"The server had an error","type":"server_error"}})") +
                 "data: [DONE]\n\n",
             out) == relay_state::upstream_error);
  const auto events = vectors::events_of(out);
  REQUIRE(events.back().name == "error");
  const auto err = vectors::parse(events.back().data);
  CHECK(err["type"] == "error");
  CHECK(err["error"]["type"] == "api_error");
  CHECK(err["error"]["message"] == "The server had an error");
  CHECK(out.find("message_stop") == std::string::npos);
  CHECK_FALSE(t.finish_eof(out));
}

TEST_CASE("an OpenAI stream without [DONE] is cut; an empty one still ends well-formed",
          "[stream_translate][openai]") {
  openai_to_anthropic_stream cut{stream_options{}};
  std::string out;
  cut.feed(chunk(R"({"content":"a"})", "stop"), out);
  const auto before = out;
  CHECK_FALSE(cut.finish_eof(out));
  CHECK(out == before);
  std::string err;
  cut.append_error_event(make_error(gateway_error::upstream_failed, "cut"), err);
  CHECK(err == anthropic_stream_error_event(make_error(gateway_error::upstream_failed, "cut")));

  stream_options o;
  o.id_seed = "req-3";
  o.model = "claude-facing";
  openai_to_anthropic_stream empty{o};
  std::string out2;
  CHECK(empty.feed("data: [DONE]\n\n", out2) == relay_state::done);
  CHECK(names(out2) == std::vector<std::string>{"message_start", "message_delta", "message_stop"});
  const auto start = vectors::parse(vectors::events_of(out2)[0].data);
  CHECK(start["message"]["model"] == "claude-facing");
  CHECK(std::string(start["message"]["id"].GetString()).rfind("msg_", 0) == 0);
  CHECK(vectors::parse(vectors::events_of(out2)[1].data)["delta"]["stop_reason"].IsNull());
}

TEST_CASE("malformed OpenAI streams", "[stream_translate][openai]") {
  for (const std::string bad :
       {frame("nope"), frame("[]"), chunk(R"({"tool_calls":[{"function":{}}]})"),
        chunk(R"({"tool_calls":[{"index":5000}]})"), chunk(R"({"tool_calls":{}})"),
        frame(R"({"choices":[1]})")}) {
    CAPTURE(bad);
    openai_to_anthropic_stream t{stream_options{}};
    std::string out;
    CHECK(t.feed(bad, out) == relay_state::malformed);
  }
  // Other choices and keep-alives are ignored.
  openai_to_anthropic_stream t{stream_options{}};
  std::string out;
  CHECK(t.feed(": keep-alive\n\n" +
                   frame(R"({"id":"c","choices":[{"index":1,"delta":{"content":"other"}}]})"),
               out) == relay_state::open);
  CHECK(out.find("other") == std::string::npos);
}

TEST_CASE("a late argument delta goes to its own tool block", "[stream_translate][openai]") {
  openai_to_anthropic_stream t{stream_options{}};
  std::string out;
  t.feed(
      chunk(R"({"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]})") +
          chunk(
              R"({"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]})") +
          chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"}"}}]})") +
          "data: [DONE]\n\n",
      out);
  const auto events = vectors::events_of(out);
  REQUIRE(events.size() == 10);  // start, 2 x (start, delta, stop), late delta, delta, stop
  const auto late = vectors::parse(events[6].data);
  CHECK(late["index"].GetUint() == 0);
  CHECK(late["delta"]["partial_json"] == "}");
}

TEST_CASE("the adapted OpenAI relay behaves exactly like the relay", "[stream_translate][openai]") {
  const std::string in = frame(build_chat_chunk("c", "m", 1, "assistant", "", std::nullopt)) +
                         frame(build_chat_chunk("c", "m", 1, std::nullopt, "hi", "stop")) +
                         frame(build_usage_chunk("c", "m", 1, usage{3, 1, 0, 0, true})) +
                         "data: [DONE]\n\n";
  for (bool wants_usage : {false, true}) {
    stream_options o;
    o.include_usage = wants_usage;
    openai_relay_translator adapted(o);
    openai_stream_relay relay(wants_usage);
    std::string a;
    std::string b;
    CHECK(adapted.feed(in, a) == relay.feed(in, b));
    CHECK(a == b);
    CHECK(adapted.events() == relay.events());
    CHECK(adapted.last_usage().prompt_tokens == 3);
    CHECK(adapted.finish_eof(a));
    CHECK(adapted.finish() == finish_reason::none);
  }
  openai_relay_translator cut{stream_options{}};
  std::string out;
  cut.feed(frame(build_chat_chunk("c", "m", 1, std::nullopt, "hi", std::nullopt)), out);
  CHECK_FALSE(cut.finish_eof(out));
}

TEST_CASE("the factory picks the translator for each dialect pair", "[stream_translate]") {
  stream_options o;
  const auto err = make_error(gateway_error::upstream_failed, "x");
  for (const auto upstream : {dialect::openai, dialect::anthropic, dialect::gemini}) {
    auto to_openai = make_stream_translator(dialect::openai, upstream, o);
    REQUIRE(to_openai);
    std::string e;
    to_openai->append_error_event(err, e);
    CHECK(e == openai_stream_error_event(err));
    auto to_anthropic = make_stream_translator(dialect::anthropic, upstream, o);
    REQUIRE(to_anthropic);
    e.clear();
    to_anthropic->append_error_event(err, e);
    CHECK(e == anthropic_stream_error_event(err));
    CHECK_FALSE(make_stream_translator(dialect::gemini, upstream, o));
  }
  CHECK(dynamic_cast<openai_relay_translator*>(
            make_stream_translator(dialect::openai, dialect::openai, o).get()) != nullptr);
  CHECK(dynamic_cast<openai_to_anthropic_stream*>(
            make_stream_translator(dialect::anthropic, dialect::openai, o).get()) != nullptr);
}

TEST_CASE("a Gemini stream reaches an Anthropic client through the chain",
          "[stream_translate][openai]") {
  stream_options o;
  o.include_usage = false;  // Anthropic clients get usage regardless
  const auto run = vectors::check_split_invariance(
      [o] { return make_stream_translator(dialect::anthropic, dialect::gemini, o); },
      vectors::load("gemini_stream_text.sse"));
  CHECK(run.eof_ok);
  CHECK(run.state == relay_state::done);
  CHECK(run.events == 3);  // the upstream's events
  CHECK(run.usage.completion_tokens == 37);
  CHECK(names(run.out) == std::vector<std::string>{"message_start", "content_block_start",
                                                   "content_block_delta", "content_block_delta",
                                                   "content_block_stop", "message_delta",
                                                   "message_stop"});
  const auto events = vectors::events_of(run.out);
  const auto delta = vectors::parse(events[5].data);
  CHECK(delta["delta"]["stop_reason"] == "end_turn");
  CHECK(delta["usage"]["output_tokens"].GetUint() == 37);
  CHECK(delta["usage"]["input_tokens"].GetUint() == 6);
  CHECK(delta["usage"]["cache_read_input_tokens"].GetUint() == 2);
  // Cut before the finish: broken, nothing fake written.
  auto chain = make_stream_translator(dialect::anthropic, dialect::gemini, o);
  const auto in = vectors::load("gemini_stream_text.sse");
  std::string out;
  chain->feed(in.substr(0, in.rfind("data: ")), out);
  const auto before = out;
  CHECK_FALSE(chain->finish_eof(out));
  CHECK(out == before);
}
