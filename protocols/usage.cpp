// Reads OpenAI's `usage` object with a SAX pass: no DOM is built, because this runs on stream
// chunks as well as on whole responses.
#include "protocols/usage.hpp"

#include <cmath>
#include <limits>

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace switchyard::protocols {

namespace {

constexpr std::uint32_t clamp_u32(std::uint64_t v) noexcept {
  return v > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(v);
}

// Follows the path root -> usage -> {counts, *_details -> count}. Arrays count as levels so that
// keys inside `choices[…]` are never mistaken for usage keys.
class usage_handler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, usage_handler> {
 public:
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view k(s, n);
    target_ = nullptr;
    next_ = scope::none;
    if (depth_ == 1) {
      if (k == "usage") next_ = scope::usage;
    } else if (depth_ == 2 && scope_ == scope::usage) {
      if (k == "prompt_tokens")
        target_ = &u_.prompt_tokens;
      else if (k == "completion_tokens")
        target_ = &u_.completion_tokens;
      else if (k == "prompt_tokens_details")
        next_ = scope::prompt_details;
      else if (k == "completion_tokens_details")
        next_ = scope::completion_details;
    } else if (depth_ == 3 && scope_ == scope::prompt_details) {
      if (k == "cached_tokens") target_ = &u_.cached_tokens;
    } else if (depth_ == 3 && scope_ == scope::completion_details) {
      if (k == "reasoning_tokens") target_ = &u_.reasoning_tokens;
    }
    return true;
  }

  bool StartObject() {
    ++depth_;
    if (next_ == scope::usage && depth_ == 2) {
      scope_ = scope::usage;
      found_ = true;
      u_ = usage{};
    } else if (next_ != scope::none && next_ != scope::usage && depth_ == 3) {
      scope_ = next_;
    }
    return reset_pending();
  }

  bool EndObject(rapidjson::SizeType) {
    if (depth_ == 3 && (scope_ == scope::prompt_details || scope_ == scope::completion_details)) {
      scope_ = scope::usage;
    } else if (depth_ == 2 && scope_ == scope::usage) {
      scope_ = scope::none;
    }
    --depth_;
    return reset_pending();
  }

  bool StartArray() {
    ++depth_;
    return reset_pending();
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return reset_pending();
  }

  bool Uint(unsigned v) { return number(v); }
  bool Uint64(std::uint64_t v) { return number(v); }
  bool Int(int v) { return number(v < 0 ? 0 : static_cast<std::uint64_t>(v)); }
  bool Int64(std::int64_t v) { return number(v < 0 ? 0 : static_cast<std::uint64_t>(v)); }
  bool Double(double v) {
    // Some providers send counts as 12.0; anything else non-integral is truncated.
    if (!(v >= 0)) return number(0);  // also catches NaN
    return number(v >= 18446744073709551615.0 ? std::numeric_limits<std::uint64_t>::max()
                                              : static_cast<std::uint64_t>(v));
  }

  // Strings, booleans and nulls: a value that is not a count.
  bool Default() { return reset_pending(); }

  std::optional<usage> result() const {
    if (!found_) return std::nullopt;
    usage u = u_;
    u.reported = true;
    return u;
  }

 private:
  enum class scope : std::uint8_t { none, usage, prompt_details, completion_details };

  bool number(std::uint64_t v) {
    if (target_ != nullptr) *target_ = clamp_u32(v);
    return reset_pending();
  }

  bool reset_pending() {
    target_ = nullptr;
    next_ = scope::none;
    return true;
  }

  usage u_;
  std::uint32_t* target_ = nullptr;  // where the next number goes
  scope next_ = scope::none;         // what the next object is, from its key
  scope scope_ = scope::none;        // the known object we are directly inside of
  int depth_ = 0;
  bool found_ = false;
};

}  // namespace

std::optional<usage> extract_openai_usage(std::string_view json) {
  // Most stream chunks carry no usage: skip them without parsing. (A key spelled with \u escapes
  // would be missed; no provider writes keys that way.)
  if (json.find("\"usage\"") == std::string_view::npos) return std::nullopt;
  rapidjson::MemoryStream ms(json.data(), json.size());
  usage_handler handler;
  rapidjson::Reader reader;
  if (reader.Parse<rapidjson::kParseDefaultFlags>(ms, handler).IsError()) return std::nullopt;
  return handler.result();
}

}  // namespace switchyard::protocols
