// The few writing helpers every dialect writer of the mock provider shares: a RapidJSON writer on
// string_views, and the two SSE framings (bare `data:` events, and named `event:` + `data:`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::mock::wire {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline std::string to_string(const rapidjson::StringBuffer& buf) {
  return {buf.GetString(), buf.GetSize()};
}

/// Writes `"<key>":{"<names[0]>":in,"<names[1]>":out,"<names[2]>":in+out}`: OpenAI's and
/// Gemini's usage objects differ only in their names.
inline void write_usage_counts(json_writer& w, const char* key, const char* const (&names)[3],
                               std::uint32_t in, std::uint32_t out) {
  w.Key(key);
  w.StartObject();
  w.Key(names[0]);
  w.Uint(in);
  w.Key(names[1]);
  w.Uint(out);
  w.Key(names[2]);
  w.Uint64(std::uint64_t{in} + out);
  w.EndObject();
}

/// The name a dialect's error body gives `status`: its entry in `table`, else `client_default`
/// for a 4xx and `server_default` for a 5xx.
template <std::size_t N>
std::string_view status_name(unsigned status,
                             const std::pair<unsigned, std::string_view> (&table)[N],
                             std::string_view client_default, std::string_view server_default) {
  for (const auto& [code, name] : table) {
    if (code == status) return name;
  }
  return status >= 500 ? server_default : client_default;
}

/// Appends `data: <data><eol><eol>`. The JSON the mock writes never holds a raw newline, so one
/// data line always carries the whole event. OpenAI and Anthropic end lines with "\n"; Gemini's
/// API sends "\r\n", and the mock does too so that clients' CRLF handling gets exercised.
inline void append_sse_data(std::string& out, std::string_view data, std::string_view eol = "\n") {
  out += "data: ";
  out += data;
  out += eol;
  out += eol;
}

/// Appends `event: <name>\ndata: <data>\n\n` (Anthropic names every event).
inline void append_sse_event(std::string& out, std::string_view name, std::string_view data) {
  out += "event: ";
  out += name;
  out += '\n';
  append_sse_data(out, data);
}

}  // namespace switchyard::mock::wire
