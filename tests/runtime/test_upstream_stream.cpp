// The pooled HTTP upstream client, streams: relay in order, usage chunk hidden or shown, the
// commit-on-first-event rule, broken streams, backpressure, client disconnects and cancel.
#include <catch2/catch.hpp>

#include <thread>

#include "protocols/provider_tag.hpp"
#include "runtime/fake_channel.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// head, three content chunks (one split across two HTTP chunks), the usage chunk, [DONE].
script normal_stream() {
  const std::string second = sse(content_chunk(" there"));
  return script{send(stream_head() + chunk(sse(content_chunk("Hello")))),
                send(chunk(second.substr(0, 20))),
                send(chunk(second.substr(20)) + chunk(sse(content_chunk("!")))),
                send(chunk(sse(usage_chunk(5, 3))) + chunk("data: [DONE]\n\n") + last_chunk())};
}

struct stream_setup {
  explicit stream_setup(responder r,
                        config::provider_config (*tune)(config::provider_config) = nullptr)
      : server(io.io, std::move(r)) {
    auto cfg = http_provider("local", server.port());
    if (tune != nullptr) cfg = tune(cfg);
    snap = make_snapshot({cfg});
    client = std::make_shared<upstream_client>(io.io, *snap, std::make_shared<tls_context>());
    channel = std::make_shared<fake_channel>(io.io);
  }

  io_runner io;
  event_fixture fx;
  test_upstream_server server;
  std::shared_ptr<const config::snapshot> snap;
  std::shared_ptr<upstream_client> client;
  std::shared_ptr<fake_channel> channel;
};

}  // namespace

TEST_CASE("upstream stream: events are relayed in order and the usage chunk is hidden",
          "[upstream][stream]") {
  stream_setup t([](const server_request&) { return normal_stream(); });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true, false), t.channel);
  auto events = t.fx.until_final();

  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == attempt_event::committed);
  const auto& fin = events[1];
  CHECK(fin.kind == attempt_event::finished);
  CHECK(fin.usage.prompt_tokens == 5);
  CHECK(fin.usage.completion_tokens == 3);
  CHECK(fin.time_to_first_byte.count() > 0);

  const auto rec = t.channel->snapshot();
  CHECK(rec.stream_begun);
  CHECK(rec.stream_ended);
  CHECK(rec.off_strand_calls == 0);
  CHECK(rec.calls_after_end == 0);
  CHECK(header_value(rec.headers, "x-request-id") == "req-1");
  CHECK(header_value(rec.headers, "x-switchyard-provider") == "local");
  const std::string expected = sse(content_chunk("Hello")) + sse(content_chunk(" there")) +
                               sse(content_chunk("!")) + "data: [DONE]\n\n";
  CHECK(rec.stream == switchyard::protocols::add_provider_to_events(
                          expected, "local"));  // each chunk names the provider
  CHECK(rec.stream.find("usage") == std::string::npos);

  const auto reqs = t.server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].headers.at("accept") == "text/event-stream");
  // [DONE] and the final chunk ended the message cleanly: the connection is pooled.
  CHECK(t.client->stats("local").idle == 1);
}

TEST_CASE("upstream stream: the usage chunk reaches a client that asked for it",
          "[upstream][stream]") {
  stream_setup t([](const server_request&) { return normal_stream(); });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true, true), t.channel);
  auto events = t.fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
  const auto rec = t.channel->snapshot();
  CHECK(count(rec.stream, "\"usage\"") == 1);
  CHECK(rec.stream.find(switchyard::protocols::add_provider_to_events(
            sse(usage_chunk(5, 3)), "local")) != std::string::npos);
  CHECK(rec.stream.size() >= 14);
  CHECK(rec.stream.substr(rec.stream.size() - 14) == "data: [DONE]\n\n");
}

TEST_CASE("upstream stream: a stream without events is empty_stream and uncommitted",
          "[upstream][stream]") {
  SECTION("[DONE] alone") {
    stream_setup t([](const server_request&) {
      return script{send(stream_head() + chunk(": keep-alive\n\n") + chunk("data: [DONE]\n\n") +
                         last_chunk())};
    });
    t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
    auto events = t.fx.until_final();
    REQUIRE(events.size() == 1);
    CHECK(events[0].failure == attempt_failure::empty_stream);
    CHECK_FALSE(events[0].was_committed);
    const auto rec = t.channel->snapshot();
    CHECK(rec.winner == fake_channel::nobody);
    CHECK_FALSE(rec.stream_begun);
    CHECK(rec.stream.empty());
  }
  SECTION("the message ends with no event at all") {
    stream_setup t(
        [](const server_request&) { return script{send(stream_head() + last_chunk())}; });
    t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
    auto events = t.fx.until_final();
    REQUIRE(events.size() == 1);
    CHECK(events[0].failure == attempt_failure::empty_stream);
    CHECK_FALSE(t.channel->snapshot().stream_begun);
  }
}

TEST_CASE("upstream stream: an error event before anything was relayed fails over, uncommitted",
          "[upstream][stream]") {
  // Content and then the error in the same read: nothing has reached the client yet.
  stream_setup t([](const server_request&) {
    return script{
        send(stream_head() + chunk(sse(content_chunk("a"))) +
             chunk(sse(R"({"error":{"message":"model overloaded","type":"server_error"}})")) +
             last_chunk())};
  });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::upstream_status);
  CHECK_FALSE(events[0].was_committed);
  CHECK(t.channel->snapshot().stream.empty());
}

TEST_CASE("upstream stream: a cut mid-stream ends the client stream with an error, never [DONE]",
          "[upstream][stream]") {
  stream_setup t([](const server_request&) {
    return script{
        send(stream_head() + chunk(sse(content_chunk("partial")))),
        send(chunk(sse(
            R"({"id":"c1","choices":[{"index":0,"delta":{"content":" more"}}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}})"))),
        hang_up()};
  });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();

  REQUIRE(events.size() == 2);
  CHECK(commits_in(events) == 1);
  const auto& fin = events[1];
  CHECK(fin.kind == attempt_event::failed);
  CHECK(fin.failure == attempt_failure::reset);
  CHECK(fin.was_committed);
  CHECK(fin.stream_broken);
  CHECK(fin.usage.prompt_tokens == 4);
  CHECK(fin.usage.completion_tokens == 2);

  const auto rec = t.channel->snapshot();
  CHECK(rec.stream_ended);
  CHECK(rec.stream.find("partial") != std::string::npos);
  CHECK(rec.stream.find("\"error\"") != std::string::npos);
  CHECK(rec.stream.find("upstream") != std::string::npos);
  CHECK(rec.stream.find("[DONE]") == std::string::npos);
  CHECK(rec.calls_after_end == 0);
}

TEST_CASE("upstream stream: an upstream error event mid-stream is relayed and breaks the stream",
          "[upstream][stream]") {
  const std::string upstream_error = R"({"error":{"message":"internal","type":"server_error"}})";
  stream_setup t([&](const server_request&) {
    return script{send(stream_head() + chunk(sse(content_chunk("a")))), wait_gate(),
                  send(chunk(sse(upstream_error)))};  // and then nothing: we must not wait
  });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto committed = t.fx.next();
  REQUIRE(committed);
  CHECK(committed->kind == attempt_event::committed);
  t.server.open_gate();
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  const auto& fin = events[0];
  CHECK(fin.kind == attempt_event::failed);
  CHECK(fin.failure == attempt_failure::upstream_status);
  CHECK(fin.was_committed);
  CHECK(fin.stream_broken);
  const auto rec = t.channel->snapshot();
  CHECK(rec.stream == switchyard::protocols::add_provider_to_events(
                          sse(content_chunk("a")) + sse(upstream_error), "local"));
  CHECK(rec.stream_ended);
  CHECK(t.server.wait_for([](const auto& s) { return s.client_closes() == 1; }));
}

TEST_CASE("upstream stream: the idle timeout breaks a stalled stream", "[upstream][stream]") {
  stream_setup t(
      [](const server_request&) {
        return script{send(stream_head() + chunk(sse(content_chunk("slow")))), wait_gate()};
      },
      [](config::provider_config p) {
        p.timeouts.idle = 50ms;
        return p;
      });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 2);
  CHECK(events[1].failure == attempt_failure::idle_timeout);
  CHECK(events[1].stream_broken);
  const auto rec = t.channel->snapshot();
  CHECK(rec.stream.find("\"error\"") != std::string::npos);
  CHECK(rec.stream.find("[DONE]") == std::string::npos);
  t.server.open_gate();
}

TEST_CASE("upstream stream: a JSON answer to a stream request is a protocol failure",
          "[upstream][stream]") {
  stream_setup t([](const server_request&) {
    return script{send(http_response(200, "application/json", completion_body("x", 1, 1)))};
  });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::protocol);
  CHECK_FALSE(events[0].was_committed);
}

TEST_CASE("upstream stream: cancel mid-stream reports one cancelled event and closes upstream",
          "[upstream][stream]") {
  // The script ends after one event: the server then waits for a next request, and so sees
  // the client close the connection.
  stream_setup t([](const server_request&) {
    return script{send(stream_head() + chunk(sse(content_chunk("first"))))};
  });
  auto handle = t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto committed = t.fx.next();
  REQUIRE(committed);
  CHECK(committed->kind == attempt_event::committed);

  // Idempotent and thread-safe: cancel from two threads and twice.
  std::thread other([&] { handle->cancel(); });
  handle->cancel();
  other.join();
  handle->cancel();

  auto events = t.fx.until_final(5s, 150ms);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == attempt_event::failed);
  CHECK(events[0].failure == attempt_failure::cancelled);
  CHECK(events[0].was_committed);
  CHECK(t.server.wait_for([](const auto& s) { return s.client_closes() == 1; }));
  const auto rec = t.channel->snapshot();
  CHECK(rec.stream_ended);
  CHECK(rec.stream.find("[DONE]") == std::string::npos);
  CHECK(t.client->stats("local").idle == 0);
}

TEST_CASE("upstream stream: a slow client pauses upstream reads until resumed",
          "[upstream][stream]") {
  // Second part held back until the test opens the gate, so the first read cannot hold it all.
  stream_setup t([](const server_request&) {
    return script{send(stream_head() + chunk(sse(content_chunk("one")))), wait_gate(),
                  send(chunk(sse(content_chunk("two"))) + chunk(sse(content_chunk("three")))),
                  send(chunk("data: [DONE]\n\n") + last_chunk())};
  });
  t.channel->set_refusing(true);
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto committed = t.fx.next();
  REQUIRE(committed);
  CHECK(committed->kind == attempt_event::committed);
  REQUIRE(t.channel->wait_for([](const auto& r) { return r.stream_writes == 1; }));
  CHECK(t.channel->waiting_for_resume());

  // Everything else is now in the socket; a paused attempt must not read it.
  t.server.open_gate();
  REQUIRE(t.server.wait_for([](const auto& s) { return s.scripts_done() == 1; }));
  CHECK_FALSE(t.fx.next(200ms).has_value());
  auto rec = t.channel->snapshot();
  CHECK(rec.stream_writes == 1);
  CHECK(rec.writes_while_refused == 0);
  CHECK_FALSE(rec.stream_ended);

  t.channel->release();
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == attempt_event::finished);
  rec = t.channel->snapshot();
  CHECK(rec.stream == switchyard::protocols::add_provider_to_events(
                          sse(content_chunk("one")) + sse(content_chunk("two")) +
                              sse(content_chunk("three")) + "data: [DONE]\n\n",
                          "local"));
  CHECK(rec.stream_ended);
  CHECK(rec.writes_while_refused == 0);
}

TEST_CASE("upstream stream: a client that left stops the upstream exchange", "[upstream][stream]") {
  stream_setup t([](const server_request&) {
    return script{send(stream_head() + chunk(sse(content_chunk("one")))), wait_gate(),
                  send(chunk(sse(content_chunk("two"))))};
  });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto committed = t.fx.next();
  REQUIRE(committed);
  t.channel->disconnect();
  t.server.open_gate();  // the next write finds the client gone

  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::cancelled);
  CHECK(events[0].was_committed);
  CHECK_FALSE(events[0].stream_broken);
  CHECK(t.server.wait_for([](const auto& s) { return s.client_closes() == 1; }));
  CHECK(t.client->stats("local").idle == 0);
}

TEST_CASE("upstream stream: the total timeout breaks a committed stream", "[upstream][stream]") {
  stream_setup t(
      [](const server_request&) {
        return script{send(stream_head() + chunk(sse(content_chunk("x")))), wait_gate()};
      },
      [](config::provider_config p) {
        p.timeouts.idle = 0ms;
        p.timeouts.total = 100ms;
        return p;
      });
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 2);
  CHECK(events[1].failure == attempt_failure::total_timeout);
  CHECK(events[1].stream_broken);
  CHECK(t.channel->snapshot().stream.find("\"error\"") != std::string::npos);
  t.server.open_gate();
}
