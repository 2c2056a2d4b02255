// The usage journal's on-disk format. A segment file is a sequence of frames:
//
//   u32 payload length | u32 CRC-32 (IEEE) of the payload | payload
//
// little-endian, the payload one record (format version, entry kind, then every field of
// `request_record`). A frame is written with one write(2), so a process killed mid-write leaves
// at most a torn last frame (a prefix of it), which reading ignores; a checksum mismatch is
// reported and that frame skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/ports/request_observer.hpp"

namespace switchyard::runtime::journal {

/// A finished record, or a provisional one (see usage_journal::append_provisional).
enum class entry_kind : std::uint8_t { final = 0, provisional = 1 };

inline constexpr std::size_t frame_header_bytes = 8;
/// Larger payloads are refused when written and taken for damage when read.
inline constexpr std::size_t max_payload_bytes = 4u << 20;

/// CRC-32 (the IEEE 802.3 polynomial, reflected, as zlib computes it).
std::uint32_t crc32(std::string_view bytes) noexcept;

/// Appends the frame of `record` to `out`; false (and `out` unchanged) when its payload would
/// exceed max_payload_bytes.
bool append_frame(std::string& out, const actors::request_record& record, entry_kind kind);

struct entry {
  actors::request_record record;
  entry_kind kind = entry_kind::final;
};

/// What one segment's bytes hold.
struct scan_result {
  std::vector<entry> entries;
  std::size_t corrupt = 0;     ///< frames skipped: checksum mismatch or undecodable payload
  std::size_t torn_bytes = 0;  ///< an incomplete last frame, ignored
  /// One log-safe line per problem (offset and what), in file order.
  std::vector<std::string> problems;
};

/// Reads every frame of `bytes`. A frame whose length is zero or above max_payload_bytes ends
/// the scan (nothing after it can be framed), reported as a problem.
scan_result scan(std::string_view bytes);

}  // namespace switchyard::runtime::journal
