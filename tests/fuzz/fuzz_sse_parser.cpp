// Fuzzes the SSE parser: the events do not depend on how the bytes are split, and framing an
// event's data parses back to the same data.
#include "fuzz_support.hpp"

#include "protocols/sse.hpp"

using switchyard::protocols::sse_event;
using switchyard::protocols::sse_parser;

namespace {

struct parsed {
  std::vector<std::pair<std::string, std::string>> events;
  bool ok = true;
};

parsed parse(std::string_view in, const std::vector<std::size_t>& cuts, std::size_t limit) {
  parsed p;
  sse_parser parser(limit);
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size() && p.ok; ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : in.size();
    const auto piece = std::make_unique<std::string>(in.substr(from, to - from));
    p.ok = parser.feed(*piece, [&](const sse_event& ev) {
      p.events.emplace_back(std::string(ev.event), std::string(ev.data));
    });
    from = to;
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::view(data, size);
  for (const std::size_t limit : {std::size_t{1} << 20, std::size_t{64}}) {
    const parsed whole = parse(in, {}, limit);
    const parsed split = parse(in, fuzz::cuts_for(in), limit);
    fuzz::require(whole.ok == split.ok, "the size limit trips depending on the split");
    if (whole.ok) fuzz::require(whole.events == split.events, "events depend on the split");
    for (const auto& [name, body] : whole.events) {
      const parsed again = parse(switchyard::protocols::sse_frame(body), {}, 1 << 20);
      fuzz::require(again.ok && again.events.size() == 1 && again.events[0].second == body,
                    "sse_frame does not carry the data back");
    }
  }
  return 0;
}
