// The real ingress server on an ephemeral port with a fake control plane: routing, auth, limits,
// timeouts, keep-alive, pipelining and client disconnects, as a client sees them.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <caf/scoped_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/http_channel.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

std::string error_code_of(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (!d.IsObject() || !d.HasMember("error") || !d["error"]["code"].IsString())
    return "<not an OpenAI error>";
  return d["error"]["code"].GetString();
}

std::string error_message_of(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (!d.IsObject() || !d.HasMember("error")) return {};
  return d["error"]["message"].GetString();
}

std::shared_ptr<runtime::client_channel> channel_of(const actors::request_context& ctx) {
  return std::dynamic_pointer_cast<runtime::client_channel>(ctx.sink);
}

// Answers `ctx` with a small JSON 200 on its strand.
void answer(const actors::request_context& ctx, std::string body = R"({"ok":true})") {
  auto ch = channel_of(ctx);
  REQUIRE(ch);
  on_strand(ch->executor(), [&] {
    REQUIRE(ch->try_commit(1));
    ch->send_full(200, "application/json", body, {});
  });
}

}  // namespace

TEST_CASE("health endpoints answer without a key", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/health/live"));
  auto live = c.read_response();
  REQUIRE(live);
  CHECK(live->result_int() == 200);
  CHECK(live->body() == R"({"status":"ok"})");
  CHECK(live->at(http::field::content_type) == "application/json");
  CHECK(live->at("x-request-id").size() == 32);
  c.send(raw_request("GET", "/health/ready"));  // same connection: keep-alive
  auto ready = c.read_response();
  REQUIRE(ready);
  CHECK(ready->result_int() == 200);
  CHECK(ready->body() == R"({"status":"ready"})");
}

TEST_CASE("unknown routes answer 404, wrong methods 405 with Allow", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/v1/nothing-here", {}, bearer(key_a)));
  auto nf = c.read_response();
  REQUIRE(nf);
  CHECK(nf->result_int() == 404);
  CHECK(error_code_of(nf->body()) ==
        protocols::openai_error_code(protocols::gateway_error::route_not_found));
  c.send(raw_request("GET", "/v1/chat/completions", {}, bearer(key_a)));
  auto na = c.read_response();
  REQUIRE(na);
  CHECK(na->result_int() == 405);
  CHECK(na->at(http::field::allow) == "POST");
  CHECK(srv.pending_requests() == 0);
}

TEST_CASE("API routes need a valid key", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body()));
  auto missing = c.read_response();
  REQUIRE(missing);
  CHECK(missing->result_int() == 401);
  CHECK(error_message_of(missing->body()).find("Authorization: Bearer") != std::string::npos);

  c.send(raw_request("GET", "/v1/models", {}, bearer("sk-not-a-real-key")));
  auto unknown = c.read_response();
  REQUIRE(unknown);
  CHECK(unknown->result_int() == 401);
  CHECK(error_message_of(unknown->body()).rfind("Incorrect API key provided", 0) == 0);
  CHECK(unknown->body().find("sk-not-a-real-key") == std::string::npos);
  CHECK(srv.pending_requests() == 0);
}

TEST_CASE("GET /v1/models lists the caller's models", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/v1/models", {}, {{"x-api-key", key_a}}));
  auto a = c.read_response();
  REQUIRE(a);
  CHECK(a->result_int() == 200);
  CHECK(a->body().find(R"("id":"m1")") != std::string::npos);
  CHECK(a->body().find(R"("id":"m2")") == std::string::npos);
  c.send(raw_request("GET", "/v1/models", {}, bearer(key_b)));
  auto b = c.read_response();
  REQUIRE(b);
  CHECK(b->body().find(R"("id":"m2")") != std::string::npos);
}

TEST_CASE("an invalid body answers 400 and never reaches the control plane", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", R"({"model":)", bearer(key_a)));
  auto bad = c.read_response();
  REQUIRE(bad);
  CHECK(bad->result_int() == 400);
  c.send(raw_request("POST", "/v1/embeddings", R"({"model":"m1"})", bearer(key_a)));
  auto no_input = c.read_response();
  REQUIRE(no_input);
  CHECK(no_input->result_int() == 400);
  CHECK(srv.pending_requests() == 0);
}

TEST_CASE("a valid request reaches the control plane authenticated and decoded",
          "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto headers = bearer(key_a);
  headers.emplace_back("x-request-id", "client-id.42");
  headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1", true), headers));
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  CHECK(ctx->request_id == "client-id.42");
  REQUIRE(ctx->tenant);
  CHECK(ctx->tenant->name == "team-a");
  CHECK(ctx->key_prefix == config::visible_prefix(key_a));
  CHECK(ctx->request.kind == protocols::api_kind::chat_completions);
  CHECK(ctx->request.model == "m1");
  CHECK(ctx->request.stream);
  CHECK(ctx->received.time_since_epoch().count() != 0);
  answer(*ctx, R"({"answer":1})");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->body() == R"({"answer":1})");
  CHECK(res->at("x-request-id") == "client-id.42");

  // Embeddings reach it too, and an invalid client id is replaced.
  c.send(raw_request("POST", "/v1/embeddings", R"({"model":"m2","input":"x"})",
                     {{"x-api-key", key_b}, {"x-request-id", "bad id with spaces"}}));
  auto emb = srv.next_request();
  REQUIRE(emb);
  CHECK(emb->request.kind == protocols::api_kind::embeddings);
  CHECK(emb->tenant->name == "team-b");
  CHECK(emb->request_id.size() == 32);
  answer(*emb);
  auto res2 = c.read_response();
  REQUIRE(res2);
  CHECK(res2->at("x-request-id") == emb->request_id);
}

TEST_CASE("pipelined requests are answered one at a time, in order", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1"), bearer(key_a)) +
         raw_request("POST", "/v1/chat/completions", chat_body("m2"), bearer(key_b)));
  auto first = srv.next_request();
  REQUIRE(first);
  CHECK(first->request.model == "m1");
  // The second request is read only after the first response: nothing else was handed over, and
  // the buffered bytes were not mistaken for a disconnect.
  CHECK(srv.pending_requests() == 0);
  CHECK_FALSE(channel_of(*first)->client_gone());
  answer(*first, R"({"n":1})");
  auto second = srv.next_request();
  REQUIRE(second);
  CHECK(second->request.model == "m2");
  answer(*second, R"({"n":2})");
  auto r1 = c.read_response();
  auto r2 = c.read_response();
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(r1->body() == R"({"n":1})");
  CHECK(r2->body() == R"({"n":2})");
}

TEST_CASE("a body over max_body_bytes answers 413 and closes", "[ingress][session]") {
  auto cfg = make_ingress_config();
  cfg->server.max_body_bytes = 1024;
  test_server srv{cfg};
  std::string big = R"({"model":"m1","messages":[{"role":"user","content":")" +
                    std::string(2000, 'a') + R"("}]})";
  SECTION("with Content-Length") {
    test_client c{srv.port()};
    c.send(raw_request("POST", "/v1/chat/completions", big, bearer(key_a)));
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK(error_code_of(res->body()) ==
          protocols::openai_error_code(protocols::gateway_error::payload_too_large));
    CHECK_FALSE(res->keep_alive());
    CHECK(c.closed_by_server());
  }
  SECTION("chunked") {
    test_client c{srv.port()};
    std::string req =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        "Authorization: Bearer " +
        std::string{key_a} + "\r\n\r\n";
    for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'a') + "\r\n";
    req += "0\r\n\r\n";
    c.send(req);
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK(c.closed_by_server());
  }
  CHECK(srv.pending_requests() == 0);
}

TEST_CASE("a body within max_body_bytes is accepted", "[ingress][session]") {
  auto cfg = make_ingress_config();
  test_server srv{cfg};
  std::string body = R"({"model":"m1","messages":[{"role":"user","content":")" +
                     std::string(60 * 1024, 'a') + R"("}]})";
  REQUIRE(body.size() < cfg->server.max_body_bytes);
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", body, bearer(key_a)));
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  answer(*ctx);
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
}

TEST_CASE("headers over max_header_bytes answer 431 and close", "[ingress][session]") {
  test_server srv{make_ingress_config()};  // 4 KiB of headers
  test_client c{srv.port()};
  c.send(raw_request("GET", "/health/live", {}, {{"X-Padding", std::string(8000, 'p')}}));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 431);
  CHECK(error_code_of(res->body()) ==
        protocols::openai_error_code(protocols::gateway_error::payload_too_large));
  CHECK(c.closed_by_server());
}

TEST_CASE("malformed HTTP answers 400 and closes", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  for (std::string garbage : {"NOT HTTP AT ALL\r\n\r\n", "GET /health/live HTTP/9.9\r\n\r\n",
                              "POST /v1/embeddings HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
    test_client c{srv.port()};
    c.send(garbage);
    auto res = c.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 400);
    CHECK(error_code_of(res->body()) ==
          protocols::openai_error_code(protocols::gateway_error::bad_request));
    CHECK(c.closed_by_server());
  }
}

TEST_CASE("a request that arrives too slowly answers 408 (slow loris)", "[ingress][session]") {
  auto cfg = make_ingress_config();
  cfg->server.read_timeout = 200ms;
  test_server srv{cfg};
  test_client c{srv.port()};
  c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"model\":");
  auto res = c.read_response(3s);
  REQUIRE(res);
  CHECK(res->result_int() == 408);
  CHECK(error_code_of(res->body()) ==
        protocols::openai_error_code(protocols::gateway_error::request_timeout));
  CHECK_FALSE(res->keep_alive());
  CHECK(c.closed_by_server());
  CHECK(srv.server().stats().read_timeouts_total.load() == 1);
}

TEST_CASE("an idle connection is closed after idle_timeout", "[ingress][session]") {
  auto cfg = make_ingress_config();
  cfg->server.idle_timeout = 200ms;
  test_server srv{cfg};
  test_client c{srv.port()};
  c.send(raw_request("GET", "/health/live"));
  REQUIRE(c.read_response());
  CHECK(c.closed_by_server(3s));
  CHECK(srv.server().stats().idle_closes_total.load() == 1);
}

TEST_CASE("Expect: 100-continue gets an interim response before the body", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  auto body = chat_body();
  c.send(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nAuthorization: "
      "Bearer " +
      std::string{key_a} + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  REQUIRE(c.read_continue());
  c.send(body);
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  answer(*ctx);
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
}

TEST_CASE("a client that leaves mid-request is reported to the listener", "[ingress][session]") {
  test_actors actors;  // outlives the server, whose channels hold listener handles
  test_server srv{make_ingress_config()};
  caf::scoped_actor self{actors.system};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body(), bearer(key_a)));
  auto ctx = srv.next_request();
  REQUIRE(ctx);
  ctx->sink->set_listener(caf::actor{self});
  c.close();
  bool told = false;
  self->receive([&](actors::client_gone_atom) { told = true; },
                caf::after(std::chrono::seconds(5)) >> [] {});
  CHECK(told);
  CHECK(channel_of(*ctx)->client_gone());
  // A listener named afterwards hears it at once.
  caf::scoped_actor late{actors.system};
  ctx->sink->set_listener(caf::actor{late});
  bool told_late = false;
  late->receive([&](actors::client_gone_atom) { told_late = true; },
                caf::after(std::chrono::seconds(5)) >> [] {});
  CHECK(told_late);
  CHECK(srv.server().stats().client_disconnects_total.load() == 1);
}

TEST_CASE("a request nobody answers gets a 500", "[ingress][session]") {
  // A control plane that drops the request without a word: the channel's last reference goes.
  test_server srv{make_ingress_config(), [](actors::request_context) {}};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body(), bearer(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 500);
  CHECK(error_code_of(res->body()) ==
        protocols::openai_error_code(protocols::gateway_error::internal));
}

TEST_CASE("max_connections pauses accepting until a connection closes", "[ingress][session]") {
  auto cfg = make_ingress_config();
  cfg->server.max_connections = 1;
  test_server srv{cfg};
  test_client a{srv.port()};
  a.send(raw_request("GET", "/health/live"));
  REQUIRE(a.read_response());
  test_client b{srv.port()};  // completes in the kernel's backlog, not accepted
  b.send(raw_request("GET", "/health/live"));
  CHECK_FALSE(b.read_response(300ms));
  CHECK(srv.server().stats().connections_accepted_total.load() == 1);
  a.close();
  auto res = b.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
}

TEST_CASE("drain closes idle connections and ends busy ones after their response",
          "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client idle{srv.port()};
  idle.send(raw_request("GET", "/health/live"));
  REQUIRE(idle.read_response());
  test_client busy{srv.port()};
  busy.send(raw_request("POST", "/v1/chat/completions", chat_body(), bearer(key_a)));
  auto ctx = srv.next_request();
  REQUIRE(ctx);

  std::promise<void> idle_promise;
  auto drained = idle_promise.get_future();
  srv.server().drain([&] { idle_promise.set_value(); });
  CHECK(idle.closed_by_server());
  CHECK(srv.server().draining());
  CHECK(drained.wait_for(0s) == std::future_status::timeout);  // the busy connection is still open

  answer(*ctx);
  auto res = busy.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK_FALSE(res->keep_alive());  // Connection: close
  CHECK(busy.closed_by_server());
  CHECK(drained.wait_for(5s) == std::future_status::ready);
  CHECK(srv.exporter().scrape().find("switchyard_draining 1") != std::string::npos);
}

TEST_CASE("readiness answers 503 while draining", "[ingress][session]") {
  test_server srv{make_ingress_config()};
  test_client c{srv.port()};
  // A request whose headers arrive before the drain and its body after it; the interim
  // 100 Continue proves the server has read the headers.
  c.send(
      "GET /health/ready HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  REQUIRE(c.read_continue());
  srv.server().drain([] {});
  c.send("{}");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 503);
  CHECK(res->body() == R"({"status":"draining"})");
  CHECK_FALSE(res->keep_alive());
}
