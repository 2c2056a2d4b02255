// The usage journal's framing and record encoding (see journal_codec.hpp).
#include "runtime/journal_codec.hpp"

#include <array>
#include <bit>
#include <chrono>
#include <optional>

namespace switchyard::runtime::journal {

namespace {

constexpr std::uint8_t format_version = 1;

constexpr std::array<std::uint32_t, 256> crc_table = [] {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_text(std::string& out, const std::string& s) {
  put_le(out, s.size(), 4);
  out += s;
}

std::int64_t micros(std::chrono::microseconds d) {
  return d.count();
}

// Bounds-checked reads over one payload; any read past the end sets `bad`.
class reader {
 public:
  explicit reader(std::string_view bytes) : bytes_(bytes) {}

  std::uint64_t le(int n) {
    if (bad || bytes_.size() - at_ < static_cast<std::size_t>(n)) {
      bad = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(bytes_[at_ + i])} << (8 * i);
    at_ += static_cast<std::size_t>(n);
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::chrono::microseconds us() {
    return std::chrono::microseconds{static_cast<std::int64_t>(le(8))};
  }
  std::string text() {
    const std::size_t n = u32();
    if (bad || bytes_.size() - at_ < n) {
      bad = true;
      return {};
    }
    std::string s{bytes_.substr(at_, n)};
    at_ += n;
    return s;
  }
  bool at_end() const { return at_ == bytes_.size(); }

  bool bad = false;

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

enum flag : std::uint8_t {
  stream = 1,
  stream_broken = 2,
  client_gone = 4,
  hedged = 8,
  usage_reported = 16,
  all_flags = 31,
};

void encode(std::string& out, const actors::request_record& r, entry_kind kind) {
  out.push_back(static_cast<char>(format_version));
  out.push_back(static_cast<char>(kind));
  for (const auto* s : {&r.record_id, &r.request_id, &r.tenant, &r.key_prefix, &r.key_id, &r.model,
                        &r.provider, &r.upstream_model, &r.error})
    put_text(out, *s);
  out.push_back(static_cast<char>(r.kind));
  out.push_back(static_cast<char>(r.client));
  out.push_back(static_cast<char>((r.stream ? stream : 0) | (r.stream_broken ? stream_broken : 0) |
                                  (r.client_gone ? client_gone : 0) | (r.hedged ? hedged : 0) |
                                  (r.usage.reported ? usage_reported : 0)));
  for (std::uint32_t v : {static_cast<std::uint32_t>(r.status), r.attempts, r.usage.prompt_tokens,
                          r.usage.completion_tokens, r.usage.cached_tokens,
                          r.usage.reasoning_tokens, r.usage.cache_creation_tokens})
    put_le(out, v, 4);
  put_le(out, std::bit_cast<std::uint64_t>(r.cost_usd), 8);
  const auto finished =
      std::chrono::duration_cast<std::chrono::microseconds>(r.finished_at.time_since_epoch());
  for (std::int64_t v : {micros(finished), micros(r.duration), micros(r.time_to_first_byte),
                         micros(r.upstream_time)})
    put_le(out, static_cast<std::uint64_t>(v), 8);
}

std::optional<entry> decode(std::string_view payload) {
  reader in{payload};
  if (in.u8() != format_version) return std::nullopt;
  const std::uint8_t kind = in.u8();
  if (kind > static_cast<std::uint8_t>(entry_kind::provisional)) return std::nullopt;
  entry e;
  e.kind = static_cast<entry_kind>(kind);
  auto& r = e.record;
  for (auto* s : {&r.record_id, &r.request_id, &r.tenant, &r.key_prefix, &r.key_id, &r.model,
                  &r.provider, &r.upstream_model, &r.error})
    *s = in.text();
  const std::uint8_t api = in.u8();
  const std::uint8_t client = in.u8();
  const std::uint8_t flags = in.u8();
  if (api > static_cast<std::uint8_t>(protocols::api_kind::embeddings) ||
      client > static_cast<std::uint8_t>(protocols::dialect::gemini) || (flags & ~all_flags) != 0)
    return std::nullopt;
  r.kind = static_cast<protocols::api_kind>(api);
  r.client = static_cast<protocols::dialect>(client);
  r.stream = (flags & stream) != 0;
  r.stream_broken = (flags & stream_broken) != 0;
  r.client_gone = (flags & client_gone) != 0;
  r.hedged = (flags & hedged) != 0;
  r.usage.reported = (flags & usage_reported) != 0;
  r.status = in.u32();
  r.attempts = in.u32();
  r.usage.prompt_tokens = in.u32();
  r.usage.completion_tokens = in.u32();
  r.usage.cached_tokens = in.u32();
  r.usage.reasoning_tokens = in.u32();
  r.usage.cache_creation_tokens = in.u32();
  r.cost_usd = std::bit_cast<double>(in.le(8));
  r.finished_at = std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(in.us())};
  r.duration = in.us();
  r.time_to_first_byte = in.us();
  r.upstream_time = in.us();
  if (in.bad || !in.at_end()) return std::nullopt;
  return e;
}

std::uint32_t read_u32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= std::uint32_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  return v;
}

}  // namespace

std::uint32_t crc32(std::string_view bytes) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = crc_table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool append_frame(std::string& out, const actors::request_record& record, entry_kind kind) {
  const std::size_t start = out.size();
  out.append(frame_header_bytes, '\0');  // filled in once the payload's size is known
  encode(out, record, kind);
  const std::size_t size = out.size() - start - frame_header_bytes;
  if (size > max_payload_bytes) {
    out.resize(start);
    return false;
  }
  std::string header;
  put_le(header, size, 4);
  put_le(header, crc32(std::string_view{out}.substr(start + frame_header_bytes)), 4);
  out.replace(start, frame_header_bytes, header);
  return true;
}

scan_result scan(std::string_view bytes) {
  scan_result out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t left = bytes.size() - at;
    if (left < frame_header_bytes) {
      out.torn_bytes = left;
      break;
    }
    const std::uint32_t size = read_u32(bytes, at);
    if (size == 0 || size > max_payload_bytes) {
      out.problems.push_back("offset " + std::to_string(at) + ": impossible entry length " +
                             std::to_string(size) + "; the rest of the file (" +
                             std::to_string(left) + " bytes) is skipped");
      ++out.corrupt;
      break;
    }
    if (left - frame_header_bytes < size) {
      out.torn_bytes = left;
      break;
    }
    const auto payload = bytes.substr(at + frame_header_bytes, size);
    if (crc32(payload) != read_u32(bytes, at + 4)) {
      out.problems.push_back("offset " + std::to_string(at) + ": checksum mismatch; entry skipped");
      ++out.corrupt;
    } else if (auto e = decode(payload)) {
      out.entries.push_back(std::move(*e));
    } else {
      out.problems.push_back("offset " + std::to_string(at) +
                             ": entry of an unknown format; skipped");
      ++out.corrupt;
    }
    at += frame_header_bytes + size;
  }
  return out;
}

}  // namespace switchyard::runtime::journal
