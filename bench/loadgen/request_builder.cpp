// Builds the wire bytes of every request shape once, before the run.
#include "bench/loadgen/request_builder.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::loadgen {

namespace {

constexpr std::string_view filler_text =
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ";

std::string prompt_text(std::size_t bytes, bool tagged) {
  std::string p;
  p.reserve(bytes);
  if (tagged) {
    p.append(tag_digits, '0');
    p += ' ';
  }
  while (p.size() < bytes) {
    p.append(filler_text.substr(0, std::min(filler_text.size(), bytes - p.size())));
  }
  return p;
}

std::string head_common(const options& o, std::string_view method, std::string_view target) {
  std::string h;
  h.reserve(256);
  h.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  h.append("Host: ").append(o.target.host_header()).append("\r\n");
  h.append("User-Agent: switchyard-bench/0.1\r\n");
  if (!o.api_key.empty()) h.append("Authorization: Bearer ").append(o.api_key).append("\r\n");
  return h;
}

}  // namespace

std::string chat_body(const options& o, std::string_view model, std::size_t prompt_bytes,
                      bool stream, bool tagged) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("model");
  w.String(model.data(), static_cast<rapidjson::SizeType>(model.size()));
  w.Key("messages");
  w.StartArray();
  w.StartObject();
  w.Key("role");
  w.String("user");
  w.Key("content");
  const std::string prompt = prompt_text(prompt_bytes, tagged);
  w.String(prompt.data(), static_cast<rapidjson::SizeType>(prompt.size()));
  w.EndObject();
  w.EndArray();
  if (o.max_tokens > 0) {
    w.Key("max_tokens");
    w.Uint(o.max_tokens);
  }
  if (stream) {
    w.Key("stream");
    w.Bool(true);
    if (o.include_usage) {
      w.Key("stream_options");
      w.StartObject();
      w.Key("include_usage");
      w.Bool(true);
      w.EndObject();
    }
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

void stamp_tag(char* at, std::uint64_t tag) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = tag_digits; i-- > 0;) {
    at[i] = digits[tag & 0xf];
    tag >>= 4;
  }
}

request_mix make_mix(const options& o) {
  if (o.raw()) return request_mix({1.0}, {1.0}, 0);
  std::vector<double> models;
  for (const auto& m : o.models) models.push_back(m.weight);
  std::vector<double> prompts;
  for (const auto& p : o.prompt_sizes) prompts.push_back(p.weight);
  return request_mix(models, prompts, o.stream_share);
}

std::vector<request_template> build_templates(const options& o, const request_mix& mix) {
  std::vector<request_template> out;
  if (o.raw()) {
    request_template t;
    const std::string target = o.target.path + *o.path;
    t.bytes = head_common(o, o.method, target);
    const bool needs_length =
        !o.body_file.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH";
    if (!o.body_file.empty())
      t.bytes.append("Content-Type: ").append(o.content_type).append("\r\n");
    if (needs_length) {
      t.bytes.append("Content-Length: ").append(std::to_string(o.body.size())).append("\r\n");
    }
    for (const auto& h : o.headers) t.bytes.append(h).append("\r\n");
    t.bytes.append("\r\n");
    t.bytes.append(o.body);
    t.head = o.method == "HEAD";
    out.push_back(std::move(t));
    return out;
  }
  const std::string target = o.target.path + "/chat/completions";
  out.resize(mix.shape_count());
  for (std::size_t i = 0; i < mix.shape_count(); ++i) {
    const request_pick shape = mix.shape_at(i);
    const std::size_t bytes = o.prompt_sizes[shape.prompt].bytes;
    const bool tagged = o.unique_prompts && bytes > tag_digits;
    const std::string body = chat_body(o, o.models[shape.model].name, bytes, shape.stream, tagged);
    request_template& t = out[i];
    t.stream = shape.stream;
    t.model = shape.model;
    t.bytes = head_common(o, "POST", target);
    t.bytes.append("Content-Type: application/json\r\n");
    t.bytes.append(shape.stream ? "Accept: text/event-stream\r\n" : "Accept: application/json\r\n");
    t.bytes.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    for (const auto& h : o.headers) t.bytes.append(h).append("\r\n");
    t.bytes.append("\r\n");
    const std::size_t body_at = t.bytes.size();
    t.bytes.append(body);
    if (tagged) {
      // The key can only appear unescaped as the key itself: inside a JSON string its quotes
      // would be escaped.
      static constexpr std::string_view key = "\"content\":\"";
      const auto at = t.bytes.find(key, body_at);
      if (at != std::string::npos) t.tag_offset = at + key.size();
    }
  }
  return out;
}

}  // namespace switchyard::loadgen
