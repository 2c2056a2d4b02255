// Prebuilt requests: exact prompt sizes, the fields each shape asks for, correct framing, and
// the unique tag stamped into each prompt.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <string>

#include "bench/loadgen/request_builder.hpp"

using namespace switchyard::loadgen;

namespace {

options chat_options() {
  options o;
  o.target = parse_base_url("http://gw.local:8080/v1").value();
  o.api_key = "sk-test";
  o.models = {{"a", 3}, {"b\"q", 1}};
  o.prompt_sizes = {{10, 1}, {300, 1}};
  o.stream_share = 0.5;
  o.rate = 1;
  o.headers = {"x-extra: 1"};
  return o;
}

std::string body_of(const std::string& wire) {
  return wire.substr(wire.find("\r\n\r\n") + 4);
}

std::string header_of(const std::string& wire, const std::string& name) {
  const auto at = wire.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "(missing)";
  const auto start = at + 4 + name.size();
  return wire.substr(start, wire.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("request builder: one template per shape with exact prompts and framing") {
  const options o = chat_options();
  const request_mix mix = make_mix(o);
  const auto templates = build_templates(o, mix);
  REQUIRE(templates.size() == mix.shape_count());
  for (std::size_t i = 0; i < templates.size(); ++i) {
    const auto shape = mix.shape_at(i);
    const auto& t = templates[i];
    INFO("shape " << i);
    CHECK(t.stream == shape.stream);
    CHECK(t.model == shape.model);
    CHECK(t.bytes.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0) == 0);
    CHECK(header_of(t.bytes, "Host") == "gw.local:8080");
    CHECK(header_of(t.bytes, "Authorization") == "Bearer sk-test");
    CHECK(header_of(t.bytes, "Content-Type") == "application/json");
    CHECK(header_of(t.bytes, "x-extra") == "1");
    CHECK(header_of(t.bytes, "Accept") ==
          (shape.stream ? "text/event-stream" : "application/json"));
    const std::string body = body_of(t.bytes);
    CHECK(header_of(t.bytes, "Content-Length") == std::to_string(body.size()));

    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    REQUIRE_FALSE(d.HasParseError());
    CHECK(std::string(d["model"].GetString()) == o.models[shape.model].name);
    const std::string prompt = d["messages"][0]["content"].GetString();
    CHECK(prompt.size() == o.prompt_sizes[shape.prompt].bytes);
    CHECK(std::string(d["messages"][0]["role"].GetString()) == "user");
    CHECK(d["max_tokens"].GetUint() == 16);
    CHECK(d.HasMember("stream") == shape.stream);
    CHECK_FALSE(d.HasMember("stream_options"));
    if (prompt.size() > tag_digits) {
      REQUIRE(t.tag_offset != std::string::npos);
      CHECK(t.bytes.substr(t.tag_offset, tag_digits) == std::string(tag_digits, '0'));
      CHECK(t.bytes[t.tag_offset + tag_digits] == ' ');
    } else {
      CHECK(t.tag_offset == std::string::npos);  // too small to carry a tag
    }
  }
}

TEST_CASE("request builder: stamping a tag keeps the request valid and unique") {
  const options o = chat_options();
  const auto templates = build_templates(o, make_mix(o));
  const auto& t = templates.back();  // model b, 300 bytes, stream
  REQUIRE(t.tag_offset != std::string::npos);
  std::string a = t.bytes;
  std::string b = t.bytes;
  stamp_tag(a.data() + t.tag_offset, 0x0001000000000abcULL);
  stamp_tag(b.data() + t.tag_offset, 2);
  CHECK(a.substr(t.tag_offset, tag_digits) == "0001000000000abc");
  CHECK(b.substr(t.tag_offset, tag_digits) == "0000000000000002");
  CHECK(a != b);
  CHECK(a.size() == t.bytes.size());
  rapidjson::Document d;
  const auto body = body_of(a);
  d.Parse(body.data(), body.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["messages"][0]["content"].GetString()).rfind("0001000000000abc ", 0) == 0);
}

TEST_CASE("request builder: stream options, no max_tokens, fixed prompts") {
  options o = chat_options();
  o.include_usage = true;
  o.max_tokens = 0;
  o.unique_prompts = false;
  const auto body = chat_body(o, "m", 50, true, false);
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  REQUIRE_FALSE(d.HasParseError());
  CHECK_FALSE(d.HasMember("max_tokens"));
  CHECK(d["stream"].GetBool());
  CHECK(d["stream_options"]["include_usage"].GetBool());
  const auto templates = build_templates(o, make_mix(o));
  for (const auto& t : templates) CHECK(t.tag_offset == std::string::npos);
}

TEST_CASE("request builder: raw requests") {
  options o;
  o.target = parse_base_url("http://[::1]:8081/base").value();
  o.path = "/static/ok.txt";
  o.method = "GET";
  o.rate = 1;
  auto t = build_templates(o, make_mix(o));
  REQUIRE(t.size() == 1);
  CHECK(t[0].bytes ==
        "GET /base/static/ok.txt HTTP/1.1\r\nHost: [::1]:8081\r\n"
        "User-Agent: switchyard-bench/0.1\r\n\r\n");
  CHECK_FALSE(t[0].head);
  CHECK(t[0].tag_offset == std::string::npos);

  o.method = "POST";
  o.body = "{\"x\":1}";
  o.body_file = "b.json";
  o.api_key = "k";
  t = build_templates(o, make_mix(o));
  CHECK(t[0].bytes ==
        "POST /base/static/ok.txt HTTP/1.1\r\nHost: [::1]:8081\r\n"
        "User-Agent: switchyard-bench/0.1\r\nAuthorization: Bearer k\r\n"
        "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"x\":1}");

  o.method = "HEAD";
  o.body.clear();
  o.body_file.clear();
  o.api_key.clear();
  t = build_templates(o, make_mix(o));
  CHECK(t[0].head);
}
