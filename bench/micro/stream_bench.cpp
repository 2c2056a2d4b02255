// Per-chunk stream translation costs: one upstream event in, the client's bytes out, in steady
// state (the stream already started), for each translator and for the OpenAI passthrough relay.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "protocols/anthropic_stream_relay.hpp"
#include "protocols/anthropic_to_openai_stream.hpp"
#include "protocols/gemini_to_openai_stream.hpp"
#include "protocols/openai_to_anthropic_stream.hpp"
#include "protocols/stream_relay.hpp"

using namespace switchyard::protocols;

namespace {

const std::string anthropic_start =
    "event: message_start\ndata: "
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
    "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
    "\"stop_reason\":null,"
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"output_tokens\":2}}}\n\n"
    "event: content_block_start\ndata: "
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":"
    "\"\"}}\n\n"
    "event: content_block_start\ndata: "
    "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":"
    "\"toolu_01\",\"name\":\"lookup_order\",\"input\":{}}}\n\n";
const std::string anthropic_text_delta =
    "event: content_block_delta\ndata: "
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" "
    "the second book\"}}\n\n";
const std::string anthropic_json_delta =
    "event: content_block_delta\ndata: "
    "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
    "\"partial_json\":\"{\\\"order_number\\\": \\\"84-\"}}\n\n";

const std::string gemini_event =
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" the second "
    "book\"}],\"role\": \"model\"},\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 472,\"candidatesTokenCount\": "
    "12,\"totalTokenCount\": 484},"
    "\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"2sKqaL3qBdTWz7IP0fvn-Ak\"}\r\n\r\n";

const std::string openai_chunk =
    "data: "
    "{\"id\":\"chatcmpl-9xYz\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
    "\"model\":\"gpt-4o-mini\","
    "\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" "
    "the second book\"},"
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";

// Feeds `prelude` once, then one `event` per iteration.
template <class T>
void per_chunk(benchmark::State& state, T& translator, const std::string& prelude,
               const std::string& event) {
  std::string out;
  out.reserve(4096);
  translator.feed(prelude, out);
  for (auto _ : state) {
    out.clear();
    translator.feed(event, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (translator.state() != relay_state::open) state.SkipWithError("the stream did not stay open");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * event.size());
}

stream_options options() {
  stream_options o;
  o.include_usage = true;
  o.created = 1700000000;
  return o;
}

void BM_anthropic_to_openai_text_delta(benchmark::State& state) {
  anthropic_to_openai_stream t(options());
  per_chunk(state, t, anthropic_start, anthropic_text_delta);
}
BENCHMARK(BM_anthropic_to_openai_text_delta);

void BM_anthropic_to_openai_tool_delta(benchmark::State& state) {
  anthropic_to_openai_stream t(options());
  per_chunk(state, t, anthropic_start, anthropic_json_delta);
}
BENCHMARK(BM_anthropic_to_openai_tool_delta);

void BM_gemini_to_openai_chunk(benchmark::State& state) {
  gemini_to_openai_stream t(options());
  per_chunk(state, t, gemini_event, gemini_event);
}
BENCHMARK(BM_gemini_to_openai_chunk);

void BM_openai_to_anthropic_chunk(benchmark::State& state) {
  openai_to_anthropic_stream t(options());
  per_chunk(state, t, openai_chunk, openai_chunk);
}
BENCHMARK(BM_openai_to_anthropic_chunk);

void BM_anthropic_relay_delta(benchmark::State& state) {
  anthropic_stream_relay t(options());
  per_chunk(state, t, anthropic_start, anthropic_text_delta);
}
BENCHMARK(BM_anthropic_relay_delta);

void BM_openai_stream_relay_chunk(benchmark::State& state) {
  openai_stream_relay relay(false);
  per_chunk(state, relay, openai_chunk, openai_chunk);
}
BENCHMARK(BM_openai_stream_relay_chunk);

}  // namespace
