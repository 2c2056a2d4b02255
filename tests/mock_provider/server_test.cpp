// The mock provider end to end over real loopback sockets (in-process server, free port):
// routes, streams, limits, the admin API, and the precise behaviour of every fault kind.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>

#include "bench/mock_provider/responses.hpp"
#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// Waits, by asking the server (never by sleeping), until `pred(stats)` holds.
template <class Pred>
bool await_stats(const tcp::endpoint& ep, Pred pred) {
  for (int i = 0; i < 20000; ++i) {
    if (pred(fetch_stats(ep))) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("server: non-stream chat answers the deterministic reply over keep-alive") {
  running_server s;
  client c(s.endpoint());
  for (int i = 0; i < 2; ++i) {
    auto res = c.exchange(post("/v1/chat/completions", chat_body()));
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res.keep_alive());
    auto d = parse_json(res.body());
    REQUIRE_FALSE(d.HasParseError());
    CHECK(str(d["model"]) == "test-model");
    CHECK(str(d["choices"][0]["message"]["content"]) == reply_text(16));
    CHECK(str(d["choices"][0]["finish_reason"]) == "stop");
    CHECK(d["usage"]["completion_tokens"].GetUint() == 16);
    CHECK(d["usage"]["prompt_tokens"].GetUint() > 0);
    CHECK(str(d["id"]) == std::string(res["x-request-id"]));
  }
  // The route without /v1 works too.
  auto res = c.exchange(post("/chat/completions", chat_body(false, R"("max_tokens":2)")));
  REQUIRE(res.result_int() == 200);
  auto d = parse_json(res.body());
  CHECK(str(d["choices"][0]["message"]["content"]) == "token0 token1");
  CHECK(str(d["choices"][0]["finish_reason"]) == "length");
  CHECK(d["usage"]["completion_tokens"].GetUint() == 2);
}

TEST_CASE("server: --reply-tokens and max_completion_tokens shape the reply") {
  auto o = test_options();
  o.reply_tokens = 4;
  running_server s(o);
  client c(s.endpoint());
  auto d = parse_json(c.exchange(post("/v1/chat/completions", chat_body())).body());
  CHECK(str(d["choices"][0]["message"]["content"]) == "token0 token1 token2 token3");
  auto capped = parse_json(
      c.exchange(post("/v1/chat/completions", chat_body(false, R"("max_completion_tokens":1)")))
          .body());
  CHECK(str(capped["choices"][0]["message"]["content"]) == "token0");
}

TEST_CASE("server: a stream sends role, one chunk per token, stop, usage and [DONE]") {
  auto o = test_options();
  o.reply_tokens = 5;
  running_server s(o);
  client c(s.endpoint());
  auto res = c.exchange(
      post("/v1/chat/completions", chat_body(true, R"("stream_options":{"include_usage":true})")));
  REQUIRE(res.result_int() == 200);
  CHECK(res[http::field::content_type] == "text/event-stream");
  CHECK(res.chunked());
  auto events = sse_data(res.body());
  REQUIRE(events.size() == 1 + 5 + 1 + 1 + 1);
  CHECK(str(parse_json(events[0])["choices"][0]["delta"]["role"]) == "assistant");
  std::string content;
  for (int i = 1; i <= 5; ++i) {
    auto e = parse_json(events[i]);
    CHECK(str(e["model"]) == "test-model");
    content += str(e["choices"][0]["delta"]["content"]);
  }
  CHECK(content == reply_text(5));
  CHECK(str(parse_json(events[6])["choices"][0]["finish_reason"]) == "stop");
  auto usage = parse_json(events[7]);
  CHECK(usage["usage"]["completion_tokens"].GetUint() == 5);
  CHECK(events[8] == "[DONE]");

  // Without include_usage there is no usage chunk, and the connection is still usable.
  auto plain = c.exchange(post("/v1/chat/completions", chat_body(true)));
  auto plain_events = sse_data(plain.body());
  REQUIRE(plain_events.size() == 1 + 5 + 1 + 1);
  CHECK(plain_events.back() == "[DONE]");

  auto st = fetch_stats(s.endpoint());
  CHECK(st["streams"].GetUint64() == 2);
  CHECK(st["streams_completed"].GetUint64() == 2);
}

TEST_CASE("server: streams honour ttft and token pacing") {
  auto o = test_options();
  o.reply_tokens = 4;
  o.ttft_ms = 60;
  o.tokens_per_second = 50;  // 20 ms between token chunks
  running_server s(o);
  client c(s.endpoint());
  auto start = steady_clock::now();
  c.send(post("/v1/chat/completions", chat_body(true)));
  auto t = c.read_timed();
  REQUIRE(t.res.result_int() == 200);
  CHECK(sse_data(t.res.body()).size() == 1 + 4 + 1 + 1);
  // Lower bounds only (an upper bound would depend on the machine's load): the first byte
  // waits for the ttft, the last token for 3 more intervals after the first byte.
  CHECK(t.header_at - start >= milliseconds(60));
  CHECK(t.done_at - start >= milliseconds(60 + 3 * 20));
}

TEST_CASE("server: --latency-ms delays whole answers") {
  auto o = test_options();
  o.latency_ms = 50;
  running_server s(o);
  client c(s.endpoint());
  auto start = steady_clock::now();
  c.send(post("/v1/chat/completions", chat_body()));
  auto t = c.read_timed();
  CHECK(t.res.result_int() == 200);
  CHECK(t.header_at - start >= milliseconds(50));
}

TEST_CASE("server: embeddings, models and health") {
  auto o = test_options();
  o.models = {"alpha", "beta"};
  running_server s(o);
  client c(s.endpoint());

  auto emb =
      c.exchange(post("/v1/embeddings", R"({"model":"emb","input":["a","b"],"dimensions":3})"));
  REQUIRE(emb.result_int() == 200);
  auto d = parse_json(emb.body());
  CHECK(str(d["model"]) == "emb");
  REQUIRE(d["data"].Size() == 2);
  CHECK(d["data"][0]["embedding"].Size() == 3);
  // The same input embeds the same way.
  auto again =
      c.exchange(post("/v1/embeddings", R"({"model":"emb","input":["a","b"],"dimensions":3})"));
  CHECK(again.body() == emb.body());

  auto one = parse_json(c.exchange(post("/embeddings", R"({"model":"emb","input":"hi"})")).body());
  REQUIRE(one["data"].Size() == 1);
  CHECK(one["data"][0]["embedding"].Size() == 64);

  auto bad = c.exchange(post("/v1/embeddings", R"({"model":"emb","input":"x","dimensions":0})"));
  CHECK(bad.result_int() == 400);
  CHECK(str(parse_json(bad.body())["error"]["param"]) == "dimensions");

  auto models = parse_json(c.exchange(get("/v1/models")).body());
  REQUIRE(models["data"].Size() == 2);
  CHECK(str(models["data"][0]["id"]) == "alpha");

  auto health = c.exchange(get("/health"));
  CHECK(health.result_int() == 200);
  CHECK(health.body() == R"({"status":"ok"})");
}

TEST_CASE("server: bad requests get OpenAI-style errors") {
  running_server s;
  client c(s.endpoint());

  auto nf = c.exchange(get("/v2/nothing"));
  CHECK(nf.result_int() == 404);
  CHECK(str(parse_json(nf.body())["error"]["message"]).find("/v2/nothing") != std::string::npos);

  auto wrong = c.exchange(get("/v1/chat/completions"));
  CHECK(wrong.result_int() == 405);
  CHECK(wrong[http::field::allow] == "POST");

  auto not_json = c.exchange(post("/v1/chat/completions", "{nope"));
  CHECK(not_json.result_int() == 400);
  CHECK(str(parse_json(not_json.body())["error"]["type"]) == "invalid_request_error");

  auto no_messages = c.exchange(post("/v1/chat/completions", R"({"model":"m"})"));
  CHECK(no_messages.result_int() == 400);
  CHECK(str(parse_json(no_messages.body())["error"]["param"]) == "messages");

  // The connection survives all of that.
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);
}

TEST_CASE("server: --api-key guards the /v1 routes only") {
  auto o = test_options();
  o.api_key = "sk-mock";
  running_server s(o);
  client c(s.endpoint());

  auto none = c.exchange(post("/v1/chat/completions", chat_body()));
  CHECK(none.result_int() == 401);
  CHECK(str(parse_json(none.body())["error"]["code"]) == "invalid_api_key");

  auto req = post("/v1/chat/completions", chat_body());
  req.set(http::field::authorization, "Bearer sk-other");
  CHECK(c.exchange(req).result_int() == 401);

  req.set(http::field::authorization, "Bearer sk-mock");
  CHECK(c.exchange(req).result_int() == 200);

  CHECK(c.exchange(get("/v1/models")).result_int() == 401);
  CHECK(c.exchange(post("/v1/embeddings", R"({"model":"e","input":"x"})")).result_int() == 401);
  CHECK(c.exchange(get("/health")).result_int() == 200);
  CHECK(c.exchange(get("/_mock/stats")).result_int() == 200);
}

TEST_CASE("server: bodies over the limit get 413 and the connection closes") {
  auto o = test_options();
  o.max_body_bytes = 1024;
  running_server s(o);
  client c(s.endpoint());
  auto res = c.exchange(post("/v1/chat/completions", std::string(4096, ' ')));
  CHECK(res.result_int() == 413);
  CHECK_FALSE(res.keep_alive());
  CHECK(str(parse_json(res.body())["error"]["message"]).find("1024") != std::string::npos);
  CHECK(c.read_until_closed().ec == net::error::eof);

  // A body just at the limit is fine.
  client ok(s.endpoint());
  auto body = chat_body();
  body.append(1024 - body.size(), ' ');
  CHECK(ok.exchange(post("/v1/chat/completions", body)).result_int() == 200);
}

TEST_CASE("server: headers over the limit get 431") {
  auto o = test_options();
  o.max_header_bytes = 1024;
  running_server s(o);
  client c(s.endpoint());
  auto req = post("/v1/chat/completions", chat_body());
  req.set("x-padding", std::string(2000, 'p'));
  auto res = c.exchange(req);
  CHECK(res.result_int() == 431);
  CHECK_FALSE(res.keep_alive());
}

TEST_CASE("server: malformed HTTP gets 400 and a close") {
  running_server s;
  client c(s.endpoint());
  c.send_raw("NOT HTTP AT ALL\r\n\r\n");
  auto res = c.read();
  CHECK(res.result_int() == 400);
  CHECK(c.read_until_closed().ec == net::error::eof);
}

TEST_CASE("server: Expect: 100-continue is answered before the body") {
  running_server s;
  client c(s.endpoint());
  auto body = chat_body();
  c.send_raw(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  auto cont = c.read();
  CHECK(cont.result_int() == 100);
  c.send_raw(body);
  CHECK(c.read().result_int() == 200);
}

TEST_CASE("server: Connection: close is honoured") {
  running_server s;
  client c(s.endpoint());
  auto req = post("/v1/chat/completions", chat_body());
  req.keep_alive(false);
  auto res = c.exchange(req);
  CHECK(res.result_int() == 200);
  CHECK_FALSE(res.keep_alive());
  CHECK(c.read_until_closed().ec == net::error::eof);
}

TEST_CASE("server: idle connections are closed after the idle timeout") {
  auto o = test_options();
  o.idle_timeout_ms = 50;
  running_server s(o);
  client c(s.endpoint());
  auto start = steady_clock::now();
  auto r = c.read_until_closed();
  CHECK(r.ec == net::error::eof);
  CHECK(r.bytes.empty());
  CHECK(steady_clock::now() - start >= milliseconds(50));
}

TEST_CASE("server: many concurrent connections on two threads") {
  auto o = test_options();
  o.threads = 2;
  running_server s(o);
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(std::make_unique<client>(s.endpoint()));
    clients.back()->send(post("/v1/chat/completions", chat_body(i % 2 == 1)));
  }
  for (auto& c : clients) CHECK(c->read().result_int() == 200);
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "routes", "chat_completions") == 64);
  CHECK(st["streams"].GetUint64() == 32);
  CHECK(st["open_connections"].GetUint64() >= 1);
}

// ---- faults ----------------------------------------------------------------------------------

TEST_CASE("fault status: answers the status with Retry-After, for the next N requests") {
  running_server s;
  set_plan(s.endpoint(), R"([{"kind":"status","status":503,"retry_after":2,"count":2}])");
  client c(s.endpoint());
  for (int i = 0; i < 2; ++i) {
    auto res = c.exchange(post("/v1/chat/completions", chat_body(i == 1)));
    REQUIRE(res.result_int() == 503);
    CHECK(res[http::field::retry_after] == "2");
    CHECK(res[http::field::content_type] == "application/json");
    auto d = parse_json(res.body());
    CHECK(str(d["error"]["type"]) == "server_error");
    CHECK(res.keep_alive());
  }
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "faults", "status") == 2);
  CHECK(st["faults_total"].GetUint64() == 2);
  CHECK(stat(st, "responses", "5xx") == 2);
}

TEST_CASE("fault status: 429 looks like OpenAI's rate limit and has no Retry-After unless asked") {
  running_server s;
  set_plan(s.endpoint(), R"({"kind":"status","status":429})");
  client c(s.endpoint());
  auto res = c.exchange(post("/v1/embeddings", R"({"model":"e","input":"x"})"));
  CHECK(res.result_int() == 429);
  CHECK(res.find(http::field::retry_after) == res.end());
  CHECK(str(parse_json(res.body())["error"]["code"]) == "rate_limit_exceeded");
}

TEST_CASE("fault reset: the connection is reset right after the request, with no bytes") {
  running_server s;
  set_plan(s.endpoint(), R"([{"kind":"reset","count":1}])");
  client c(s.endpoint());
  c.send(post("/v1/chat/completions", chat_body()));
  auto r = c.read_until_closed();
  CHECK(r.bytes.empty());
  CHECK(is_reset(r.ec));
  // The rule is used up: the next connection is served.
  client next(s.endpoint());
  CHECK(next.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);
  CHECK(stat(fetch_stats(s.endpoint()), "faults", "reset") == 1);
}

TEST_CASE("fault cut: a stream gets the role chunk and N token chunks, then a reset") {
  auto o = test_options();
  o.reply_tokens = 6;
  running_server s(o);
  set_plan(s.endpoint(), R"([{"kind":"cut","after_tokens":2,"stream":true}])");

  client c(s.endpoint());
  c.send(
      post("/v1/chat/completions", chat_body(true, R"("stream_options":{"include_usage":true})")));
  auto r = c.read_until_closed();
  CHECK(is_reset(r.ec));
  CHECK(header_block(r.bytes).rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(count_of(r.bytes, "data: ") == 3);
  CHECK(r.bytes.find(R"("role":"assistant")") != std::string::npos);
  CHECK(r.bytes.find(R"("content":"token0")") != std::string::npos);
  CHECK(r.bytes.find(R"("content":" token1")") != std::string::npos);
  CHECK(r.bytes.find("token2") == std::string::npos);
  CHECK(r.bytes.find("[DONE]") == std::string::npos);
  CHECK(r.bytes.find("\r\n0\r\n\r\n") == std::string::npos);

  // Non-stream requests do not match the rule.
  client n(s.endpoint());
  CHECK(n.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "faults", "cut") == 1);
  CHECK(st["streams"].GetUint64() == 1);
  CHECK(st["streams_completed"].GetUint64() == 0);
}

TEST_CASE("fault cut: after_tokens 0 sends only the role chunk and the default is half the reply") {
  auto o = test_options();
  o.reply_tokens = 8;
  o.tokens_per_second = 1000;  // paced: every token chunk is its own write
  running_server s(o);
  {
    client c(s.endpoint());
    auto req = post("/v1/chat/completions", chat_body(true));
    req.set("x-mock-fault", R"({"kind":"cut","after_tokens":0})");
    c.send(req);
    auto r = c.read_until_closed();
    CHECK(is_reset(r.ec));
    CHECK(count_of(r.bytes, "data: ") == 1);
  }
  {
    client c(s.endpoint());
    auto req = post("/v1/chat/completions", chat_body(true));
    req.set("x-mock-fault", R"({"kind":"cut"})");
    c.send(req);
    auto r = c.read_until_closed();
    CHECK(is_reset(r.ec));
    CHECK(count_of(r.bytes, "data: ") == 1 + 4);
  }
}

TEST_CASE("fault cut: a non-stream answer gets its headers and half its body, then a reset") {
  running_server s;
  set_plan(s.endpoint(), R"({"kind":"cut"})");
  client c(s.endpoint());
  c.send(post("/v1/chat/completions", chat_body()));
  auto r = c.read_until_closed();
  CHECK(is_reset(r.ec));
  auto head_end = r.bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  auto head = r.bytes.substr(0, head_end);
  auto cl = head.find("Content-Length: ");
  REQUIRE(cl != std::string::npos);
  auto length = std::stoul(head.substr(cl + 16));
  CHECK(length > 100);
  CHECK(r.bytes.size() - (head_end + 4) == length / 2);
}

TEST_CASE("fault hang: no bytes ever, and the connection stays open until the client closes") {
  running_server s;
  set_plan(s.endpoint(), R"({"kind":"hang","count":1})");
  client hung(s.endpoint());
  hung.send(post("/v1/chat/completions", chat_body(true)));
  REQUIRE(await_stats(s.endpoint(),
                      [](const rapidjson::Document& d) { return stat(d, "faults", "hang") == 1; }));
  // The stats connection and the hung one.
  CHECK(fetch_stats(s.endpoint())["open_connections"].GetUint64() >= 2);
  CHECK(hung.available() == 0);
  hung.close();
  // Only the stats connection asking is left once the server saw the close.
  CHECK(await_stats(s.endpoint(), [](const rapidjson::Document& d) {
    return d["open_connections"].GetUint64() == 1;
  }));
}

TEST_CASE("fault delay and slow_first_token: the first byte comes ms later") {
  running_server s;
  {
    client c(s.endpoint());
    auto req = post("/v1/chat/completions", chat_body());
    req.set("x-mock-fault", R"({"kind":"delay","ms":80})");
    auto start = steady_clock::now();
    c.send(req);
    auto t = c.read_timed();
    CHECK(t.res.result_int() == 200);
    CHECK(t.header_at - start >= milliseconds(80));
  }
  {
    set_plan(s.endpoint(), R"({"kind":"slow_first_token","ms":80,"stream":true})");
    client c(s.endpoint());
    auto start = steady_clock::now();
    c.send(post("/v1/chat/completions", chat_body(true)));
    auto t = c.read_timed();
    CHECK(t.res.result_int() == 200);
    CHECK(t.header_at - start >= milliseconds(80));
    CHECK(sse_data(t.res.body()).back() == "[DONE]");
  }
  auto st = fetch_stats(s.endpoint());
  CHECK(stat(st, "faults", "delay") == 1);
  CHECK(stat(st, "faults", "slow_first_token") == 1);
}

TEST_CASE("fault header: x-mock-fault applies to its request only, and is validated") {
  running_server s;
  client c(s.endpoint());
  auto req = post("/v1/chat/completions", chat_body());
  req.set("x-mock-fault", R"({"kind":"status","status":502})");
  CHECK(c.exchange(req).result_int() == 502);
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);

  req.set("x-mock-fault", R"({"kind":"status","status":99})");
  auto bad = c.exchange(req);
  CHECK(bad.result_int() == 400);
  auto d = parse_json(bad.body());
  CHECK(str(d["error"]["param"]) == "x-mock-fault");
  CHECK(str(d["error"]["message"]).find("rule.status") != std::string::npos);
}

TEST_CASE("fault plan: only model routes get faults") {
  running_server s;
  set_plan(s.endpoint(), R"({"kind":"reset"})");
  client c(s.endpoint());
  CHECK(c.exchange(get("/health")).result_int() == 200);
  CHECK(c.exchange(get("/v1/models")).result_int() == 200);
  CHECK(c.exchange(get("/_mock/faults")).result_int() == 200);
}

TEST_CASE("fault plan: rules from the command line apply from the start") {
  auto o = test_options();
  o.faults.push_back(parse_fault_rule(R"({"kind":"status","status":500,"count":1})").value());
  running_server s(o);
  client c(s.endpoint());
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 500);
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);
}

TEST_CASE("admin: the fault plan can be read, replaced, rejected and cleared") {
  running_server s;
  client c(s.endpoint());
  auto set = c.exchange(post("/_mock/faults", R"({"rules":[{"kind":"hang","stream":true},
                                                           {"kind":"status","status":503}]})"));
  REQUIRE(set.result_int() == 200);
  CHECK(set.body() == R"({"rules":2})");
  auto plan = parse_json(c.exchange(get("/_mock/faults")).body());
  REQUIRE(plan["rules"].Size() == 2);
  CHECK(str(plan["rules"][0]["kind"]) == "hang");
  CHECK(plan["rules"][1]["status"].GetUint() == 503);

  auto bad = c.exchange(post("/_mock/faults", R"([{"kind":"hang"},{"kind":"nope"}])"));
  CHECK(bad.result_int() == 400);
  CHECK(str(parse_json(bad.body())["error"]["message"]).rfind("rules[1].kind", 0) == 0);
  // A rejected plan leaves the old one in place.
  CHECK(parse_json(c.exchange(get("/_mock/faults")).body())["rules"].Size() == 2);

  CHECK(c.exchange(get("/_mock/faults", http::verb::delete_)).body() == R"({"rules":0})");
  CHECK(parse_json(c.exchange(get("/_mock/faults")).body())["rules"].Size() == 0);
  CHECK(c.exchange(post("/v1/chat/completions", chat_body())).result_int() == 200);

  auto put = c.exchange(get("/_mock/faults", http::verb::put));
  CHECK(put.result_int() == 405);
  CHECK(c.exchange(get("/_mock/unknown")).result_int() == 404);
}

TEST_CASE("admin: stats count routes and can be reset") {
  running_server s;
  client c(s.endpoint());
  c.exchange(post("/v1/chat/completions", chat_body()));
  c.exchange(post("/v1/chat/completions", chat_body(true)));
  c.exchange(post("/v1/embeddings", R"({"model":"e","input":"x"})"));
  c.exchange(get("/v1/models"));
  c.exchange(get("/health"));
  c.exchange(get("/nope"));
  auto st = parse_json(c.exchange(get("/_mock/stats")).body());
  CHECK(stat(st, "routes", "chat_completions") == 2);
  CHECK(stat(st, "routes", "embeddings") == 1);
  CHECK(stat(st, "routes", "models") == 1);
  CHECK(stat(st, "routes", "health") == 1);
  CHECK(stat(st, "routes", "other") == 1);
  CHECK(stat(st, "routes", "admin") == 1);
  CHECK(st["requests_total"].GetUint64() == 7);
  CHECK(st["streams"].GetUint64() == 1);
  CHECK(stat(st, "responses", "2xx") == 5);
  CHECK(stat(st, "responses", "4xx") == 1);
  CHECK(st["open_connections"].GetUint64() == 1);
  CHECK(st["connections_total"].GetUint64() == 1);

  auto reset = parse_json(c.exchange(get("/_mock/stats", http::verb::delete_)).body());
  CHECK(reset["requests_total"].GetUint64() == 0);
  CHECK(reset["open_connections"].GetUint64() == 1);
}
