// What the in-process mock says: the demo reply text, stream frames made on demand, and the
// embeddings answer (see mock_exchange.hpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocols/error.hpp"
#include "protocols/openai_builders.hpp"
#include "protocols/sse.hpp"
#include "runtime/mock_exchange.hpp"

namespace switchyard::runtime {

namespace {

constexpr std::string_view greeting = "Hello from Switchyard's demo provider. You said:";

void split_words(std::string_view text, std::vector<std::string>& out, std::size_t limit) {
  std::size_t i = 0;
  while (i < text.size() && out.size() < limit) {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
      ++i;
    std::size_t j = i;
    while (j < text.size() &&
           !(text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'))
      ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
}

// The text of the last `user` message: a string content, or the `text` parts of an array one.
std::string last_user_text(const rapidjson::Document& doc) {
  if (!doc.IsObject()) return {};
  auto messages = doc.FindMember("messages");
  if (messages == doc.MemberEnd() || !messages->value.IsArray()) return {};
  const auto& arr = messages->value.GetArray();
  for (auto it = arr.End(); it != arr.Begin();) {
    --it;
    if (!it->IsObject()) continue;
    auto role = it->FindMember("role");
    if (role == it->MemberEnd() || !role->value.IsString() ||
        std::string_view{role->value.GetString(), role->value.GetStringLength()} != "user")
      continue;
    auto content = it->FindMember("content");
    if (content == it->MemberEnd()) return {};
    if (content->value.IsString())
      return {content->value.GetString(), content->value.GetStringLength()};
    std::string text;
    if (content->value.IsArray()) {
      for (const auto& part : content->value.GetArray()) {
        if (!part.IsObject()) continue;
        auto t = part.FindMember("text");
        if (t != part.MemberEnd() && t->value.IsString()) {
          if (!text.empty()) text += ' ';
          text.append(t->value.GetString(), t->value.GetStringLength());
        }
      }
    }
    return text;
  }
  return {};
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<std::string> mock_exchange::reply_words(const protocols::inbound_request& req,
                                                    std::uint32_t reply_tokens) {
  std::vector<std::string> base;
  split_words(greeting, base, 64);
  const std::size_t before = base.size();
  if (req.json) split_words(last_user_text(*req.json), base, before + echoed_words);
  if (base.size() == before) base.emplace_back("nothing.");
  if (reply_tokens == 0) return base;
  std::vector<std::string> out;
  out.reserve(reply_tokens);
  for (std::uint32_t i = 0; i < reply_tokens; ++i) out.push_back(base[i % base.size()]);
  return out;
}

std::size_t mock_exchange::frame_count() const noexcept {
  return words_.size() + 3 + (emit_usage_ ? 1 : 0);
}

std::string mock_exchange::frame_at(std::size_t i) const {
  const std::size_t n = words_.size();
  if (i == 0)
    return protocols::sse_frame(protocols::build_chat_chunk(
        id_, model_, created_, std::string_view{"assistant"}, "", std::nullopt));
  if (i <= n) {
    const std::string content = i == 1 ? words_[0] : " " + words_[i - 1];
    return protocols::sse_frame(
        protocols::build_chat_chunk(id_, model_, created_, std::nullopt, content, std::nullopt));
  }
  if (i == n + 1)
    return protocols::sse_frame(protocols::build_chat_chunk(id_, model_, created_, std::nullopt, "",
                                                            std::string_view{"stop"}));
  if (i == n + 2 && emit_usage_)
    return protocols::sse_frame(protocols::build_usage_chunk(id_, model_, created_, final_usage_));
  return protocols::sse_frame("[DONE]");
}

bool mock_exchange::prepare_embeddings(const protocols::inbound_request& req) {
  usage_ = {};
  usage_.prompt_tokens = req.prompt_tokens_estimate;
  usage_.reported = true;
  std::size_t inputs = 0;
  std::size_t dimensions = default_embedding_dimensions;
  auto encoding = protocols::embedding_encoding::float_array;
  std::uint64_t seed = 0;
  if (req.json && req.json->IsObject()) {
    const auto& doc = *req.json;
    auto input = doc.FindMember("input");
    if (input != doc.MemberEnd()) {
      if (input->value.IsArray()) {
        const auto& arr = input->value.GetArray();
        bool token_ids = !arr.Empty();
        for (const auto& v : arr) token_ids = token_ids && v.IsNumber();
        inputs = token_ids ? 1 : arr.Size();  // one token-id array is one input
      } else {
        inputs = 1;
      }
      rapidjson::StringBuffer text;
      rapidjson::Writer<rapidjson::StringBuffer> writer(text);
      input->value.Accept(writer);
      seed = fnv1a({text.GetString(), text.GetSize()});
    }
    auto dims = doc.FindMember("dimensions");
    if (dims != doc.MemberEnd()) {
      if (!dims->value.IsUint64() || dims->value.GetUint64() < 1 ||
          dims->value.GetUint64() > max_embedding_dimensions) {
        // What OpenAI answers: the client's own 400, passed through like any upstream's.
        status_ = 400;
        whole_body_ = protocols::openai_error_body(
            protocols::make_error(protocols::gateway_error::bad_request,
                                  "dimensions must be an integer between 1 and " +
                                      std::to_string(max_embedding_dimensions),
                                  "dimensions"));
        usage_ = {};
        return true;
      }
      dimensions = static_cast<std::size_t>(dims->value.GetUint64());
    }
    // The OpenAI SDKs ask for base64 by default; curl users get the float array.
    auto format = doc.FindMember("encoding_format");
    if (format != doc.MemberEnd()) {
      const std::string_view f =
          format->value.IsString()
              ? std::string_view{format->value.GetString(), format->value.GetStringLength()}
              : std::string_view{};
      if (f == "base64") {
        encoding = protocols::embedding_encoding::base64;
      } else if (f != "float") {
        status_ = 400;
        whole_body_ = protocols::openai_error_body(protocols::make_error(
            protocols::gateway_error::bad_request,
            "encoding_format must be \"float\" or \"base64\"", "encoding_format"));
        usage_ = {};
        return true;
      }
    }
  }
  whole_body_ = protocols::build_embeddings(req.model, inputs, dimensions, seed, usage_, encoding);
  return true;
}

}  // namespace switchyard::runtime
