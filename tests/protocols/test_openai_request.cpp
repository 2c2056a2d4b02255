// Tests for decoding/validating OpenAI requests and for the passthrough upstream encoder.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include <rapidjson/document.h>

#include "protocols/openai_request.hpp"

using namespace switchyard::protocols;

namespace {

inbound_request decode_ok(std::string_view body, api_kind kind = api_kind::chat_completions) {
  auto r = decode_openai_request(kind, body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return std::move(r).value();
}

error_info decode_err(std::string_view body, api_kind kind = api_kind::chat_completions) {
  auto r = decode_openai_request(kind, body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == gateway_error::bad_request);
  CHECK(http_status(r.error().code) == 400);
  CHECK_FALSE(r.error().message.empty());
  return r.error();
}

rapidjson::Document parse_full(const std::string& s) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(s.data(), s.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";

std::string chat(const std::string& extra) {
  return R"({"model":"m",)" + msgs + (extra.empty() ? "" : "," + extra) + "}";
}

}  // namespace

TEST_CASE("a valid chat request decodes to the canonical view", "[openai_request]") {
  const auto req =
      decode_ok(R"({"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},)"
                R"({"role":"user","content":"hello there"}],"stream":true,)"
                R"("stream_options":{"include_usage":true},"max_tokens":100,"temperature":0.2,)"
                R"("top_p":1,"n":1,"tools":[],"vendor_extension":{"x":1}})");
  CHECK(req.kind == api_kind::chat_completions);
  CHECK(req.model == "gpt-4o");
  CHECK(req.stream);
  CHECK(req.include_usage);
  REQUIRE(req.max_tokens);
  CHECK(*req.max_tokens == 100);
  REQUIRE(req.json);
  CHECK(req.json->HasMember("vendor_extension"));
  // "be brief" (8) + "hello there" (11) = 19 bytes -> 5 tokens
  CHECK(req.prompt_tokens_estimate == 5);
}

TEST_CASE("defaults when optional fields are absent or null", "[openai_request]") {
  const auto req = decode_ok(chat(""));
  CHECK_FALSE(req.stream);
  CHECK_FALSE(req.include_usage);
  CHECK_FALSE(req.max_tokens);
  const auto nulls = decode_ok(
      chat(R"("stream":null,"stream_options":null,"max_tokens":null,"max_completion_tokens":null,)"
           R"("temperature":null,"top_p":null,"n":null,"tools":null)"));
  CHECK_FALSE(nulls.stream);
  CHECK_FALSE(nulls.max_tokens);
  CHECK_FALSE(decode_ok(chat(R"("stream_options":{})")).include_usage);
  CHECK_FALSE(decode_ok(chat(R"("stream_options":{"include_usage":false})")).include_usage);
  CHECK_FALSE(decode_ok(chat(R"("stream_options":{"include_usage":null})")).include_usage);
}

TEST_CASE("max_completion_tokens wins over max_tokens", "[openai_request]") {
  CHECK(*decode_ok(chat(R"("max_tokens":10,"max_completion_tokens":20)")).max_tokens == 20);
  CHECK(*decode_ok(chat(R"("max_completion_tokens":20,"max_tokens":10)")).max_tokens == 20);
  CHECK(*decode_ok(chat(R"("max_tokens":0)")).max_tokens == 0);
  CHECK(*decode_ok(chat(R"("max_tokens":4294967295)")).max_tokens == 4294967295u);
}

TEST_CASE("a body that is not JSON is rejected like OpenAI does", "[openai_request]") {
  for (const char* body : {"", "not json", "{\"model\":", "{\"model\":\"m\"} {}", "{'a':1}"}) {
    CAPTURE(body);
    const auto e = decode_err(body);
    CHECK(e.message.find("We could not parse the JSON body of your request") == 0);
    CHECK(e.param.empty());
  }
}

TEST_CASE("invalid UTF-8 in the body is rejected", "[openai_request]") {
  const std::string bad_strings[] = {
      "\xC3\x28",          // bad continuation byte
      "\xC3",              // truncated sequence
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong, three bytes
      "\xED\xA0\x80",      // a UTF-16 surrogate
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\xF8\x88\x80\x80\x80",
      "\xFF",
      "\x80",  // a lone continuation byte
  };
  for (const auto& bad : bad_strings) {
    const std::string body = chat("\"name\":\"0123456789" + bad + "\"");
    CAPTURE(body);
    const auto e = decode_err(body);
    CHECK_THAT(e.message, Catch::Contains("not valid UTF-8"));
    CHECK_THAT(e.message, Catch::Contains("at byte " + std::to_string(body.find(bad))));
  }
  // Every kind of valid sequence passes, including the edges of each range.
  decode_ok(
      chat("\"name\":\"\x7F \xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 "
           "\xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF \xE4\xB8\xAD\xE6\x96\x87\""));
}

TEST_CASE("a body that is not an object is rejected", "[openai_request]") {
  for (const char* body : {"[]", "42", "\"str\"", "null", "true"}) {
    CAPTURE(body);
    const auto e = decode_err(body);
    CHECK_THAT(e.message, Catch::Contains("must be a JSON object"));
    CHECK(e.param.empty());
  }
}

TEST_CASE("every chat validation error names its param", "[openai_request]") {
  struct bad_case {
    std::string body;
    std::string param;
    std::string says;
  };
  const bad_case cases[] = {
      {"{" + msgs + "}", "model", "`model` must be a non-empty string"},
      {R"({"model":"",)" + msgs + "}", "model", "non-empty string"},
      {R"({"model":7,)" + msgs + "}", "model", "non-empty string"},
      {R"({"model":null,)" + msgs + "}", "model", "non-empty string"},
      {R"({"model":"m"})", "messages", "`messages` must be a non-empty array of message objects"},
      {R"({"model":"m","messages":[]})", "messages", "non-empty array"},
      {R"({"model":"m","messages":{"role":"user"}})", "messages", "non-empty array"},
      {R"({"model":"m","messages":"hi"})", "messages", "non-empty array"},
      {R"({"model":"m","messages":null})", "messages", "non-empty array"},
      {R"({"model":"m","messages":[{"role":"user","content":"a"},"hi"]})", "messages[1]",
       "must be a message object"},
      {R"({"model":"m","messages":[{"content":"a"}]})", "messages[0].role", "must be a string"},
      {R"({"model":"m","messages":[{"role":1,"content":"a"}]})", "messages[0].role",
       "must be a string"},
      {chat(R"("stream":"yes")"), "stream", "must be a boolean"},
      {chat(R"("stream":1)"), "stream", "must be a boolean"},
      {chat(R"("stream_options":true)"), "stream_options", "must be an object"},
      {chat(R"("stream_options":[])"), "stream_options", "must be an object"},
      {chat(R"("stream_options":{"include_usage":"true"})"), "stream_options.include_usage",
       "must be a boolean"},
      {chat(R"("max_tokens":-1)"), "max_tokens", "non-negative integer"},
      {chat(R"("max_tokens":1.5)"), "max_tokens", "non-negative integer"},
      {chat(R"("max_tokens":"100")"), "max_tokens", "non-negative integer"},
      {chat(R"("max_tokens":4294967296)"), "max_tokens", "non-negative integer"},
      {chat(R"("max_completion_tokens":-3)"), "max_completion_tokens", "non-negative integer"},
      {chat(R"("temperature":"hot")"), "temperature", "must be a number"},
      {chat(R"("top_p":[1])"), "top_p", "must be a number"},
      {chat(R"("n":0)"), "n", "positive integer"},
      {chat(R"("n":-1)"), "n", "positive integer"},
      {chat(R"("n":2.5)"), "n", "positive integer"},
      {chat(R"("tools":{})"), "tools", "must be an array"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    const auto e = decode_err(c.body);
    CHECK(e.param == c.param);
    CHECK_THAT(e.message, Catch::Contains(c.says));
  }
}

TEST_CASE("a valid embeddings request decodes", "[openai_request]") {
  const auto req = decode_ok(R"({"model":"text-embedding-3-small","input":"hello world!",)"
                             R"("encoding_format":"float","stream":true})",
                             api_kind::embeddings);
  CHECK(req.kind == api_kind::embeddings);
  CHECK(req.model == "text-embedding-3-small");
  CHECK_FALSE(req.stream);  // embeddings never stream
  CHECK(req.prompt_tokens_estimate == 3);
  CHECK(decode_ok(R"({"model":"e","input":["ab","cd"]})", api_kind::embeddings)
            .prompt_tokens_estimate == 1);
  CHECK(decode_ok(R"({"model":"e","input":["abcde","fgh"]})", api_kind::embeddings)
            .prompt_tokens_estimate == 2);
  // Token ids count one token each.
  CHECK(decode_ok(R"({"model":"e","input":[1,2,3,4,5]})", api_kind::embeddings)
            .prompt_tokens_estimate == 5);
  CHECK(decode_ok(R"({"model":"e","input":[[1,2],[3]]})", api_kind::embeddings)
            .prompt_tokens_estimate == 3);
  CHECK(decode_ok(R"({"model":"e","input":"a"})", api_kind::embeddings).prompt_tokens_estimate ==
        1);
}

TEST_CASE("every embeddings validation error names its param", "[openai_request]") {
  struct bad_case {
    std::string body;
    std::string param;
  };
  const bad_case cases[] = {
      {R"({"input":"x"})", "model"},
      {R"({"model":"","input":"x"})", "model"},
      {R"({"model":"e"})", "input"},
      {R"({"model":"e","input":null})", "input"},
      {R"({"model":"e","input":42})", "input"},
      {R"({"model":"e","input":{"text":"x"}})", "input"},
      {R"({"model":"e","input":[]})", "input"},
      {R"({"model":"e","input":["ok",{"x":1}]})", "input[1]"},
      {R"({"model":"e","input":[[1,"two"]]})", "input[0]"},
      {R"({"model":"e","input":[-1]})", "input[0]"},
      {R"({"model":"e","input":""})", "input"},
      {R"({"model":"e","input":["a",""]})", "input[1]"},
      {R"({"model":"e","input":[[1],[]]})", "input[1]"},
      {R"({"model":"e","input":[1.5]})", "input[0]"},
      {R"({"model":"e","input":[true]})", "input[0]"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    const auto e = decode_err(c.body, api_kind::embeddings);
    CHECK(e.param == c.param);
  }
  CHECK_THAT(decode_err(R"({"model":"e"})", api_kind::embeddings).message,
             Catch::Contains("`input` must be a non-empty string or a non-empty array"));
}

TEST_CASE("the prompt estimate counts message text at four bytes a token", "[openai_request]") {
  // 1 byte rounds up to one token; nothing at all is still one token.
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":"a"}]})")
            .prompt_tokens_estimate == 1);
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":""}]})")
            .prompt_tokens_estimate == 1);
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"assistant","content":null}]})")
            .prompt_tokens_estimate == 1);
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":"abcde"}]})")
            .prompt_tokens_estimate == 2);
  // Parts: only text parts count (4 + 5 = 9 bytes), plus a plain string (4 bytes): 13 -> 4.
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":[)"
                  R"({"type":"text","text":"abcd"},{"type":"image_url","image_url":{"url":"x"}},)"
                  R"({"type":"text","text":"efghi"}]},{"role":"user","content":"jklm"}]})")
            .prompt_tokens_estimate == 4);
  // Escapes count as the bytes they decode to: each \u00e9 is two bytes of UTF-8.
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":"\u00e9\u00e9\u00e9"}]})")
            .prompt_tokens_estimate == 2);
  const std::string big(4000, 'x');
  CHECK(decode_ok(R"({"model":"m","messages":[{"role":"user","content":")" + big + R"("}]})")
            .prompt_tokens_estimate == 1000);
}

TEST_CASE("the upstream body rewrites model and keeps everything else in order",
          "[openai_request]") {
  const auto req = decode_ok(
      R"({"z_first":1,"model":"gateway-name","messages":[{"role":"user","content":"hi",)"
      R"("model":"inner"}],"temperature":0.7,"unknown":{"deep":[1,{"model":"keep"}]},"last":null})");
  CHECK(
      encode_openai_upstream(req, "gpt-4o-2024-08-06") ==
      R"({"z_first":1,"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"hi",)"
      R"("model":"inner"}],"temperature":0.7,"unknown":{"deep":[1,{"model":"keep"}]},"last":null})");
}

TEST_CASE("a stream gets stream_options.include_usage merged in", "[openai_request]") {
  const std::string head = R"({"model":"u",)" + msgs;
  SECTION("added when absent") {
    const auto req = decode_ok(chat(R"("stream":true,"x":1)"));
    CHECK(encode_openai_upstream(req, "u") ==
          head + R"(,"stream":true,"x":1,"stream_options":{"include_usage":true}})");
  }
  SECTION("other keys kept, include_usage forced to true in place") {
    const auto req = decode_ok(
        chat(R"("stream":true,"stream_options":{"a":[1],"include_usage":false,"b":"c"},"y":2)"));
    CHECK(encode_openai_upstream(req, "u") ==
          head +
              R"(,"stream":true,"stream_options":{"a":[1],"include_usage":true,"b":"c"},"y":2})");
  }
  SECTION("appended inside an existing object") {
    const auto req =
        decode_ok(chat(R"("stream_options":{"continuous_usage_stats":true},"stream":true)"));
    CHECK(
        encode_openai_upstream(req, "u") ==
        head +
            R"(,"stream_options":{"continuous_usage_stats":true,"include_usage":true},"stream":true})");
  }
  SECTION("a null stream_options becomes an object") {
    const auto req = decode_ok(chat(R"("stream_options":null,"stream":true)"));
    CHECK(encode_openai_upstream(req, "u") ==
          head + R"(,"stream_options":{"include_usage":true},"stream":true})");
  }
  SECTION("not a stream: stream_options left alone") {
    const auto req = decode_ok(chat(R"("stream":false,"stream_options":{"include_usage":false})"));
    CHECK(encode_openai_upstream(req, "u") ==
          head + R"(,"stream":false,"stream_options":{"include_usage":false}})");
  }
}

TEST_CASE("numbers reach the upstream as exactly the same values", "[openai_request]") {
  const char* numbers[] = {"0.1",
                           "1e-7",
                           "12345678901234",
                           "-12345678901234",
                           "0.7",
                           "1.5e300",
                           "3.141592653589793",
                           "2.2250738585072014e-308",
                           "-0.0",
                           "0",
                           "18446744073709551615",
                           "-9223372036854775808",
                           "0.30000000000000004",
                           "123456789.123456789",
                           "5e-324",
                           "1E+2"};
  std::string body = R"({"model":"m",)" + msgs + R"(,"nums":[)";
  for (std::size_t i = 0; i < std::size(numbers); ++i) {
    body += (i != 0 ? "," : "") + std::string(numbers[i]);
  }
  body += "]}";
  const auto req = decode_ok(body);
  const auto text = encode_openai_upstream(req, "u");
  const auto out = parse_full(text);
  const auto& nums = out["nums"];
  REQUIRE(nums.Size() == std::size(numbers));
  for (rapidjson::SizeType i = 0; i < nums.Size(); ++i) {
    CAPTURE(numbers[i]);
    const auto& v = nums[i];
    const bool integral = std::strpbrk(numbers[i], ".eE") == nullptr;
    if (integral && numbers[i][0] == '-') {
      REQUIRE(v.IsInt64());
      CHECK(v.GetInt64() == std::strtoll(numbers[i], nullptr, 10));
    } else if (integral) {
      REQUIRE(v.IsUint64());
      CHECK(v.GetUint64() == std::strtoull(numbers[i], nullptr, 10));
    } else {
      REQUIRE(v.IsDouble());
      const double expected = std::strtod(numbers[i], nullptr);
      const double got = v.GetDouble();
      CHECK(std::memcmp(&expected, &got, sizeof got) == 0);
    }
  }
  CHECK_THAT(text, Catch::Contains("[0.1,1e-7,12345678901234,-12345678901234,0.7,"));
}

TEST_CASE("strings keep their unicode and escapes through the upstream body", "[openai_request]") {
  const auto req = decode_ok(
      R"({"model":"m","messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00 tab\t nl\n )"
      R"(q\" bs\\ nul\u0000 end"}],"name":"\u00fcn\u00ef"})");
  const auto out = encode_openai_upstream(req, "up\"stream");
  const auto d = parse_full(out);
  CHECK(std::string(d["model"].GetString()) == "up\"stream");
  const auto& content = d["messages"][0]["content"];
  const std::string expected("caf\xC3\xA9 \xF0\x9F\x98\x80 tab\t nl\n q\" bs\\ nul\0 end", 35);
  CHECK(std::string(content.GetString(), content.GetStringLength()) == expected);
  CHECK(std::string(d["name"].GetString()) == "\xC3\xBCn\xC3\xAF");
  CHECK(out.find('\n') == std::string::npos);
}

TEST_CASE("the decoded document is shared, not changed, between attempts", "[openai_request]") {
  const auto req = decode_ok(chat(R"("stream":true)"));
  const auto a = encode_openai_upstream(req, "first");
  const auto b = encode_openai_upstream(req, "second");
  CHECK_THAT(a, Catch::Contains(R"("model":"first")"));
  CHECK_THAT(b, Catch::Contains(R"("model":"second")"));
  CHECK(std::string((*req.json)["model"].GetString()) == "m");
  CHECK_FALSE(req.json->HasMember("stream_options"));
}

TEST_CASE("zeros with large exponents stay zero on the way upstream (RapidJSON full-precision bug)") {
  // RapidJSON's kParseFullPrecisionFlag reads 0e240 as 1.8e221; found by fuzzing.
  auto r = switchyard::protocols::decode_openai_request(
      switchyard::protocols::api_kind::chat_completions,
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0e240,"top_p":-0e100})");
  REQUIRE(r.ok());
  CHECK((*r->json)["temperature"].GetDouble() == 0.0);
  CHECK((*r->json)["top_p"].GetDouble() == 0.0);
  const auto body = switchyard::protocols::encode_openai_upstream(r.value(), "up");
  CHECK(body.find("e221") == std::string::npos);
  CHECK(body.find("e81") == std::string::npos);
}
