// Fuzzes gemini_to_openai_stream: the same output and end state for any split of the input,
// well-formed events out, and no bytes written by finish_eof for a broken stream.
#include "fuzz_support.hpp"

#include "protocols/gemini_to_openai_stream.hpp"

using namespace switchyard::protocols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (const bool usage : {false, true}) {
    stream_options o;
    o.include_usage = usage;
    o.id_seed = "seed";
    o.max_event_bytes = 4096;
    fuzz::check_translator([&o] { return std::make_unique<gemini_to_openai_stream>(o); },
                           fuzz::view(data, size));
  }
  return 0;
}
