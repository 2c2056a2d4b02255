// Fuzzes the Anthropic relay and the Gemini -> Anthropic chain: the same output and end state for
// any split of the input; the chain writes well-formed events.
#include "fuzz_support.hpp"

#include "protocols/anthropic_stream_relay.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  stream_options o;
  o.max_event_bytes = 4096;
  const auto in = fuzz::view(data, size);
  // The relay passes unparsed events through as they are, so only framing is checked.
  fuzz::check_translator([&o] { return std::make_unique<anthropic_stream_relay>(o); }, in, false);
  fuzz::check_translator(
      [&o] { return make_stream_translator(dialect::anthropic, dialect::gemini, o); }, in);
  return 0;
}
