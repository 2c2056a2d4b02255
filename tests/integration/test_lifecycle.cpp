// Request and process lifecycle: a disconnecting client frees its provider slot, a full provider
// sheds load with 503 + Retry-After, and SIGTERM drains in-flight streams before a clean exit.
#include <csignal>
#include <future>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// A mock whose streams last about 100 s (10 tokens/s, 1000 tokens): only a cancel ends them in
// test time. Non-stream answers are not paced, and `max_tokens` caps a stream.
mock_options endless_streams() {
  return mock_options().tokens_per_second(10).reply_tokens(1000);
}

std::int64_t open_upstream_connections(mock_provider& mock) {
  auto doc = mock.stats();
  auto* v = json_at(doc, "open_connections");
  return v && v->IsInt64() ? v->GetInt64() : -1;
}

}  // namespace

TEST_CASE("lifecycle: a client that disconnects mid-stream frees the provider slot") {
  temp_dir dir;
  mock_provider mock(dir, "up", endless_streams());
  gateway gw(
      dir, config_builder()
               .provider("up", mock.base_url(),
                         {{"max_in_flight", "1"}, {"max_queue", "1"}, {"queue_timeout_ms", "1000"}})
               .model("chat", {{"up", "mock-gpt"}})
               .render(dir));
  {
    sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
    REQUIRE(s.status() == 200);
    REQUIRE(s.next());  // committed: the only slot is taken
    REQUIRE(s.next());
    s.disconnect();
  }
  // The upstream exchange is cancelled: the mock sees its connection close (the one left open is
  // the stats request itself), and the stream never completes.
  CHECK(eventually([&] { return open_upstream_connections(mock) <= 1; }));
  CHECK(json_at(mock.stats(), "streams_completed")->GetUint64() == 0);

  // The slot is free again: a new request is served at once, not after the queue timeout.
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  sse_stream again(gw.port(), "/v1/chat/completions", chat_body("chat", true, R"("max_tokens":3)"),
                   test_key);
  REQUIRE(again.status() == 200);
  auto sum = summarize(again.rest());
  CHECK(sum.done);
}

TEST_CASE(
    "lifecycle: a provider with its slot and queue full sheds the next request with 503 and "
    "Retry-After") {
  temp_dir dir;
  mock_provider mock(dir, "up", endless_streams());
  gateway gw(
      dir,
      config_builder()
          .provider("up", mock.base_url(),
                    {{"max_in_flight", "1"}, {"max_queue", "1"}, {"queue_timeout_ms", "20000"}})
          .model("chat", {{"up", "mock-gpt"}})
          .render(dir));

  sse_stream busy(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(busy.status() == 200);
  REQUIRE(busy.next());  // holds the one slot for ~100 s

  // Two more: one waits in the queue (size 1), the other must be refused at once.
  auto send = [&] {
    return post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key, 30s);
  };
  auto f1 = std::async(std::launch::async, send);
  auto f2 = std::async(std::launch::async, send);
  std::future<http_response>* refused = nullptr;
  std::future<http_response>* queued = nullptr;
  REQUIRE(eventually([&] {
    if (f1.wait_for(0s) == std::future_status::ready)
      refused = &f1, queued = &f2;
    else if (f2.wait_for(0s) == std::future_status::ready)
      refused = &f2, queued = &f1;
    return refused != nullptr;
  }));
  auto shed = refused->get();
  require_openai_error(shed, 503);
  CHECK_FALSE(shed.header("retry-after").empty());
  CHECK(std::stoi(shed.header("retry-after")) >= 1);
  CHECK(queued->wait_for(0s) != std::future_status::ready);  // still waiting for the slot

  // Free the slot: the queued request is served.
  busy.disconnect();
  auto served = queued->get();
  require_chat_completion(served);
}

TEST_CASE(
    "lifecycle: SIGTERM lets an in-flight stream finish, refuses new connections and exits 0") {
  temp_dir dir;
  // 80 tokens at 20/s: a stream of about 4 s.
  mock_provider mock(dir, "up", mock_options().tokens_per_second(20).reply_tokens(80));
  gateway gw(dir, config_builder()
                      .server("drain_timeout_ms", "30000")
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key, 20s);
  REQUIRE(s.status() == 200);
  REQUIRE(s.next());
  gw.proc().signal(SIGTERM);

  CHECK(eventually([&] { return !can_connect(gw.port()); }, 5s));
  CHECK(gw.proc().running());  // still draining the stream

  auto events = s.rest(20s);
  auto sum = summarize(events);
  CHECK(s.end_reason() == "complete");
  CHECK(sum.error_events == 0);
  CHECK(sum.done);
  CHECK(sum.finish_reason == "stop");

  auto code = gw.proc().wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE(
    "lifecycle: SIGTERM with only idle keep-alive connections exits 0 without waiting out the "
    "drain timeout") {
  temp_dir dir;
  mock_provider mock(dir, "up");
  gateway gw(dir, config_builder()
                      .server("drain_timeout_ms", "60000")
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));

  raw_connection idle(gw.port());
  std::string body = chat_body("chat");
  REQUIRE(idle.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                    std::string(test_key) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body));
  require_chat_completion(idle.read_response());

  gw.proc().signal(SIGTERM);
  auto code = gw.proc().wait_exit(15s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(idle.closed_by_peer(5s));
}

TEST_CASE(
    "lifecycle: a stream that outlives drain_timeout_ms is ended and the process still exits 0") {
  temp_dir dir;
  mock_provider mock(dir, "up", endless_streams());
  gateway gw(dir, config_builder()
                      .server("drain_timeout_ms", "500")
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  REQUIRE(s.next());
  gw.proc().signal(SIGTERM);

  auto code = gw.proc().wait_exit(15s);
  REQUIRE(code);
  CHECK(*code == 0);
  // The client learns the stream did not finish: never a fake [DONE].
  auto sum = summarize(s.rest(5s));
  CHECK_FALSE(sum.done);
}
