// The mock provider's Gemini dialect without sockets: routes and their model, query parameters,
// request decoding and the tool offer, the key check, whole responses, the CRLF-framed stream
// events (text and functionCall), cuts, and Google's error statuses.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/dialect_replies.hpp"
#include "bench/mock_provider/gemini_replies.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using switchyard::protocols::dialect;

namespace {

constexpr std::string_view generate = "/v1beta/models/gemini-test:generateContent";

constexpr std::string_view tools_json =
    R"("tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{}},{"name":"b"}]}])";

std::string contents_body(std::string_view contents, std::string_view extra = "") {
  std::string s = "{";
  s += extra;
  if (!extra.empty()) s += ',';
  s += R"("contents":)";
  s += contents;
  s += '}';
  return s;
}

std::string tool_of(std::string_view contents, std::string_view extra) {
  auto r = decode_gemini_reply_request(generate, contents_body(contents, extra));
  REQUIRE(r.ok());
  return r.value().tool;
}

}  // namespace

TEST_CASE("gemini: the route names the model and the method, whatever the prefix") {
  auto plain = parse_gemini_path("/v1beta/models/gemini-2.5-flash:generateContent");
  REQUIRE(plain);
  CHECK(plain->model == "gemini-2.5-flash");
  CHECK_FALSE(plain->stream);
  auto stream = parse_gemini_path("/v1/models/tuned%2Fmodel%20x:streamGenerateContent");
  REQUIRE(stream);
  CHECK(stream->model == "tuned/model x");
  CHECK(stream->stream);
  CHECK(parse_gemini_path("/base/path/v1beta/models/m:generateContent"));
  CHECK_FALSE(parse_gemini_path("/v1beta/models/m:countTokens"));
  CHECK_FALSE(parse_gemini_path("/v1beta/models/:generateContent"));
  CHECK_FALSE(parse_gemini_path("/v1beta/tunedModels/a/b:generateContent"));
  CHECK_FALSE(parse_gemini_path("/v1/chat/completions"));
}

TEST_CASE("gemini: query parameters are found by exact name") {
  CHECK(query_param("/p?alt=sse&key=k1", "alt") == "sse");
  CHECK(query_param("/p?alt=sse&key=k1", "key") == "k1");
  CHECK(query_param("/p?monkey=x&key=", "key").empty());
  CHECK(query_param("/p?monkey=x", "key").empty());
  CHECK(query_param("/p", "alt").empty());
}

TEST_CASE("gemini: decoding reads the limit, estimates the prompt and refuses bad bodies") {
  auto ok = decode_gemini_reply_request(
      "/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
      contents_body(R"([{"role":"user","parts":[{"text":"12345678"}]}])",
                    R"("systemInstruction":{"parts":[{"text":"1234"}]},)"
                    R"("generationConfig":{"maxOutputTokens":5})"));
  REQUIRE(ok.ok());
  CHECK(ok.value().model == "gemini-test");
  CHECK(ok.value().stream);
  CHECK(ok.value().max_tokens == 5u);
  CHECK(ok.value().prompt_tokens == 3);
  CHECK(ok.value().tool.empty());

  auto no_sse = decode_gemini_reply_request("/v1beta/models/m:streamGenerateContent",
                                            contents_body(R"([{"parts":[{"text":"x"}]}])"));
  REQUIRE_FALSE(no_sse.ok());
  CHECK(no_sse.error().status == 400);
  CHECK(no_sse.error().message.find("alt=sse") != std::string::npos);

  for (auto bad : {"{nope", "[]", R"({"contents":[]})", R"({"contents":[{"role":"user"}]})",
                   R"({"contents":[{"parts":[]}],"generationConfig":{"maxOutputTokens":"9"}})"}) {
    auto r = decode_gemini_reply_request(generate, bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
  }
}

TEST_CASE("gemini: functionDeclarations, the calling mode and the last user turn decide") {
  const std::string tools(tools_json);
  const std::string_view hello = R"([{"role":"user","parts":[{"text":"hello"}]}])";
  const std::string_view asked = R"([{"role":"user","parts":[{"text":"please call tool"}]}])";
  CHECK(tool_of(hello, tools).empty());
  CHECK(tool_of(asked, tools) == "get_weather");
  CHECK(tool_of(asked, "").empty());
  CHECK(tool_of(hello, tools + R"(,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}})") ==
        "get_weather");
  CHECK(tool_of(hello, tools + R"(,"toolConfig":{"functionCallingConfig":{"mode":"ANY",)"
                               R"("allowedFunctionNames":["b"]}})") == "b");
  CHECK(
      tool_of(asked, tools + R"(,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}})").empty());
  // The function's response ends the conversation: no new call.
  CHECK(tool_of(R"([{"role":"user","parts":[{"text":"call tool"}]},)"
                R"({"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]},)"
                R"({"role":"user","parts":[{"functionResponse":{"name":"get_weather",)"
                R"("response":{"output":"sunny"}}}]}])",
                tools)
            .empty());
}

TEST_CASE("gemini: the key goes in x-goog-api-key or ?key=, and failures answer as Google does") {
  CHECK_FALSE(gemini_auth_error("k", "", "k"));
  CHECK_FALSE(gemini_auth_error("", "k", "k"));
  auto none = gemini_auth_error("", "", "k");
  REQUIRE(none);
  CHECK(none->status == 403);
  auto wrong = gemini_auth_error("x", "k", "k");  // the header wins over the query
  REQUIRE(wrong);
  CHECK(wrong->status == 400);
  CHECK(wrong->message.find("API key not valid") != std::string::npos);
}

TEST_CASE("gemini: a whole response has one candidate, its finish reason and the usage") {
  auto d = must_parse(gemini_response_body(make_test_reply(dialect::gemini, 4, 3u, 12)));
  REQUIRE(d["candidates"].Size() == 1);
  const auto& c = d["candidates"][0];
  CHECK(str(c["content"]["role"]) == "model");
  REQUIRE(c["content"]["parts"].Size() == 1);
  CHECK(str(c["content"]["parts"][0]["text"]) == "token0 token1 token2");
  CHECK(str(c["finishReason"]) == "MAX_TOKENS");
  CHECK(c["index"].GetUint() == 0);
  CHECK(d["usageMetadata"]["promptTokenCount"].GetUint() == 12);
  CHECK(d["usageMetadata"]["candidatesTokenCount"].GetUint() == 3);
  CHECK(d["usageMetadata"]["totalTokenCount"].GetUint() == 15);
  CHECK(str(d["modelVersion"]) == "test-model");
  CHECK(str(d["responseId"]) == "mock-1");
  auto whole = must_parse(gemini_response_body(make_test_reply(dialect::gemini, 4, 100u, 12)));
  CHECK(str(whole["candidates"][0]["finishReason"]) == "STOP");
}

TEST_CASE("gemini: a whole response can be one functionCall part") {
  auto d = must_parse(gemini_response_body(make_test_reply(dialect::gemini, 4, 100u, 12, "f")));
  const auto& part = d["candidates"][0]["content"]["parts"][0];
  REQUIRE(part.HasMember("functionCall"));
  CHECK(str(part["functionCall"]["name"]) == "f");
  CHECK(str(part["functionCall"]["args"]["query"]) == "mock");
  CHECK_FALSE(part.HasMember("text"));
  CHECK(str(d["candidates"][0]["finishReason"]) == "STOP");
  CHECK(d["usageMetadata"]["candidatesTokenCount"].GetUint() == tool_argument_pieces);
}

TEST_CASE("gemini: a stream is one CRLF event per token, then the finish with the usage") {
  reply_stream s(dialect::gemini, make_test_reply(dialect::gemini, 3, 100u, 9));
  REQUIRE(s.frame_count() == 4);
  CHECK(s.token_frames_end() == 3);
  std::string body;
  for (std::size_t j = 0; j < s.frame_count(); ++j) s.append_frame(j, body);
  CHECK(body.rfind("data: {", 0) == 0);
  CHECK(body.substr(body.size() - 5) == "}\r\n\r\n");
  CHECK(body.find("\n\n") == std::string::npos);  // every line ends in CRLF
  auto events = sse_events(body);
  REQUIRE(events.size() == 4);
  std::string text;
  for (int i = 0; i < 3; ++i) {
    CHECK(events[i].name.empty());
    auto d = must_parse(events[i].data);
    CHECK_FALSE(d["candidates"][0].HasMember("finishReason"));
    CHECK_FALSE(d.HasMember("usageMetadata"));
    CHECK(str(d["responseId"]) == "mock-1");
    text += str(d["candidates"][0]["content"]["parts"][0]["text"]);
  }
  CHECK(text == reply_text(3));
  auto last = must_parse(events[3].data);
  CHECK(str(last["candidates"][0]["content"]["parts"][0]["text"]).empty());
  CHECK(str(last["candidates"][0]["finishReason"]) == "STOP");
  CHECK(last["usageMetadata"]["promptTokenCount"].GetUint() == 9);
  CHECK(last["usageMetadata"]["candidatesTokenCount"].GetUint() == 3);
  CHECK(last["usageMetadata"]["totalTokenCount"].GetUint() == 12);
}

TEST_CASE("gemini: a streamed tool call is one functionCall event, then the finish") {
  reply_stream s(dialect::gemini, make_test_reply(dialect::gemini, 3, 100u, 9, "f"));
  REQUIRE(s.frame_count() == 2);
  std::string body;
  for (std::size_t j = 0; j < s.frame_count(); ++j) s.append_frame(j, body);
  auto events = sse_events(body);
  REQUIRE(events.size() == 2);
  auto call = must_parse(events[0].data);
  CHECK(str(call["candidates"][0]["content"]["parts"][0]["functionCall"]["name"]) == "f");
  auto last = must_parse(events[1].data);
  CHECK(str(last["candidates"][0]["finishReason"]) == "STOP");
  CHECK(last["usageMetadata"]["candidatesTokenCount"].GetUint() == tool_argument_pieces);
}

TEST_CASE("gemini: with no opening frame a cut counts token events only") {
  reply_stream s(dialect::gemini, make_test_reply(dialect::gemini, 4, 100u, 0));
  std::vector<std::uint32_t> slots;
  for (std::size_t j = 0; j < s.frame_count(); ++j) slots.push_back(s.slot(j));
  CHECK(slots == std::vector<std::uint32_t>{0, 1, 2, 3, 3});
  CHECK(s.cut_frame_limit(0u) == 0);
  CHECK(s.cut_frame_limit(std::nullopt) == 2);
  CHECK(s.cut_frame_limit(99u) == 4);
}

TEST_CASE("gemini: error bodies carry the code and Google's status name") {
  auto check = [](unsigned status, std::string_view name) {
    auto d = must_parse(gemini_error_body(status, "why"));
    CHECK(d["error"]["code"].GetUint() == status);
    CHECK(str(d["error"]["message"]) == "why");
    CHECK(str(d["error"]["status"]) == name);
  };
  check(400, "INVALID_ARGUMENT");
  check(401, "UNAUTHENTICATED");
  check(403, "PERMISSION_DENIED");
  check(404, "NOT_FOUND");
  check(429, "RESOURCE_EXHAUSTED");
  check(500, "INTERNAL");
  check(503, "UNAVAILABLE");
  check(504, "DEADLINE_EXCEEDED");
  CHECK(dialect_error_body(dialect::gemini, 503, "x", "param") == gemini_error_body(503, "x"));
}
