// The ingress server in front of the real control plane and the in-process mock provider:
// what a client sees end to end, and what the control plane learns about it.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "test_ingress_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

std::shared_ptr<config::snapshot> paced_config(double tokens_per_second,
                                               std::uint32_t reply_tokens) {
  auto cfg = make_ingress_config();
  cfg->providers[0].mock.tokens_per_second = tokens_per_second;
  cfg->providers[0].mock.reply_tokens = reply_tokens;
  return cfg;
}

}  // namespace

TEST_CASE("a chat completion is served end to end", "[ingress][gateway]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  auto headers = bearer(key_a);
  headers.emplace_back("x-request-id", "e2e-1");
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1"), headers));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->at("x-request-id") == "e2e-1");
  rapidjson::Document d;
  d.Parse(res->body().c_str());
  REQUIRE(d.IsObject());
  CHECK(std::string{d["object"].GetString()} == "chat.completion");
  CHECK(d["choices"].GetArray().Size() == 1);

  auto rec = srv.records().next();
  REQUIRE(rec);
  CHECK(rec->request_id == "e2e-1");
  CHECK(rec->tenant == "team-a");
  CHECK(rec->model == "m1");
  CHECK(rec->provider == "p1");
  CHECK(rec->status == 200);
  auto text = srv.exporter().scrape();
  CHECK(
      text.find(
          R"(switchyard_requests_total{model="m1",provider="p1",route="chat",status_class="2xx"} 1)") !=
      std::string::npos);
  CHECK(text.find(R"(switchyard_provider_admitted_total{provider="p1"} 1)") != std::string::npos);
  CHECK(text.find("switchyard_request_actors_started_total 1") != std::string::npos);
}

TEST_CASE("a streamed chat completion arrives as chunked SSE ending in [DONE]",
          "[ingress][gateway]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1", true), bearer(key_a)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  CHECK(res->at(http::field::content_type) == "text/event-stream");
  CHECK(res->chunked());
  CHECK(res->body().rfind("data: ", 0) == 0);
  CHECK(res->body().size() > 14);
  CHECK(res->body().substr(res->body().size() - 14) == "data: [DONE]\n\n");
  auto rec = srv.records().next();
  REQUIRE(rec);
  CHECK(rec->stream);
  CHECK(rec->status == 200);
}

TEST_CASE("embeddings are served end to end", "[ingress][gateway]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/embeddings", R"({"model":"m2","input":["a","b"]})",
                     {{"x-api-key", key_b}}));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 200);
  rapidjson::Document d;
  d.Parse(res->body().c_str());
  REQUIRE(d.IsObject());
  CHECK(d["data"].GetArray().Size() == 2);
  auto rec = srv.records().next();
  REQUIRE(rec);
  CHECK(rec->kind == protocols::api_kind::embeddings);
}

TEST_CASE("control-plane errors reach the client as OpenAI errors", "[ingress][gateway]") {
  test_server srv{make_ingress_config(), with_gateway};
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("no-such-model"), bearer(key_b)));
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result_int() == 404);
  CHECK(res->body().find(R"("code":"model_not_found")") != std::string::npos);
  REQUIRE(srv.records().next());
  // The connection stays usable.
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1"), bearer(key_b)));
  auto ok = c.read_response();
  REQUIRE(ok);
  CHECK(ok->result_int() == 200);
  REQUIRE(srv.records().next());
}

TEST_CASE("a client leaving mid-stream ends the request as client-gone", "[ingress][gateway]") {
  test_server srv{paced_config(20, 400), with_gateway};  // a 20-second stream
  test_client c{srv.port()};
  c.send(raw_request("POST", "/v1/chat/completions", chat_body("m1", true), bearer(key_a)));
  REQUIRE(c.read_header_status() == 200u);  // the stream has begun
  c.close();
  auto rec = srv.records().next(10s);
  REQUIRE(rec);
  CHECK(rec->client_gone);
  CHECK(rec->status == 200);
  CHECK(rec->duration < std::chrono::seconds{10});
}
