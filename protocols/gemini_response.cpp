// Gemini GenerateContentResponse -> canonical response, Gemini usage normalization, and the
// generated ids for Gemini function calls.
#include <limits>

#include "protocols/codec_detail.hpp"
#include "protocols/gemini_codec.hpp"
#include "protocols/gemini_detail.hpp"

namespace switchyard::protocols {

namespace {

using detail::find;
using detail::index;
using detail::join;
using detail::view;
using rapidjson::Value;

std::uint32_t count(const Value& obj, std::string_view name) {
  const Value* v = find(obj, name);
  if (v == nullptr || !v->IsNumber()) return 0;
  if (v->IsUint()) return v->GetUint();
  return v->IsUint64() ? std::numeric_limits<std::uint32_t>::max() : 0;
}

std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) noexcept {
  const std::uint64_t s = std::uint64_t{a} + b;
  return s > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(s);
}

class gemini_response_decoder {
 public:
  gemini_response_decoder(canonical_response& resp, std::string_view seed)
      : resp_(resp), seed_(seed) {}

  bool decode(const Value& root) {
    resp_.origin = dialect::gemini;
    if (!r_.string(root, "responseId", {}, resp_.id) ||
        !r_.string(root, "modelVersion", {}, resp_.model)) {
      return false;
    }
    if (seed_.empty()) seed_ = resp_.id;
    const Value* candidates = nullptr;
    if (!r_.array(root, "candidates", {}, candidates)) return false;
    if (candidates != nullptr) {
      for (rapidjson::SizeType i = 0; i < candidates->Size(); ++i) {
        resp_.choices.emplace_back();
        if (!candidate((*candidates)[i], i, resp_.choices.back())) return false;
      }
    }
    if (resp_.choices.empty() && !blocked(root)) return false;
    const Value* meta = nullptr;
    if (!r_.object(root, "usageMetadata", {}, meta)) return false;
    if (meta != nullptr) {
      resp_.usage = gemini_detail::read_usage(*meta);
      resp_.usage_raw = detail::to_json(*meta);
    }
    detail::keep_unknown(root, {"responseId", "modelVersion", "candidates", "usageMetadata"},
                         resp_.extras);
    return true;
  }

  error_info error() const { return *r_.error; }

 private:
  // No candidates: the prompt itself was blocked (promptFeedback.blockReason).
  bool blocked(const Value& root) {
    const Value* feedback = nullptr;
    if (!r_.object(root, "promptFeedback", {}, feedback)) return false;
    std::string reason;
    if (feedback != nullptr && !r_.string(*feedback, "blockReason", "promptFeedback", reason)) {
      return false;
    }
    if (reason.empty()) return true;  // a stream event with usage only
    response_choice c;
    c.finish = finish_reason::content_filter;
    c.raw_finish = std::move(reason);
    c.form = content_form::null;
    resp_.choices.push_back(std::move(c));
    return true;
  }

  bool candidate(const Value& c, rapidjson::SizeType i, response_choice& out) {
    const auto path = index("candidates", i);
    if (!c.IsObject()) return r_.fail(path, "`" + path + "` must be an object.");
    std::optional<std::uint32_t> idx;
    if (!r_.uint32(c, "index", path, idx) || !r_.string(c, "finishReason", path, out.raw_finish)) {
      return false;
    }
    out.index = idx.value_or(i);
    out.form = content_form::parts;
    const Value* content = nullptr;
    if (!r_.object(c, "content", path, content)) return false;
    if (content != nullptr && !parts(*content, join(path, "content"), out)) return false;
    out.finish = from_gemini_finish(out.raw_finish);
    if (out.finish == finish_reason::stop && !out.tool_calls.empty()) {
      out.finish = finish_reason::tool_calls;
    }
    detail::keep_unknown(c, {"index", "finishReason", "content"}, out.extras);
    return true;
  }

  bool parts(const Value& content, const std::string& path, response_choice& out) {
    const Value* list = nullptr;
    if (!r_.array(content, "parts", path, list)) return false;
    if (list == nullptr) return true;
    const auto base = join(path, "parts");
    for (rapidjson::SizeType j = 0; j < list->Size(); ++j) {
      const Value& p = (*list)[j];
      const auto at = index(base, j);
      if (!p.IsObject()) return r_.fail(at, "`" + at + "` must be an object.");
      const Value* call = nullptr;
      if (!r_.object(p, "functionCall", at, call)) return false;
      if (call != nullptr) {
        if (!function_call(p, *call, join(at, "functionCall"), out)) return false;
        continue;
      }
      const Value* text = find(p, "text");
      if (text == nullptr) {
        out.content.push_back(detail::make_part(part_kind::opaque, detail::to_json(p)));
        continue;
      }
      if (!text->IsString()) {
        const auto t = join(at, "text");
        return r_.fail(t, "`" + t + "` must be a string.");
      }
      std::optional<bool> thought;
      content_part part;
      if (!r_.boolean(p, "thought", at, thought)) return false;
      part.text.assign(text->GetString(), text->GetStringLength());
      if (thought.value_or(false)) {
        part.kind = part_kind::thinking;
        if (!r_.string(p, "thoughtSignature", at, part.signature)) return false;
        detail::keep_unknown(p, {"text", "thought", "thoughtSignature"}, part.extras);
      } else {
        part.kind = part_kind::text;  // a signature on a plain text part stays an extra
        detail::keep_unknown(p, {"text", "thought"}, part.extras);
      }
      out.content.push_back(std::move(part));
    }
    return true;
  }

  bool function_call(const Value& part, const Value& call, const std::string& path,
                     response_choice& out) {
    tool_call t;
    if (!r_.string(call, "id", path, t.id) || !r_.string(call, "name", path, t.name, true)) {
      return false;
    }
    const Value* args = nullptr;
    if (!r_.object(call, "args", path, args)) return false;
    t.arguments = args != nullptr ? detail::to_json(*args) : std::string("{}");
    if (t.id.empty()) {
      t.id =
          gemini_tool_call_id(seed_, out.index, static_cast<std::uint32_t>(out.tool_calls.size()));
    }
    t.position = static_cast<std::uint32_t>(out.content.size());
    detail::keep_unknown(part, {"functionCall"}, t.extras);  // thoughtSignature, …
    out.tool_calls.push_back(std::move(t));
    return true;
  }

  canonical_response& resp_;
  std::string seed_;
  detail::reader r_{gateway_error::upstream_failed};
};

}  // namespace

namespace gemini_detail {

usage read_usage(const Value& meta) {
  usage u;
  u.reported = true;
  u.prompt_tokens =
      saturating_add(count(meta, "promptTokenCount"), count(meta, "toolUsePromptTokenCount"));
  u.reasoning_tokens = count(meta, "thoughtsTokenCount");
  u.completion_tokens = saturating_add(count(meta, "candidatesTokenCount"), u.reasoning_tokens);
  u.cached_tokens = count(meta, "cachedContentTokenCount");
  return u;
}

}  // namespace gemini_detail

std::string gemini_tool_call_id(std::string_view seed, std::uint32_t candidate, std::uint32_t n) {
  // FNV-1a over the seed and both numbers, then a SplitMix64 finalizer to spread the bits.
  std::uint64_t h = 0xcbf29ce484222325ull;
  const auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ull;
  };
  for (const char c : seed) mix(static_cast<unsigned char>(c));
  for (int shift = 0; shift < 32; shift += 8) mix(static_cast<unsigned char>(candidate >> shift));
  for (int shift = 0; shift < 32; shift += 8) mix(static_cast<unsigned char>(n >> shift));
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  std::string id = "call_";
  constexpr char hex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(hex[(h >> shift) & 15]);
  return id;
}

result<canonical_response, error_info> decode_gemini_response(std::string_view body,
                                                              std::string_view id_seed) {
  rapidjson::Document doc;
  if (auto e = detail::parse_object(body, doc, gateway_error::upstream_failed,
                                    "The upstream's response body")) {
    return std::move(*e);
  }
  canonical_response resp;
  gemini_response_decoder decoder(resp, id_seed);
  if (!decoder.decode(doc)) return decoder.error();
  return resp;
}

}  // namespace switchyard::protocols
