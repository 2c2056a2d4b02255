// The Anthropic and Gemini routes end to end over real loopback sockets: whole and streamed
// replies that agree with each other, tool calls in all three dialects, each dialect's
// credentials, errors and injected statuses in the route's own shape, cut streams, pacing and
// phases, and the counters and request log.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "bench/mock_provider/reply_script.hpp"
#include "bench/mock_provider/timeline.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr std::string_view gemini_generate = "/v1beta/models/gemini-test:generateContent";
constexpr std::string_view gemini_stream =
    "/v1beta/models/gemini-test:streamGenerateContent?alt=sse";

// A Messages request with the headers the API wants.
http::request<http::string_body> messages_post(bool stream, std::string_view extra = "",
                                               std::string_view text = "hello there") {
  std::string body = R"({"model":"claude-test","max_tokens":64,"messages":[{"role":"user",)";
  body += R"("content":")" + std::string(text) + R"("}])";
  if (stream) body += R"(,"stream":true)";
  if (!extra.empty()) body += "," + std::string(extra);
  body += '}';
  auto req = post("/v1/messages", std::move(body));
  req.set("anthropic-version", "2023-06-01");
  return req;
}

http::request<http::string_body> gemini_post(std::string_view target, std::string_view extra = "",
                                             std::string_view text = "hello there") {
  std::string body =
      R"({"contents":[{"role":"user","parts":[{"text":")" + std::string(text) + R"("}]}])";
  if (!extra.empty()) body += "," + std::string(extra);
  body += '}';
  return post(target, std::move(body));
}

}  // namespace

TEST_CASE("dialects: Anthropic whole and streamed messages agree on text and usage") {
  auto o = test_options();
  o.reply_tokens = 5;
  running_server s(o);
  client c(s.endpoint());

  auto whole = c.exchange(messages_post(false));
  REQUIRE(whole.result_int() == 200);
  CHECK(whole[http::field::content_type] == "application/json");
  auto m = must_parse(whole.body());
  CHECK(str(m["type"]) == "message");
  CHECK(str(m["id"]).rfind("msg_mock_", 0) == 0);
  CHECK(str(m["id"]) == std::string(whole["x-request-id"]));
  CHECK(str(m["model"]) == "claude-test");
  CHECK(str(m["content"][0]["text"]) == reply_text(5));
  CHECK(str(m["stop_reason"]) == "end_turn");
  const auto input = m["usage"]["input_tokens"].GetUint();
  CHECK(input == estimate_tokens(std::string_view("hello there").size()));
  CHECK(m["usage"]["output_tokens"].GetUint() == 5);

  auto streamed = c.exchange(messages_post(true));
  REQUIRE(streamed.result_int() == 200);
  CHECK(streamed[http::field::content_type] == "text/event-stream");
  CHECK(streamed.chunked());
  auto events = sse_events(streamed.body());
  REQUIRE(events.size() == 3 + 5 + 3);
  CHECK(events.front().name == "message_start");
  CHECK(events.back().name == "message_stop");
  CHECK(must_parse(events[0].data)["message"]["usage"]["input_tokens"].GetUint() == input);
  std::string text;
  for (const auto& e : events) {
    if (e.name == "content_block_delta") text += str(must_parse(e.data)["delta"]["text"]);
  }
  CHECK(text == reply_text(5));
  auto end = must_parse(events[events.size() - 2].data);
  CHECK(str(end["type"]) == "message_delta");
  CHECK(end["usage"]["output_tokens"].GetUint() == 5);

  // max_tokens caps the reply as OpenAI's does; the route without /v1 works too.
  auto capped = post("/messages", R"({"model":"c","max_tokens":2,"messages":[{"role":"user",)"
                                  R"("content":"x"}]})");
  auto d = must_parse(c.exchange(capped).body());
  CHECK(str(d["content"][0]["text"]) == "token0 token1");
  CHECK(str(d["stop_reason"]) == "max_tokens");
}

TEST_CASE("dialects: Gemini generateContent and its SSE stream agree on text and usage") {
  auto o = test_options();
  o.reply_tokens = 4;
  running_server s(o);
  client c(s.endpoint());

  auto whole = c.exchange(gemini_post(gemini_generate));
  REQUIRE(whole.result_int() == 200);
  auto g = must_parse(whole.body());
  const auto& cand = g["candidates"][0];
  CHECK(str(cand["content"]["parts"][0]["text"]) == reply_text(4));
  CHECK(str(cand["finishReason"]) == "STOP");
  CHECK(str(g["modelVersion"]) == "gemini-test");
  CHECK(str(g["responseId"]) == std::string(whole["x-request-id"]));
  const auto prompt = g["usageMetadata"]["promptTokenCount"].GetUint();
  CHECK(prompt == estimate_tokens(std::string_view("hello there").size()));
  CHECK(g["usageMetadata"]["candidatesTokenCount"].GetUint() == 4);
  CHECK(g["usageMetadata"]["totalTokenCount"].GetUint() == prompt + 4);

  auto streamed = c.exchange(gemini_post(gemini_stream));
  REQUIRE(streamed.result_int() == 200);
  CHECK(streamed[http::field::content_type] == "text/event-stream");
  CHECK(streamed.body().find("\r\n\r\n") != std::string::npos);
  auto events = sse_events(streamed.body());
  REQUIRE(events.size() == 4 + 1);
  std::string text;
  for (std::size_t i = 0; i < 4; ++i) {
    auto e = must_parse(events[i].data);
    CHECK_FALSE(e["candidates"][0].HasMember("finishReason"));
    text += str(e["candidates"][0]["content"]["parts"][0]["text"]);
  }
  CHECK(text == reply_text(4));
  auto last = must_parse(events[4].data);
  CHECK(str(last["candidates"][0]["finishReason"]) == "STOP");
  CHECK(last["usageMetadata"]["promptTokenCount"].GetUint() == prompt);
  CHECK(last["usageMetadata"]["candidatesTokenCount"].GetUint() == 4);
  // No terminal marker: the body just ends after the last event.
  CHECK(streamed.body().substr(streamed.body().size() - 4) == "\r\n\r\n");

  // Any prefix before /models/ routes the same; maxOutputTokens caps the reply.
  auto capped = c.exchange(gemini_post("/v1/models/other:generateContent",
                                       R"("generationConfig":{"maxOutputTokens":1})"));
  REQUIRE(capped.result_int() == 200);
  auto cd = must_parse(capped.body());
  CHECK(str(cd["modelVersion"]) == "other");
  CHECK(str(cd["candidates"][0]["finishReason"]) == "MAX_TOKENS");
  CHECK(str(cd["candidates"][0]["content"]["parts"][0]["text"]) == "token0");
}

TEST_CASE("dialects: a request that asks for a tool gets a tool call in every dialect") {
  running_server s;
  client c(s.endpoint());
  const std::string ask = "please call tool";

  // OpenAI, whole and streamed.
  const std::string openai_tools =
      R"("tools":[{"type":"function","function":{"name":"lookup","parameters":{}}}])";
  auto oa = must_parse(c.exchange(post("/v1/chat/completions",
                                       R"({"model":"m","messages":[{"role":"user","content":")" +
                                           ask + R"("}],)" + openai_tools + "}"))
                           .body());
  CHECK(str(oa["choices"][0]["finish_reason"]) == "tool_calls");
  CHECK(str(oa["choices"][0]["message"]["tool_calls"][0]["function"]["name"]) == "lookup");
  CHECK(oa["usage"]["completion_tokens"].GetUint() == tool_argument_pieces);
  auto oa_stream =
      c.exchange(post("/v1/chat/completions",
                      R"({"model":"m","stream":true,"tool_choice":"required",)" + openai_tools +
                          R"(,"messages":[{"role":"user","content":"x"}]})"));
  std::string arguments;
  std::string finish;
  for (const auto& data : sse_data(oa_stream.body())) {
    if (data == "[DONE]") continue;
    auto chunk = must_parse(data);
    const auto& choice = chunk["choices"][0];
    if (choice["delta"].HasMember("tool_calls")) {
      arguments += str(choice["delta"]["tool_calls"][0]["function"]["arguments"]);
    }
    if (choice["finish_reason"].IsString()) finish = str(choice["finish_reason"]);
  }
  CHECK(arguments == tool_call_arguments);
  CHECK(finish == "tool_calls");

  // Anthropic, whole and streamed.
  const std::string anthropic_tools =
      R"("tools":[{"name":"lookup","input_schema":{"type":"object"}}])";
  auto am = must_parse(c.exchange(messages_post(false, anthropic_tools, ask)).body());
  CHECK(str(am["stop_reason"]) == "tool_use");
  CHECK(str(am["content"][0]["type"]) == "tool_use");
  CHECK(str(am["content"][0]["name"]) == "lookup");
  CHECK(str(am["content"][0]["input"]["query"]) == "mock");
  auto as = sse_events(c.exchange(messages_post(true, anthropic_tools, ask)).body());
  std::string partial;
  for (const auto& e : as) {
    if (e.name == "content_block_delta")
      partial += str(must_parse(e.data)["delta"]["partial_json"]);
  }
  CHECK(partial == tool_call_arguments);
  CHECK(str(must_parse(as[as.size() - 2].data)["delta"]["stop_reason"]) == "tool_use");
  // Without the ask, the same tools give text.
  auto plain = must_parse(c.exchange(messages_post(false, anthropic_tools)).body());
  CHECK(str(plain["content"][0]["type"]) == "text");

  // Gemini, whole and streamed.
  const std::string gemini_tools = R"("tools":[{"functionDeclarations":[{"name":"lookup"}]}])";
  auto gm = must_parse(c.exchange(gemini_post(gemini_generate, gemini_tools, ask)).body());
  CHECK(str(gm["candidates"][0]["content"]["parts"][0]["functionCall"]["name"]) == "lookup");
  CHECK(gm["usageMetadata"]["candidatesTokenCount"].GetUint() == tool_argument_pieces);
  auto gs = sse_events(c.exchange(gemini_post(gemini_stream, gemini_tools, ask)).body());
  REQUIRE(gs.size() == 2);
  auto call = must_parse(gs[0].data);
  CHECK(str(call["candidates"][0]["content"]["parts"][0]["functionCall"]["args"]["query"]) ==
        "mock");
  CHECK(str(must_parse(gs[1].data)["candidates"][0]["finishReason"]) == "STOP");
}

TEST_CASE("dialects: --api-key wants each dialect's own credentials") {
  auto o = test_options();
  o.api_key = "sk-mock";
  running_server s(o);
  client c(s.endpoint());

  auto bearer = messages_post(false);
  bearer.set(http::field::authorization, "Bearer sk-mock");  // not how Anthropic takes keys
  auto none = c.exchange(bearer);
  CHECK(none.result_int() == 401);
  auto nd = must_parse(none.body());
  CHECK(str(nd["type"]) == "error");
  CHECK(str(nd["error"]["type"]) == "authentication_error");
  auto wrong = messages_post(false);
  wrong.set("x-api-key", "sk-other");
  CHECK(c.exchange(wrong).result_int() == 401);
  auto no_version = messages_post(false);
  no_version.set("x-api-key", "sk-mock");
  no_version.erase("anthropic-version");
  auto nv = c.exchange(no_version);
  CHECK(nv.result_int() == 400);
  CHECK(str(must_parse(nv.body())["error"]["type"]) == "invalid_request_error");
  auto good = messages_post(false);
  good.set("x-api-key", "sk-mock");
  CHECK(c.exchange(good).result_int() == 200);

  auto keyless = c.exchange(gemini_post(gemini_generate));
  CHECK(keyless.result_int() == 403);
  auto kd = must_parse(keyless.body());
  CHECK(kd["error"]["code"].GetUint() == 403);
  CHECK(str(kd["error"]["status"]) == "PERMISSION_DENIED");
  auto bad_key = gemini_post(gemini_generate);
  bad_key.set("x-goog-api-key", "sk-other");
  auto bk = c.exchange(bad_key);
  CHECK(bk.result_int() == 400);
  CHECK(str(must_parse(bk.body())["error"]["status"]) == "INVALID_ARGUMENT");
  auto header_key = gemini_post(gemini_generate);
  header_key.set("x-goog-api-key", "sk-mock");
  CHECK(c.exchange(header_key).result_int() == 200);
  auto query_key = c.exchange(gemini_post(std::string(gemini_stream) + "&key=sk-mock"));
  CHECK(query_key.result_int() == 200);
  CHECK(sse_events(query_key.body()).size() == 16 + 1);
}

TEST_CASE("dialects: errors and injected statuses answer in the route's dialect") {
  auto o = test_options();
  o.max_body_bytes = 1024;
  running_server s(o);
  set_plan(s.endpoint(), R"([{"kind":"status","status":529,"retry_after":3,"count":1},)"
                         R"({"kind":"status","status":429,"retry_after":1,"count":1}])");
  client c(s.endpoint());

  auto overloaded = c.exchange(messages_post(true));
  REQUIRE(overloaded.result_int() == 529);
  CHECK(overloaded[http::field::retry_after] == "3");
  CHECK(overloaded[http::field::content_type] == "application/json");
  auto od = must_parse(overloaded.body());
  CHECK(str(od["type"]) == "error");
  CHECK(str(od["error"]["type"]) == "overloaded_error");
  CHECK(str(od["error"]["message"]).find("529") != std::string::npos);
  CHECK(overloaded.keep_alive());

  auto limited = c.exchange(gemini_post(gemini_stream));
  REQUIRE(limited.result_int() == 429);
  CHECK(limited[http::field::retry_after] == "1");
  auto ld = must_parse(limited.body());
  CHECK(ld["error"]["code"].GetUint() == 429);
  CHECK(str(ld["error"]["status"]) == "RESOURCE_EXHAUSTED");

  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "faults", "status") == 2);
  CHECK(stat(st, "responses", "4xx") == 1);
  CHECK(stat(st, "responses", "5xx") == 1);

  // Requests the dialect refuses, and the wrong method, say so in that dialect too.
  auto no_max = post("/v1/messages", R"({"model":"c","messages":[{"role":"user","content":"x"}]})");
  auto nm = c.exchange(no_max);
  CHECK(nm.result_int() == 400);
  CHECK(str(must_parse(nm.body())["error"]["type"]) == "invalid_request_error");
  auto empty = c.exchange(post(gemini_generate, R"({"contents":[]})"));
  CHECK(empty.result_int() == 400);
  CHECK(str(must_parse(empty.body())["error"]["status"]) == "INVALID_ARGUMENT");
  auto no_sse = c.exchange(gemini_post("/v1beta/models/g:streamGenerateContent"));
  CHECK(no_sse.result_int() == 400);
  auto wrong_method = c.exchange(get("/v1/messages"));
  CHECK(wrong_method.result_int() == 405);
  CHECK(wrong_method[http::field::allow] == "POST");
  CHECK(str(must_parse(wrong_method.body())["type"]) == "error");
  auto bad_fault = messages_post(false);
  bad_fault.set("x-mock-fault", R"({"kind":"nope"})");
  auto bf = c.exchange(bad_fault);
  CHECK(bf.result_int() == 400);
  CHECK(str(must_parse(bf.body())["error"]["type"]) == "invalid_request_error");
  CHECK(c.exchange(messages_post(false)).result_int() == 200);

  // A body over the limit: 413 in the route's dialect, then the connection closes.
  client big(s.endpoint());
  auto huge = big.exchange(gemini_post(gemini_generate, "", std::string(2048, 'x')));
  CHECK(huge.result_int() == 413);
  CHECK(str(must_parse(huge.body())["error"]["status"]) == "INVALID_ARGUMENT");
  CHECK(must_parse(huge.body())["error"]["code"].GetUint() == 413);
}

TEST_CASE("dialects: a cut Anthropic stream stops after N deltas, then a reset") {
  auto o = test_options();
  o.reply_tokens = 6;
  running_server s(o);
  set_plan(s.endpoint(), R"([{"kind":"cut","after_tokens":2,"stream":true}])");
  client c(s.endpoint());
  c.send(messages_post(true));
  auto r = c.read_until_closed();
  CHECK(is_reset(r.ec));
  CHECK(header_block(r.bytes).rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(count_of(r.bytes, "event: message_start") == 1);
  CHECK(count_of(r.bytes, "event: content_block_start") == 1);
  CHECK(count_of(r.bytes, "event: content_block_delta") == 2);
  CHECK(r.bytes.find(R"("text":"token0")") != std::string::npos);
  CHECK(r.bytes.find(R"("text":" token1")") != std::string::npos);
  CHECK(r.bytes.find("token2") == std::string::npos);
  CHECK(r.bytes.find("content_block_stop") == std::string::npos);
  CHECK(r.bytes.find("message_delta") == std::string::npos);
  CHECK(r.bytes.find("message_stop") == std::string::npos);
  CHECK(r.bytes.find("\r\n0\r\n\r\n") == std::string::npos);
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "faults", "cut") == 1);
  CHECK(st["streams"].GetUint64() == 1);
  CHECK(st["streams_completed"].GetUint64() == 0);
}

TEST_CASE("dialects: a cut Gemini stream stops after N events, then a reset") {
  auto o = test_options();
  o.reply_tokens = 6;
  o.tokens_per_second = 1000;  // paced: every event is its own write
  running_server s(o);
  {
    client c(s.endpoint());
    auto req = gemini_post(gemini_stream);
    req.set("x-mock-fault", R"({"kind":"cut","after_tokens":2})");
    c.send(req);
    auto r = c.read_until_closed();
    CHECK(is_reset(r.ec));
    CHECK(header_block(r.bytes).rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(count_of(r.bytes, "data: ") == 2);
    CHECK(r.bytes.find(R"("text":" token1")") != std::string::npos);
    CHECK(r.bytes.find("token2") == std::string::npos);
    CHECK(r.bytes.find("finishReason") == std::string::npos);
    CHECK(r.bytes.find("usageMetadata") == std::string::npos);
    CHECK(r.bytes.find("\r\n0\r\n\r\n") == std::string::npos);
  }
  {
    // Gemini has no opening event: a cut after 0 tokens sends the header alone.
    client c(s.endpoint());
    auto req = gemini_post(gemini_stream);
    req.set("x-mock-fault", R"({"kind":"cut","after_tokens":0})");
    c.send(req);
    auto r = c.read_until_closed();
    CHECK(is_reset(r.ec));
    CHECK(header_block(r.bytes).rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(r.bytes.size() == header_block(r.bytes).size() + 4);
  }
  {
    // A non-stream Gemini answer is cut like any other: half its body.
    client c(s.endpoint());
    auto req = gemini_post(gemini_generate);
    req.set("x-mock-fault", R"({"kind":"cut"})");
    c.send(req);
    auto r = c.read_until_closed();
    CHECK(is_reset(r.ec));
    auto body = r.bytes.substr(header_block(r.bytes).size() + 4);
    CHECK(body.rfind(R"({"candidates")", 0) == 0);
    CHECK(body.find("responseId") == std::string::npos);
  }
}

TEST_CASE("dialects: pacing, latency and phases apply to the new routes") {
  auto o = test_options();
  o.reply_tokens = 4;
  o.ttft_ms = 40;
  o.tokens_per_second = 50;  // 20 ms between token events
  o.phases = parse_phases(R"({"from_s":0,"to_s":3600,"faults":[{"kind":"status","status":503,)"
                          R"("stream":false}]})")
                 .value();
  running_server s(o);
  for (bool anthropic : {true, false}) {
    client c(s.endpoint());
    auto start = steady_clock::now();
    c.send(anthropic ? messages_post(true) : gemini_post(gemini_stream));
    auto t = c.read_timed();
    REQUIRE(t.res.result_int() == 200);
    CHECK(sse_events(t.res.body()).size() == (anthropic ? 3 + 4 + 3 : 4 + 1));
    // Lower bounds only: the first byte waits for the ttft, the last token 3 intervals more.
    CHECK(t.header_at - start >= milliseconds(40));
    CHECK(t.done_at - start >= milliseconds(40 + 3 * 20));

    // The phase's rule hits non-stream requests, in the dialect's shape.
    auto whole = c.exchange(anthropic ? messages_post(false) : gemini_post(gemini_generate));
    CHECK(whole.result_int() == 503);
    auto d = must_parse(whole.body());
    CHECK((anthropic ? str(d["error"]["type"]) : str(d["error"]["status"])) ==
          (anthropic ? "api_error" : "UNAVAILABLE"));
  }
}

TEST_CASE("dialects: stats and the request log count the new routes") {
  running_server s;
  client c(s.endpoint());
  c.exchange(messages_post(false));
  c.exchange(messages_post(true));
  c.exchange(gemini_post(gemini_stream));
  c.exchange(gemini_post("/v1/models/x:generateContent"));
  c.exchange(gemini_post(gemini_generate));
  c.exchange(get("/v1beta/models/x:countTokens"));
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "routes", "messages") == 2);
  CHECK(stat(st, "routes", "generate_content") == 3);
  CHECK(stat(st, "routes", "other") == 1);
  CHECK(st["streams"].GetUint64() == 2);
  CHECK(st["streams_completed"].GetUint64() == 2);
  CHECK(stat(st, "responses", "2xx") == 5);

  auto last = must_parse(c.exchange(get("/_mock/last_request")).body());
  CHECK(str(last["target"]) == gemini_generate);
  CHECK(str(last["body"]["contents"][0]["parts"][0]["text"]) == "hello there");
  auto all = must_parse(c.exchange(get("/_mock/requests")).body());
  REQUIRE(all["requests"].Size() == 5);
  CHECK(str(all["requests"][0]["target"]) == "/v1/messages");
  CHECK(str(all["requests"][0]["headers"]["anthropic-version"]) == "2023-06-01");
}
