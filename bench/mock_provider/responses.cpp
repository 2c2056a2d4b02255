// The mock provider's response bodies and stream frames, built with the protocols builders.
#include "bench/mock_provider/responses.hpp"

#include <charconv>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocols/openai_builders.hpp"
#include "protocols/usage.hpp"

namespace switchyard::mock {

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// SSE framing of one single-line event (chunk JSON never holds a raw newline).
void append_sse_frame(std::string& out, std::string_view data) {
  out += "data: ";
  out += data;
  out += "\n\n";
}

void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

protocols::usage make_usage(std::uint32_t prompt, std::uint32_t completion) {
  protocols::usage u;
  u.prompt_tokens = prompt;
  u.completion_tokens = completion;
  u.reported = true;
  return u;
}

// FNV-1a over a value's structure and text; stable across runs and platforms.
void hash_value(const rapidjson::Value& v, std::uint64_t& h) {
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ULL;
    }
  };
  auto type = static_cast<unsigned char>(v.GetType());
  mix(&type, 1);
  if (v.IsString()) {
    mix(v.GetString(), v.GetStringLength());
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) hash_value(e, h);
  } else if (v.IsNumber()) {
    // Token ids: integers are what the API takes; other numbers hash by their double bits.
    if (v.IsInt64()) {
      auto n = v.GetInt64();
      mix(&n, sizeof n);
    } else {
      auto d = v.GetDouble();
      mix(&d, sizeof d);
    }
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      hash_value(m.name, h);
      hash_value(m.value, h);
    }
  }
}

struct status_style {
  std::string_view type;
  std::string_view code;  // empty: null
};

status_style style_for(unsigned status) {
  switch (status) {
    case 400:
      return {"invalid_request_error", ""};
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 403:
      return {"permission_error", ""};
    case 404:
      return {"invalid_request_error", "not_found"};
    case 405:
      return {"invalid_request_error", "method_not_allowed"};
    case 408:
      return {"timeout_error", ""};
    case 413:
      return {"invalid_request_error", "request_too_large"};
    case 429:
      return {"requests", "rate_limit_exceeded"};
    case 431:
      return {"invalid_request_error", "headers_too_large"};
    default:
      break;
  }
  if (status >= 500) return {"server_error", ""};
  return {"invalid_request_error", ""};
}

}  // namespace

reply_shape shape_reply(std::uint32_t reply_tokens, std::optional<std::uint32_t> max_tokens) {
  if (max_tokens && *max_tokens < reply_tokens) return {*max_tokens, "length"};
  return {reply_tokens, "stop"};
}

void append_reply_token(std::string& out, std::uint32_t i) {
  if (i > 0) out += ' ';
  out += "token";
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, i);
  out.append(digits, end);
}

std::string reply_text(std::uint32_t tokens) {
  std::string s;
  // "token" + up to 7 digits + a space.
  s.reserve(static_cast<std::size_t>(tokens) * 12);
  for (std::uint32_t i = 0; i < tokens; ++i) append_reply_token(s, i);
  return s;
}

std::string chat_completion_body(std::string_view id, std::string_view model, std::int64_t created,
                                 const reply_shape& shape, std::uint32_t prompt_tokens) {
  return protocols::build_chat_completion(id, model, created, reply_text(shape.tokens),
                                          make_usage(prompt_tokens, shape.tokens),
                                          shape.finish_reason);
}

chat_stream::chat_stream(std::string id, std::string model, std::int64_t created, reply_shape shape,
                         std::uint32_t prompt_tokens, bool include_usage)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(created),
      shape_(shape),
      prompt_tokens_(prompt_tokens),
      include_usage_(include_usage) {}

std::uint32_t chat_stream::slot(std::size_t j) const noexcept {
  if (j == 0 || shape_.tokens == 0) return 0;
  if (j < token_frames_end()) return static_cast<std::uint32_t>(j - 1);
  return shape_.tokens - 1;
}

void chat_stream::append_frame(std::size_t j, std::string& out) const {
  if (j == 0) {
    append_sse_frame(
        out, protocols::build_chat_chunk(id_, model_, created_, "assistant", "", std::nullopt));
    return;
  }
  if (j < token_frames_end()) {
    std::string token;
    append_reply_token(token, static_cast<std::uint32_t>(j - 1));
    append_sse_frame(
        out, protocols::build_chat_chunk(id_, model_, created_, std::nullopt, token, std::nullopt));
    return;
  }
  std::size_t tail = j - token_frames_end();
  if (tail == 0) {
    append_sse_frame(out, protocols::build_chat_chunk(id_, model_, created_, std::nullopt, "",
                                                      shape_.finish_reason));
  } else if (tail == 1 && include_usage_) {
    append_sse_frame(out, protocols::build_usage_chunk(id_, model_, created_,
                                                       make_usage(prompt_tokens_, shape_.tokens)));
  } else {
    append_sse_frame(out, "[DONE]");
  }
}

std::size_t chat_stream::cut_frame_limit(std::optional<std::uint32_t> after_tokens) const noexcept {
  std::uint32_t n = after_tokens ? *after_tokens : shape_.tokens / 2;
  if (n > shape_.tokens) n = shape_.tokens;
  return 1 + static_cast<std::size_t>(n);
}

std::string http_chunk_size_line(std::size_t size) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + 20, size, 16);
  *end++ = '\r';
  *end++ = '\n';
  return {buf, end};
}

std::size_t embedding_input_count(const rapidjson::Value& input) noexcept {
  if (!input.IsArray()) return 1;
  if (input.Empty()) return 0;
  // An array of integers is one pre-tokenized input; otherwise each element is an input.
  return input[0].IsNumber() ? 1 : input.Size();
}

std::uint64_t embedding_seed(std::uint64_t seed, const rapidjson::Value& input) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  hash_value(input, h);
  return h ^ (seed * 0x9e3779b97f4a7c15ULL);
}

protocols::result<std::uint32_t, std::string> embedding_dimensions(const rapidjson::Value& request,
                                                                   std::uint32_t fallback) {
  if (!request.IsObject()) return fallback;
  auto it = request.FindMember("dimensions");
  if (it == request.MemberEnd() || it->value.IsNull()) return fallback;
  if (!it->value.IsUint() || it->value.GetUint() < 1 || it->value.GetUint() > 8192) {
    return std::string("dimensions must be an integer from 1 to 8192");
  }
  return it->value.GetUint();
}

std::string embeddings_body(std::string_view model, std::size_t inputs, std::uint32_t dimensions,
                            std::uint64_t seed, std::uint32_t prompt_tokens,
                            protocols::embedding_encoding encoding) {
  return protocols::build_embeddings(model, inputs, dimensions, seed, make_usage(prompt_tokens, 0),
                                     encoding);
}

std::string models_body(const std::vector<std::string>& models) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (const auto& m : models) {
    w.StartObject();
    w.Key("id");
    write_string(w, m);
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int64(0);
    w.Key("owned_by");
    w.String("mock_provider");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string error_body(unsigned status, std::string_view message, std::string_view param) {
  auto style = style_for(status);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  write_string(w, message);
  w.Key("type");
  write_string(w, style.type);
  w.Key("param");
  if (param.empty()) {
    w.Null();
  } else {
    write_string(w, param);
  }
  w.Key("code");
  if (style.code.empty()) {
    w.Null();
  } else {
    write_string(w, style.code);
  }
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace switchyard::mock
