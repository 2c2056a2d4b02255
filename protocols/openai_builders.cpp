// Builds OpenAI-dialect response bodies and stream chunks with the shapes OpenAI itself sends;
// the mock providers serve them and the tests use them as reference vectors.
#include "protocols/openai_builders.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "protocols/json_util.hpp"

namespace switchyard::protocols {

namespace {

using detail::json_writer;
using detail::write_string;

void write_usage(json_writer& w, const usage& u) {
  w.Key("usage");
  detail::write_openai_usage(w, u);
}

// The members every completion object and chunk starts with.
void write_header(json_writer& w, std::string_view id, std::string_view object,
                  std::int64_t created, std::string_view model) {
  w.Key("id");
  write_string(w, id);
  w.Key("object");
  write_string(w, object);
  w.Key("created");
  w.Int64(created);
  w.Key("model");
  write_string(w, model);
}

// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and good enough for mock vectors.
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A unit vector in [-1, 1]^dimensions, different for every (seed, index).
void fill_unit_vector(std::vector<double>& v, std::uint64_t seed, std::size_t index) {
  std::uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (index + 1));
  double norm2 = 0;
  for (double& x : v) {
    x = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-52 - 1.0;
    norm2 += x * x;
  }
  if (norm2 == 0) {
    if (!v.empty()) v[0] = 1.0;
    return;
  }
  const double scale = 1.0 / std::sqrt(norm2);
  for (double& x : v) x *= scale;
}

}  // namespace

std::string build_chat_completion(std::string_view id, std::string_view model, std::int64_t created,
                                  std::string_view content, const usage& u,
                                  std::string_view finish_reason) {
  rapidjson::StringBuffer buf(nullptr, content.size() + 512);
  json_writer w(buf);
  w.StartObject();
  write_header(w, id, "chat.completion", created, model);
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Uint(0);
  w.Key("message");
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("content");
  write_string(w, content);
  w.EndObject();
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  write_string(w, finish_reason);
  w.EndObject();
  w.EndArray();
  write_usage(w, u);
  w.EndObject();
  return detail::to_string(buf);
}

std::string build_chat_chunk(std::string_view id, std::string_view model, std::int64_t created,
                             std::optional<std::string_view> role, std::string_view content,
                             std::optional<std::string_view> finish_reason) {
  rapidjson::StringBuffer buf(nullptr, content.size() + 256);
  json_writer w(buf);
  w.StartObject();
  write_header(w, id, "chat.completion.chunk", created, model);
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Uint(0);
  w.Key("delta");
  w.StartObject();
  if (role) {
    w.Key("role");
    write_string(w, *role);
  }
  if (!content.empty()) {
    w.Key("content");
    write_string(w, content);
  }
  w.EndObject();
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  if (finish_reason) {
    write_string(w, *finish_reason);
  } else {
    w.Null();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return detail::to_string(buf);
}

std::string build_usage_chunk(std::string_view id, std::string_view model, std::int64_t created,
                              const usage& u) {
  rapidjson::StringBuffer buf(nullptr, 512);
  json_writer w(buf);
  w.StartObject();
  write_header(w, id, "chat.completion.chunk", created, model);
  w.Key("choices");
  w.StartArray();
  w.EndArray();
  write_usage(w, u);
  w.EndObject();
  return detail::to_string(buf);
}

namespace {

// Standard base64 (RFC 4648, with padding) of `vec` as little-endian float32 values.
void write_base64_floats(json_writer& w, const std::vector<double>& vec) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  bytes.reserve(vec.size() * 4);
  for (const double x : vec) {
    const float f = static_cast<float>(x);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                   (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                   std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < bytes.size()) {
    auto n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  w.String(out.data(), static_cast<rapidjson::SizeType>(out.size()));
}

}  // namespace

std::string build_embeddings(std::string_view model, std::size_t inputs, std::size_t dimensions,
                             std::uint64_t seed, const usage& u, embedding_encoding encoding) {
  rapidjson::StringBuffer buf(nullptr, 256 + inputs * (dimensions * 14 + 48));
  json_writer w(buf);
  w.SetMaxDecimalPlaces(9);  // float precision, as OpenAI sends them
  std::vector<double> vec(dimensions);
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  for (std::size_t i = 0; i < inputs; ++i) {
    fill_unit_vector(vec, seed, i);
    w.StartObject();
    w.Key("object");
    w.String("embedding");
    w.Key("index");
    w.Uint64(i);
    w.Key("embedding");
    if (encoding == embedding_encoding::base64) {
      write_base64_floats(w, vec);
    } else {
      w.StartArray();
      for (const double x : vec) w.Double(x);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("model");
  write_string(w, model);
  w.Key("usage");  // embeddings report only prompt tokens
  w.StartObject();
  w.Key("prompt_tokens");
  w.Uint(u.prompt_tokens);
  w.Key("total_tokens");
  w.Uint(u.prompt_tokens);
  w.EndObject();
  w.EndObject();
  return detail::to_string(buf);
}

}  // namespace switchyard::protocols
