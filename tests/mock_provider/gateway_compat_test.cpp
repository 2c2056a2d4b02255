// The gateway reads what the mock writes: every dialect's whole reply goes through the gateway's
// response decoder, and every stream through the gateway's translator to an OpenAI client, for
// text, tool calls and cut streams. (The mock writes its bodies on its own, after the providers'
// published shapes, so this is a check of the gateway's decoders as much as of the mock.)
#include <catch2/catch.hpp>

#include <string>

#include "bench/mock_provider/dialect_replies.hpp"
#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/stream_translator.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using switchyard::protocols::dialect;
using switchyard::protocols::finish_reason;

namespace {

switchyard::protocols::result<switchyard::protocols::canonical_response,
                              switchyard::protocols::error_info>
decode(dialect d, const std::string& body) {
  switch (d) {
    case dialect::anthropic:
      return switchyard::protocols::decode_anthropic_response(body);
    case dialect::gemini:
      return switchyard::protocols::decode_gemini_response(body);
    case dialect::openai:
      break;
  }
  return switchyard::protocols::decode_openai_chat_response(body);
}

// What an OpenAI client receives through the gateway from a stream of the mock's first
// `frames` frames, and what the translator made of it.
struct relayed {
  std::string text;
  std::string tool_name;
  std::string arguments;
  std::string finish;
  bool complete = false;
  switchyard::protocols::usage usage;
};

relayed relay(dialect d, const reply_stream& s, std::size_t frames) {
  switchyard::protocols::stream_options opts;
  opts.include_usage = true;
  auto translator = switchyard::protocols::make_stream_translator(dialect::openai, d, opts);
  REQUIRE(translator);
  std::string out;
  for (std::size_t j = 0; j < frames; ++j) {
    std::string frame;
    s.append_frame(j, frame);
    // Split each frame in two, as TCP may, so the translator's buffering is exercised too.
    translator->feed(std::string_view(frame).substr(0, frame.size() / 2), out);
    translator->feed(std::string_view(frame).substr(frame.size() / 2), out);
  }
  relayed r;
  r.complete = translator->finish_eof(out);
  r.usage = translator->last_usage();
  for (const auto& data : sse_data(out)) {
    if (data == "[DONE]") continue;
    auto chunk = must_parse(data);
    if (chunk["choices"].Empty()) continue;
    const auto& choice = chunk["choices"][0];
    const auto& delta = choice["delta"];
    if (delta.HasMember("content") && delta["content"].IsString()) r.text += str(delta["content"]);
    if (delta.HasMember("tool_calls")) {
      const auto& fn = delta["tool_calls"][0]["function"];
      if (fn.HasMember("name")) r.tool_name = str(fn["name"]);
      if (fn.HasMember("arguments")) r.arguments += str(fn["arguments"]);
    }
    if (choice["finish_reason"].IsString()) r.finish = str(choice["finish_reason"]);
  }
  return r;
}

}  // namespace

TEST_CASE("compat: the gateway's decoders read every dialect's whole reply") {
  for (auto d : {dialect::openai, dialect::anthropic, dialect::gemini}) {
    CAPTURE(switchyard::protocols::dialect_name(d));
    auto text = decode(d, reply_body(d, make_test_reply(d, 4, 3u, 12)));
    REQUIRE(text.ok());
    const auto& choice = text.value().choices.at(0);
    REQUIRE(choice.content.size() == 1);
    CHECK(choice.content[0].text == reply_text(3));
    CHECK(choice.finish == finish_reason::length);
    CHECK(text.value().usage.prompt_tokens == 12);
    CHECK(text.value().usage.completion_tokens == 3);

    auto call = decode(d, reply_body(d, make_test_reply(d, 4, 3u, 12, "lookup")));
    REQUIRE(call.ok());
    const auto& calls = call.value().choices.at(0).tool_calls;
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].name == "lookup");
    CHECK(must_parse(calls[0].arguments) == must_parse(tool_call_arguments));
    CHECK_FALSE(calls[0].id.empty());
    CHECK(call.value().choices[0].finish == finish_reason::tool_calls);
    CHECK(call.value().usage.completion_tokens == tool_argument_pieces);
  }
}

TEST_CASE("compat: the gateway relays every dialect's stream to an OpenAI client") {
  for (auto d : {dialect::openai, dialect::anthropic, dialect::gemini}) {
    CAPTURE(switchyard::protocols::dialect_name(d));
    reply_stream text(d, make_test_reply(d, 5, 100u, 9, {}, true));
    auto t = relay(d, text, text.frame_count());
    CHECK(t.complete);
    CHECK(t.text == reply_text(5));
    CHECK(t.finish == "stop");
    CHECK(t.usage.prompt_tokens == 9);
    CHECK(t.usage.completion_tokens == 5);

    reply_stream call(d, make_test_reply(d, 5, 100u, 9, "lookup", true));
    auto c = relay(d, call, call.frame_count());
    CHECK(c.complete);
    CHECK(c.text.empty());
    CHECK(c.tool_name == "lookup");
    CHECK(must_parse(c.arguments) == must_parse(tool_call_arguments));
    CHECK(c.finish == "tool_calls");
    CHECK(c.usage.completion_tokens == tool_argument_pieces);
  }
}

TEST_CASE("compat: the gateway sees a cut stream of every dialect as cut") {
  for (auto d : {dialect::openai, dialect::anthropic, dialect::gemini}) {
    CAPTURE(switchyard::protocols::dialect_name(d));
    reply_stream s(d, make_test_reply(d, 6, 100u, 9, {}, true));
    auto cut = relay(d, s, s.cut_frame_limit(2u));
    CHECK_FALSE(cut.complete);
    CHECK(cut.text == reply_text(2));
    CHECK(cut.finish.empty());
  }
}
