// Request and response codec costs: a typical 2 KB chat request through the OpenAI passthrough,
// the canonical OpenAI round trip, the Anthropic codec, and across dialects.
#include <benchmark/benchmark.h>

#include <string>

#include "protocols/anthropic_codec.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/openai_chat_codec.hpp"
#include "protocols/openai_request.hpp"

using namespace switchyard::protocols;

namespace {

// About 2 KB: a system prompt, a short conversation with one tool round trip, one tool.
const std::string openai_request = R"({
  "model": "gpt-4o-mini",
  "messages": [
    {"role": "system", "content": "You are a support assistant for an online bookshop. Answer briefly and politely. If you need order details, call the lookup_order tool with the order number the customer gives you. Never invent order numbers, prices or delivery dates; say you do not know instead."},
    {"role": "user", "content": "Hi! I ordered two books last week and only one arrived. The order number is 84-1193-22. Can you tell me where the second one is?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_Q1w2E3r4T5y6", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"order_number\":\"84-1193-22\"}"}}]},
    {"role": "tool", "tool_call_id": "call_Q1w2E3r4T5y6", "content": "{\"status\":\"partially shipped\",\"items\":[{\"title\":\"The Left Hand of Darkness\",\"shipped\":\"2024-05-02\"},{\"title\":\"A Wizard of Earthsea\",\"shipped\":null,\"eta\":\"2024-05-10\"}]}"},
    {"role": "assistant", "content": "Your order was split: The Left Hand of Darkness shipped on May 2, and A Wizard of Earthsea is expected to ship by May 10. You will get a tracking email as soon as it leaves the warehouse."},
    {"role": "user", "content": "Thanks. Could you also check whether the second book can be gift wrapped? It is a birthday present for my niece and her birthday is on the 14th, so timing matters a lot to me."}
  ],
  "tools": [{"type": "function", "function": {"name": "lookup_order", "description": "Look up an order by its number and return its status and items.", "parameters": {"type": "object", "properties": {"order_number": {"type": "string", "description": "The order number, e.g. 84-1193-22"}}, "required": ["order_number"]}}}],
  "tool_choice": "auto",
  "temperature": 0.3,
  "max_tokens": 400,
  "stream": true,
  "stream_options": {"include_usage": true},
  "user": "customer-5521"
})";

canonical_request decoded_openai() {
  return decode_openai_chat_request(openai_request).value();
}

std::string anthropic_request() {
  return encode_anthropic_request(decoded_openai(), "claude-sonnet-4-5").value().body;
}

void BM_openai_passthrough_decode_encode(benchmark::State& state) {
  for (auto _ : state) {
    auto req = decode_openai_request(api_kind::chat_completions, openai_request);
    benchmark::DoNotOptimize(encode_openai_upstream(req.value(), "gpt-4o-mini-2024-07-18"));
  }
  state.SetBytesProcessed(state.iterations() * openai_request.size());
}
BENCHMARK(BM_openai_passthrough_decode_encode);

void BM_openai_canonical_decode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(decode_openai_chat_request(openai_request));
  state.SetBytesProcessed(state.iterations() * openai_request.size());
}
BENCHMARK(BM_openai_canonical_decode);

void BM_openai_canonical_encode(benchmark::State& state) {
  const auto req = decoded_openai();
  for (auto _ : state) benchmark::DoNotOptimize(encode_openai_chat_request(req, "gpt-4o-mini"));
}
BENCHMARK(BM_openai_canonical_encode);

void BM_openai_canonical_decode_encode(benchmark::State& state) {
  for (auto _ : state) {
    auto req = decode_openai_chat_request(openai_request);
    benchmark::DoNotOptimize(encode_openai_chat_request(req.value(), "gpt-4o-mini"));
  }
  state.SetBytesProcessed(state.iterations() * openai_request.size());
}
BENCHMARK(BM_openai_canonical_decode_encode);

void BM_anthropic_decode(benchmark::State& state) {
  const auto body = anthropic_request();
  for (auto _ : state) benchmark::DoNotOptimize(decode_anthropic_request(body));
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_anthropic_decode);

void BM_anthropic_encode(benchmark::State& state) {
  const auto req = decode_anthropic_request(anthropic_request()).value();
  for (auto _ : state) benchmark::DoNotOptimize(encode_anthropic_request(req, "claude-sonnet-4-5"));
}
BENCHMARK(BM_anthropic_encode);

void BM_anthropic_passthrough(benchmark::State& state) {
  const auto body = anthropic_request();
  for (auto _ : state) {
    auto req = decode_anthropic_request(body);
    benchmark::DoNotOptimize(encode_anthropic_passthrough(req.value(), "claude-sonnet-4-5"));
  }
}
BENCHMARK(BM_anthropic_passthrough);

void BM_openai_request_to_anthropic(benchmark::State& state) {
  for (auto _ : state) {
    auto req = decode_openai_chat_request(openai_request);
    benchmark::DoNotOptimize(encode_anthropic_request(req.value(), "claude-sonnet-4-5"));
  }
}
BENCHMARK(BM_openai_request_to_anthropic);

void BM_anthropic_request_to_openai(benchmark::State& state) {
  const auto body = anthropic_request();
  for (auto _ : state) {
    auto req = decode_anthropic_request(body);
    benchmark::DoNotOptimize(encode_openai_chat_request(req.value(), "gpt-4o-mini"));
  }
}
BENCHMARK(BM_anthropic_request_to_openai);

void BM_openai_request_to_gemini(benchmark::State& state) {
  for (auto _ : state) {
    auto req = decode_openai_chat_request(openai_request);
    benchmark::DoNotOptimize(encode_gemini_request(req.value(), "gemini-2.5-flash"));
  }
}
BENCHMARK(BM_openai_request_to_gemini);

const std::string anthropic_response =
    R"({"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Yes, A Wizard of Earthsea can be gift wrapped. I have added gift wrapping to the item; it will still ship by May 10, in time for the 14th."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":512,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":41}})";

void BM_anthropic_response_to_openai(benchmark::State& state) {
  openai_response_options opts;
  opts.created = 1700000000;
  for (auto _ : state) {
    auto resp = decode_anthropic_response(anthropic_response);
    benchmark::DoNotOptimize(encode_openai_chat_response(resp.value(), opts));
  }
}
BENCHMARK(BM_anthropic_response_to_openai);

}  // namespace
