// Internal: lossless JSON parsing. RapidJSON 1.1's full-precision number parser turns a zero
// with a large exponent into garbage ("0e240" becomes 1.8e221), so numbers are taken as text and
// converted here with std::from_chars (correctly rounded). Not part of the protocols interface.
#pragma once

#include <cstdint>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "protocols/json_util.hpp"

namespace switchyard::protocols::detail {

/// One JSON number literal, converted.
struct number_value {
  enum class kind : std::uint8_t { int64, uint64, real, out_of_range } type = kind::real;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};

/// Converts a literal the reader has already checked against the JSON grammar: integers that fit
/// 64 bits stay integers (as RapidJSON keeps them), everything else becomes the nearest double;
/// a magnitude beyond the double range is out_of_range (RapidJSON: "number too big"), one below
/// it becomes a signed zero.
number_value convert_number(std::string_view literal) noexcept;

/// Forwards SAX events to `Target`, converting numbers (delivered as text) itself.
template <class Target>
class number_filter {
 public:
  explicit number_filter(Target& t) : t_(t) {}

  bool Null() { return t_.Null(); }
  bool Bool(bool b) { return t_.Bool(b); }
  bool Int(int i) { return t_.Int(i); }
  bool Uint(unsigned u) { return t_.Uint(u); }
  bool Int64(std::int64_t i) { return t_.Int64(i); }
  bool Uint64(std::uint64_t u) { return t_.Uint64(u); }
  bool Double(double d) { return t_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const number_value v = convert_number({s, n});
    switch (v.type) {
      case number_value::kind::int64:
        return t_.Int64(v.i);
      case number_value::kind::uint64:
        return t_.Uint64(v.u);
      case number_value::kind::real:
        return t_.Double(v.d);
      case number_value::kind::out_of_range:
        too_big_ = true;
        return false;
    }
    return false;
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return unicode_ok(s, n) && t_.String(s, n, copy);
  }
  bool StartObject() { return t_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    return unicode_ok(s, n) && t_.Key(s, n, copy);
  }
  bool EndObject(rapidjson::SizeType n) { return t_.EndObject(n); }
  bool StartArray() { return t_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return t_.EndArray(n); }

  /// True when parsing stopped on a number beyond the double range.
  bool too_big() const noexcept { return too_big_; }
  /// True when parsing stopped on a string that decodes to invalid UTF-8.
  bool bad_unicode() const noexcept { return bad_unicode_; }

 private:
  // The text was checked as UTF-8 before parsing, so a bad decoded string can only come from a
  // `\u` escape of a lone surrogate, which RapidJSON 1.1 accepts and writes out as invalid UTF-8.
  bool unicode_ok(const char* s, rapidjson::SizeType n) {
    if (invalid_utf8_offset({s, n}) == std::string_view::npos) return true;
    bad_unicode_ = true;
    return false;
  }

  Target& t_;
  bool too_big_ = false;
  bool bad_unicode_ = false;
};

/// Runs `json` through RapidJSON's reader into `handler` (a SAX handler: a writer, a document)
/// with exact numbers and refused lone surrogates; `reader_stack` as for parse_lossless.
template <class Handler, class ReaderAllocator = rapidjson::CrtAllocator>
rapidjson::ParseResult sax_lossless(std::string_view json, Handler& handler,
                                    ReaderAllocator* reader_stack = nullptr) {
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, ReaderAllocator> reader(
      reader_stack);
  rapidjson::MemoryStream ms(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  number_filter<Handler> filter(handler);
  rapidjson::ParseResult result =
      reader.template Parse<rapidjson::kParseNumbersAsStringsFlag>(is, filter);
  if (result.IsError() && filter.too_big()) {
    result.Set(rapidjson::kParseErrorNumberTooBig, result.Offset());
  } else if (result.IsError() && filter.bad_unicode()) {
    result.Set(rapidjson::kParseErrorStringUnicodeSurrogateInvalid, result.Offset());
  }
  return result;
}

/// Parses `json` (UTF-8, checked by the caller) into `doc` with exact numbers. `reader_stack`
/// (may be null: the reader then allocates its own) holds the reader's scratch. A number beyond
/// the double range is reported as kParseErrorNumberTooBig, as RapidJSON itself would; a lone
/// surrogate escape as kParseErrorStringUnicodeSurrogateInvalid.
template <class Document, class ReaderAllocator = rapidjson::CrtAllocator>
rapidjson::ParseResult parse_lossless(std::string_view json, Document& doc,
                                      ReaderAllocator* reader_stack = nullptr) {
  rapidjson::ParseResult result;
  auto generate = [&](Document& d) {
    result = sax_lossless(json, d, reader_stack);
    return !result.IsError();
  };
  doc.Populate(generate);
  if (result.IsError()) doc.SetNull();
  return result;
}

}  // namespace switchyard::protocols::detail
