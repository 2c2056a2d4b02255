// Internal helpers shared by the dialect codecs: typed member reads that name the failing field,
// verbatim capture and replay of unknown members, and the "no silent loss" bookkeeping.
// Not part of the protocols interface.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/json_util.hpp"

namespace switchyard::protocols::detail {

using rapidjson::Value;

/// A part of `kind` holding `text`.
inline content_part make_part(part_kind kind, std::string text) {
  content_part p;
  p.kind = kind;
  p.text = std::move(text);
  return p;
}

/// A string value as a view.
inline std::string_view view(const Value& v) noexcept {
  return {v.GetString(), v.GetStringLength()};
}

/// The member `name` of object `obj`; nullptr when absent or null (SDKs send null for "unset").
const Value* find(const Value& obj, std::string_view name) noexcept;

/// `v` as compact JSON text.
std::string to_json(const Value& v);

/// `base.name`, or `name` when `base` is empty.
std::string join(std::string_view base, std::string_view name);
/// `base[i]`.
std::string index(std::string_view base, std::size_t i);

/// Appends every member of `obj` whose name is not in `known` to `out`, verbatim, marked as
/// found `within` the nested object of that name (empty: the owner itself).
void keep_unknown(const Value& obj, std::initializer_list<std::string_view> known,
                  extra_members& out, std::string_view within = {});

/// Writes `json` (valid JSON text) as the next value.
void write_raw(json_writer& w, std::string_view json);
/// Writes every extra member found `within` the given nested object as `"key": value`.
void write_extras(json_writer& w, const extra_members& extras, std::string_view within = {});
/// True when some extra member was found `within` the given nested object.
bool has_extras(const extra_members& extras, std::string_view within) noexcept;
/// Writes `v` as a number: an integer when it is one, else a double.
void write_number(json_writer& w, double v);

/// Parses `body` into `doc` and checks that it is a UTF-8 JSON object; `code` is the error to
/// report (bad_request for a client's body, upstream_failed for an upstream's).
std::optional<error_info> parse_object(std::string_view body, rapidjson::Document& doc,
                                       gateway_error code, std::string_view what);

/// Typed reads of optional members. Each returns false and sets `error` when the member has the
/// wrong type; the error names the member by its full path.
class reader {
 public:
  explicit reader(gateway_error code) : code_(code) {}

  bool fail(std::string path, std::string message);
  bool string(const Value& obj, std::string_view name, std::string_view base, std::string& out,
              bool required = false);
  bool opt_string(const Value& obj, std::string_view name, std::string_view base,
                  std::optional<std::string>& out);
  bool uint32(const Value& obj, std::string_view name, std::string_view base,
              std::optional<std::uint32_t>& out);
  bool int64(const Value& obj, std::string_view name, std::string_view base,
             std::optional<std::int64_t>& out);
  bool number(const Value& obj, std::string_view name, std::string_view base,
              std::optional<double>& out);
  bool boolean(const Value& obj, std::string_view name, std::string_view base,
               std::optional<bool>& out);
  /// The member must be an object (when present); `out` is nullptr when absent.
  bool object(const Value& obj, std::string_view name, std::string_view base, const Value*& out);
  /// The member must be an array (when present); `out` is nullptr when absent.
  bool array(const Value& obj, std::string_view name, std::string_view base, const Value*& out);

  std::optional<error_info> error;

 private:
  gateway_error code_;
};

/// What an encoder could not carry to its target: an error (the default) or, with
/// `drop_unsupported`, a list of dropped fields.
class loss_tracker {
 public:
  loss_tracker(bool drop_unsupported, dialect target) : drop_(drop_unsupported), target_(target) {}

  /// The field at `path` cannot be honoured (`why` says why). Returns true when the encoder may
  /// go on without it (dropped), false when it must stop (the error is set).
  bool unsupported(std::string path, std::string_view why);
  /// Every extra member of a request from another dialect is unsupported, except those whose
  /// value changes nothing (null, or a documented default such as `"logprobs": false`).
  bool extras(std::string_view base, const extra_members& extras);

  std::optional<error_info> error;
  std::vector<std::string> dropped;

 private:
  bool drop_;
  dialect target_;
};

/// The name of `d` for messages ("OpenAI", "Anthropic", "Gemini").
std::string_view display_name(dialect d) noexcept;

/// Splits `data:<media type>;base64,<data>`; false for any other URL.
bool split_data_url(std::string_view url, std::string_view& media_type, std::string_view& data);

/// The client-side path of message `i`, of its part `j`, and of its tool call `t` (see
/// message::source).
std::string message_path(const message& m, std::size_t i);
std::string part_path(const message& m, std::size_t i, std::size_t j);
std::string call_path(const message& m, std::size_t i, std::size_t t);

/// Normalizes an OpenAI `usage` object (prompt_tokens_details.cached_tokens,
/// completion_tokens_details.reasoning_tokens included).
usage read_openai_usage(const Value& u);

/// Bytes of text in a message list, for the prompt-token estimate (4 bytes per token).
std::uint32_t estimate_prompt_tokens(const std::vector<message>& messages);

}  // namespace switchyard::protocols::detail
