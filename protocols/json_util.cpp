// Internal text helpers shared by the codecs.
#include "protocols/json_util.hpp"

#include <cstdint>
#include <cstring>

namespace switchyard::protocols::detail {

namespace {

// Length of the UTF-8 sequence led by `c` and the allowed range of its second byte (which is
// where overlong forms, surrogates and code points past U+10FFFF are ruled out); 0 when `c`
// cannot lead a sequence.
struct utf8_lead {
  unsigned len;
  unsigned char lo;
  unsigned char hi;
};

constexpr utf8_lead classify(unsigned char c) noexcept {
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80, 0xBF};
  if (c == 0xE0) return {3, 0xA0, 0xBF};
  if (c == 0xED) return {3, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {3, 0x80, 0xBF};
  if (c == 0xF0) return {4, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {4, 0x80, 0xBF};
  if (c == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

std::size_t invalid_utf8_offset(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const utf8_lead lead = classify(p[i]);
    if (lead.len == 0 || i + lead.len > n) return i;
    if (p[i + 1] < lead.lo || p[i + 1] > lead.hi) return i;
    for (unsigned k = 2; k < lead.len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += lead.len;
  }
  return std::string_view::npos;
}

void write_openai_usage(json_writer& w, const usage& u) {
  w.StartObject();
  w.Key("prompt_tokens");
  w.Uint(u.prompt_tokens);
  w.Key("completion_tokens");
  w.Uint(u.completion_tokens);
  w.Key("total_tokens");
  w.Uint64(std::uint64_t{u.prompt_tokens} + u.completion_tokens);
  w.Key("prompt_tokens_details");
  w.StartObject();
  w.Key("cached_tokens");
  w.Uint(u.cached_tokens);
  w.EndObject();
  w.Key("completion_tokens_details");
  w.StartObject();
  w.Key("reasoning_tokens");
  w.Uint(u.reasoning_tokens);
  w.EndObject();
  w.EndObject();
}

}  // namespace switchyard::protocols::detail
