// Shared by the fuzz targets: property checks that abort (so libFuzzer and the replay driver both
// report them), JSON validity, and deterministic splits of an input derived from its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/sse.hpp"
#include "protocols/stream_translator.hpp"

namespace fuzz {

/// Aborts with `what` when `ok` is false: a property the code promises was broken.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

inline std::string_view view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline bool is_json(std::string_view s) {
  rapidjson::Document d;
  d.Parse(s.data(), s.size());
  return !d.HasParseError();
}

/// Cut points for `in`, derived from its bytes (FNV-1a), so a crash reproduces from the input.
inline std::vector<std::size_t> cuts_for(std::string_view in) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : in) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  std::vector<std::size_t> cuts;
  if (in.size() < 2) return cuts;
  std::size_t at = 0;
  while (true) {
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    at += 1 + h % 17;
    if (at >= in.size()) break;
    cuts.push_back(at);
  }
  return cuts;
}

/// What a translator wrote for `in`, fed whole or in pieces (each piece its own allocation).
struct run {
  std::string out;
  switchyard::protocols::relay_state state;
  bool eof_ok;
};

inline run feed(switchyard::protocols::stream_translator& t, std::string_view in,
                const std::vector<std::size_t>& cuts) {
  run r{{}, switchyard::protocols::relay_state::open, false};
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : in.size();
    const auto piece = std::make_unique<std::string>(in.substr(from, to - from));
    t.feed(*piece, r.out);
    from = to;
  }
  const std::size_t before = r.out.size();
  r.eof_ok = t.finish_eof(r.out);
  require(r.eof_ok || r.out.size() == before, "finish_eof wrote bytes for a broken stream");
  r.state = t.state();
  return r;
}

/// Every event the translator wrote parses as SSE, and its data is JSON or `[DONE]`.
inline void require_well_formed(const std::string& out) {
  switchyard::protocols::sse_parser parser(1 << 30);
  const bool ok = parser.feed(out, [](const switchyard::protocols::sse_event& ev) {
    require(ev.data == "[DONE]" || is_json(ev.data), "translator wrote an event that is not JSON");
  });
  require(ok && parser.idle(), "translator output is not a complete event stream");
}

/// The translator from `make` writes the same bytes and ends in the same state however the input
/// is split, and (`check_json`: a translator that writes its own events) well-formed events.
template <class Make>
void check_translator(Make make, std::string_view in, bool check_json = true) {
  auto whole = make();
  auto split = make();
  const run a = feed(*whole, in, {});
  const run b = feed(*split, in, cuts_for(in));
  require(a.out == b.out, "output depends on how the input is split");
  require(a.state == b.state && a.eof_ok == b.eof_ok, "end state depends on the split");
  require(whole->events() == split->events(), "event count depends on the split");
  if (check_json) require_well_formed(a.out);
}

}  // namespace fuzz
