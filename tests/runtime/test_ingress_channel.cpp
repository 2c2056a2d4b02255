// http_channel: whole and streamed responses, chunked framing, the bounded stream queue with its
// resume callback, the commit race, and writes to clients that left or stopped reading.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/http_channel.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using runtime::client_channel;

namespace {

std::shared_ptr<runtime::http_channel> channel_of(const actors::request_context& ctx) {
  auto ch = std::dynamic_pointer_cast<runtime::http_channel>(ctx.sink);
  REQUIRE(ch);
  return ch;
}

// Sends one chat request on `c` and returns its context from the fake control plane.
actors::request_context submit(test_server& srv, test_client& c, bool stream = true) {
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1", stream), bearer(key_a)));
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  return std::move(*ctx);
}

bool wait_gone(caf::scoped_actor& self) {
  bool told = false;
  self->receive([&](actors::client_gone_atom) { told = true; },
                caf::after(std::chrono::seconds(10)) >> [] {});
  return told;
}

/// The listener hears of the client leaving from whichever handler sees it first; the write that
/// timed out may complete a moment later. Waits for `pred` up to five seconds.
template <class Pred>
bool eventually(Pred pred) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("send_full writes one response with the request id and safe extra headers",
          "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto ctx = submit(srv, c, false);
  auto ch = channel_of(ctx);
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(3));
    ch->send_full(201, "application/json", R"({"x":1})",
                  {{"x-switchyard-provider", "p1"},
                   {"x-evil", "a\r\nSet-Cookie: pwned=1"},
                   {"Content-Length", "999"},
                   {"x-request-id", "spoofed"}});
  });
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 201);
  CHECK(res->body() == R"({"x":1})");
  CHECK(res->at("x-switchyard-provider") == "p1");
  CHECK(res->find("x-evil") == res->end());
  CHECK(res->find(http::field::set_cookie) == res->end());
  CHECK(res->at("x-request-id") == ctx.request_id);
  CHECK(res->keep_alive());
}

TEST_CASE("a stream is chunked, one chunk per write, and ends with the last chunk",
          "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto ctx = submit(srv, c);
  auto ch = channel_of(ctx);
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->begin_stream({{"x-switchyard-provider", "p1"}});
    CHECK(ch->write_stream("data: a\n\n", [] {}));
    CHECK(ch->write_stream("", [] {}));  // nothing to send: no (terminating) empty chunk
    CHECK(ch->write_stream("data: bb\n\n", [] {}));
    ch->end_stream();
    CHECK_FALSE(ch->write_stream("data: late\n\n", [] {}));  // after end_stream
  });
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->at(http::field::content_type) == "text/event-stream");
  CHECK(res->at(http::field::cache_control) == "no-cache");
  CHECK(res->at("x-request-id") == ctx.request_id);
  CHECK(res->at("x-switchyard-provider") == "p1");
  CHECK(res->chunked());
  CHECK(res->body() == "data: a\n\ndata: bb\n\n");
  CHECK(c.chunk_sizes == std::vector<std::uint64_t>{9, 10, 0});

  // The connection is kept alive for the next request.
  auto next = submit(srv, c, false);
  auto ch2 = channel_of(next);
  on_strand(ch2->executor(), [&] {
    REQUIRE(ch2->try_commit(1));
    ch2->send_full(200, "application/json", "{}", {});
  });
  REQUIRE(c.read_response());
}

TEST_CASE("write_stream asks the writer to wait above 64 KiB and resumes it once",
          "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto ctx = submit(srv, c);
  auto ch = channel_of(ctx);
  std::atomic<int> resumed{0};
  std::promise<void> resumed_promise;
  std::string expected;
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->begin_stream({});
    const std::string piece(30 * 1024, 'x');
    CHECK(ch->write_stream(piece, [] { FAIL("resumed although it was told to go on"); }));
    CHECK(ch->write_stream(piece, [] { FAIL("resumed although it was told to go on"); }));
    CHECK(ch->queued_bytes() == 2 * piece.size());
    bool go_on = ch->write_stream(piece, [&] {
      // On the strand, once the queue is below the limit again.
      CHECK(ch->queued_bytes() < client_channel::stream_buffer_limit);
      if (++resumed == 1) {
        CHECK(ch->write_stream("data: end\n\n", [] {}));
        ch->end_stream();
        resumed_promise.set_value();
      }
    });
    CHECK_FALSE(go_on);
    expected = piece + piece + piece + "data: end\n\n";
  });
  REQUIRE(resumed_promise.get_future().wait_for(5s) == std::future_status::ready);
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->body().size() == expected.size());
  CHECK(res->body() == expected);
  CHECK(resumed.load() == 1);
  CHECK(c.chunk_sizes == std::vector<std::uint64_t>{30 * 1024, 30 * 1024, 30 * 1024, 11, 0});
}

TEST_CASE("send_error after a commit is a no-op, from any thread", "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto ctx = submit(srv, c, false);
  auto ch = channel_of(ctx);
  REQUIRE(ctx.sink->try_commit(2));
  CHECK_FALSE(ctx.sink->try_commit(3));
  CHECK_FALSE(ctx.sink->try_commit(actors::response_sink::error_attempt));
  std::thread other{[&] {
    ctx.sink->send_error(protocols::make_error(protocols::gateway_error::internal, "no"));
  }};
  other.join();
  on_strand(ch->executor(), [&] { ch->send_full(200, "application/json", R"({"winner":2})", {}); });
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->body() == R"({"winner":2})");
}

TEST_CASE("send_error from another thread answers with the error's status and headers",
          "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto ctx = submit(srv, c, false);
  std::thread other{[&] {
    ctx.sink->send_error(protocols::make_error(protocols::gateway_error::overloaded,
                                               "All targets are busy.", {}, 7));
  }};
  other.join();
  CHECK_FALSE(ctx.sink->try_commit(1));  // the error claimed the response
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 503);
  CHECK(res->at(http::field::retry_after) == "7");
  CHECK(res->at("x-request-id") == ctx.request_id);
  CHECK(res->at(http::field::content_type) == "application/json");
  CHECK(res->body() == protocols::openai_error_body(protocols::make_error(
                           protocols::gateway_error::overloaded, "All targets are busy.", {}, 7)));
  CHECK(res->keep_alive());
}

TEST_CASE("a stream to a client that left reports it and never resumes", "[ingress][channel]") {
  test_actors actors;  // outlives the server, whose channels hold listener handles
  test_server srv{make_ingress_config()};
  caf::scoped_actor self{actors.system};
  test_client c{srv.port()};
  auto ctx = submit(srv, c);
  auto ch = channel_of(ctx);
  ctx.sink->set_listener(caf::actor{self});
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->begin_stream({});
    CHECK(ch->write_stream("data: 1\n\n", [] {}));
  });
  c.close();
  REQUIRE(wait_gone(self));
  bool resumed = false;
  on_strand(ch->executor(), [&] {
    CHECK(ch->client_gone());
    CHECK_FALSE(ch->write_stream(std::string(100 * 1024, 'x'), [&] { resumed = true; }));
    ch->end_stream();
  });
  on_strand(ch->executor(), [] {});  // anything the writes scheduled has run
  CHECK_FALSE(resumed);
}

TEST_CASE("a client that stops reading is cut off after write_timeout", "[ingress][channel]") {
  test_actors actors;  // outlives the server, whose channels hold listener handles
  auto cfg = make_ingress_config();
  cfg->server.write_timeout = 200ms;
  test_server srv{cfg};
  caf::scoped_actor self{actors.system};
  test_client c{srv.port()};
  c.socket().set_option(net::socket_base::receive_buffer_size(4096));
  auto ctx = submit(srv, c);
  auto ch = channel_of(ctx);
  ctx.sink->set_listener(caf::actor{self});
  bool resumed = false;
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->begin_stream({});
    // Far more than the socket buffers hold, so the write cannot finish while nobody reads.
    CHECK_FALSE(ch->write_stream(std::string(64 * 1024 * 1024, 'x'), [&] { resumed = true; }));
  });
  REQUIRE(wait_gone(self));
  on_strand(ch->executor(), [&] { CHECK(ch->client_gone()); });
  CHECK_FALSE(resumed);
  CHECK(eventually([&] { return srv.server().stats().write_failures_total.load() >= 1; }));
  CHECK(srv.server().stats().write_failures_total.load() == 1);
}

TEST_CASE("an HTTP/1.0 stream is sent unframed and ends by closing", "[ingress][channel]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto body = chat_body("m1", true);
  c.send("POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer " + std::string{key_a} +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  auto ch = channel_of(*ctx);
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->begin_stream({});
    ch->write_stream("data: x\n\n", [] {});
    ch->end_stream();
  });
  auto raw = c.read_until_close();
  CHECK(raw.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(raw.find("Transfer-Encoding") == std::string::npos);
  CHECK(raw.size() > 9);
  CHECK(raw.substr(raw.size() - 9) == "data: x\n\n");
}
