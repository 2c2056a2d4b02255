// The route table and the bodies the gateway answers itself.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "runtime/routes.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;
using runtime::match_route;
using runtime::route;
using runtime::route_match;

TEST_CASE("known routes match their method", "[ingress][routes]") {
  struct row {
    const char* method;
    const char* target;
    route which;
  };
  for (auto r :
       {row{"POST", "/v1/chat/completions", route::chat_completions},
        row{"POST", "/v1/embeddings", route::embeddings}, row{"GET", "/v1/models", route::models},
        row{"GET", "/health/live", route::health_live},
        row{"GET", "/health/ready", route::health_ready}, row{"GET", "/metrics", route::metrics},
        row{"POST", "/v1/chat/completions?x=1", route::chat_completions},
        row{"POST", "/v1/messages", route::messages},
        row{"POST", "/v1/messages?beta=true", route::messages},
        row{"POST", "/v1/messages/count_tokens", route::count_tokens}}) {
    auto m = match_route(r.method, r.target);
    CHECK(m.outcome == route_match::found);
    CHECK(m.which == r.which);
  }
}

TEST_CASE("unknown paths are 404 and wrong methods 405 with Allow", "[ingress][routes]") {
  CHECK(match_route("GET", "/v1/nope").outcome == route_match::not_found);
  CHECK(match_route("POST", "/v1/chat/completions/").outcome == route_match::not_found);
  CHECK(match_route("POST", "/V1/chat/completions").outcome == route_match::not_found);
  CHECK(match_route("GET", "").outcome == route_match::not_found);
  CHECK(match_route("GET", "http://host/v1/models").outcome == route_match::not_found);

  auto m = match_route("GET", "/v1/chat/completions");
  CHECK(m.outcome == route_match::method_not_allowed);
  CHECK(m.allow == "POST");
  m = match_route("POST", "/v1/models");
  CHECK(m.outcome == route_match::method_not_allowed);
  CHECK(m.allow == "GET");
  CHECK(match_route("DELETE", "/metrics").allow == "GET");
}

TEST_CASE("route errors name the request and the right status", "[ingress][routes]") {
  auto nf = runtime::route_not_found_error("GET", "/v1/nope?key=secret");
  CHECK(protocols::http_status(nf.code) == 404);
  CHECK(nf.message.find("GET /v1/nope") != std::string::npos);
  CHECK(nf.message.find("secret") == std::string::npos);  // the query string is not echoed
  auto na = runtime::method_not_allowed_error("PUT", "/v1/models", "GET");
  CHECK(protocols::http_status(na.code) == 405);
  CHECK(na.message.find("use GET") != std::string::npos);
  auto hostile = runtime::route_not_found_error("GET", "/\x01\x02" + std::string(1000, 'a'));
  CHECK(hostile.message.size() < 400);
  CHECK(hostile.message.find('\x01') == std::string::npos);
}

TEST_CASE("only /v1 routes need a key", "[ingress][routes]") {
  CHECK(runtime::requires_auth(route::chat_completions));
  CHECK(runtime::requires_auth(route::embeddings));
  CHECK(runtime::requires_auth(route::models));
  CHECK(runtime::requires_auth(route::messages));
  CHECK(runtime::requires_auth(route::count_tokens));
  CHECK_FALSE(runtime::requires_auth(route::health_live));
  CHECK_FALSE(runtime::requires_auth(route::health_ready));
  CHECK_FALSE(runtime::requires_auth(route::metrics));
}

TEST_CASE("the model list holds the models a tenant may use", "[ingress][routes]") {
  auto cfg = test::make_ingress_config();
  auto ids = [&](const config::tenant_config& t) {
    rapidjson::Document d;
    d.Parse(runtime::models_list_body(*cfg, t).c_str());
    REQUIRE(d.IsObject());
    CHECK(std::string{d["object"].GetString()} == "list");
    std::vector<std::string> out;
    for (const auto& m : d["data"].GetArray()) {
      CHECK(std::string{m["object"].GetString()} == "model");
      CHECK(m["created"].GetInt() == 0);
      CHECK(std::string{m["owned_by"].GetString()} == "switchyard");
      out.emplace_back(m["id"].GetString());
    }
    return out;
  };
  CHECK(ids(cfg->tenants[0]) == std::vector<std::string>{"m1"});
  CHECK(ids(cfg->tenants[1]) == std::vector<std::string>{"m1", "m2"});
  config::tenant_config none;
  none.allowed_models = {"not-configured"};
  CHECK(ids(none).empty());
}

TEST_CASE("the Messages routes answer in Anthropic's dialect", "[ingress][routes]") {
  CHECK(runtime::route_dialect(route::messages) == protocols::dialect::anthropic);
  CHECK(runtime::route_dialect(route::count_tokens) == protocols::dialect::anthropic);
  CHECK(runtime::route_dialect(route::chat_completions) == protocols::dialect::openai);
  CHECK(runtime::route_dialect(route::models) == protocols::dialect::openai);
  CHECK(match_route("GET", "/v1/messages").allow == "POST");
}

TEST_CASE("one model is a GET under /v1/models/, its id percent-decoded", "[ingress][routes]") {
  auto m = match_route("GET", "/v1/models/gpt-4o-mini");
  CHECK(m.outcome == route_match::found);
  CHECK(m.which == route::model);
  CHECK(runtime::requires_auth(route::model));
  CHECK(runtime::model_id_of("/v1/models/gpt-4o-mini?x=1") == "gpt-4o-mini");
  CHECK(runtime::model_id_of("/v1/models/meta-llama%2FLlama-3-8B") == "meta-llama/Llama-3-8B");
  CHECK(runtime::model_id_of("/v1/models/meta-llama/Llama-3-8B") == "meta-llama/Llama-3-8B");
  CHECK(runtime::model_id_of("/v1/models/a%2") == "a%2");  // a broken escape stays as sent
  CHECK(match_route("GET", "/v1/models/").outcome == route_match::not_found);
  auto wrong = match_route("DELETE", "/v1/models/x");
  CHECK(wrong.outcome == route_match::method_not_allowed);
  CHECK(wrong.allow == "GET");

  auto cfg = test::make_ingress_config();
  rapidjson::Document d;
  d.Parse(runtime::model_body(cfg->models[0], false).c_str());
  CHECK(std::string{d["id"].GetString()} == "m1");
  CHECK(std::string{d["object"].GetString()} == "model");
  d.Parse(runtime::model_body(cfg->models[0], true).c_str());
  CHECK(std::string{d["type"].GetString()} == "model");
  CHECK(std::string{d["display_name"].GetString()} == "m1");
}

TEST_CASE("query parameters are found and percent-decoded", "[ingress][routes]") {
  using runtime::query_param;
  CHECK(query_param("/v1/generation?id=abc", "id") == "abc");
  CHECK(query_param("/v1/generation?x=1&id=a%2Fb&id=second", "id") == "a/b");  // the first
  CHECK(query_param("/v1/generation?id=", "id") == "");
  CHECK(query_param("/v1/generation?id", "id") == "");
  CHECK_FALSE(query_param("/v1/generation?identity=1", "id"));
  CHECK_FALSE(query_param("/v1/generation", "id"));
  CHECK(query_param("/v1/generation?id=a#frag", "id") == "a");
  CHECK(match_route("GET", "/v1/generation?id=a").which == route::generation);
  CHECK(runtime::requires_auth(route::generation));
}

TEST_CASE("a generation record in OpenRouter's shape", "[ingress][routes]") {
  actors::request_record r;
  r.request_id = "req-1";
  r.model = "chat";
  r.provider = "up";
  r.upstream_model = "gpt-x";
  r.stream = true;
  r.status = 200;
  r.attempts = 2;
  r.usage = {100, 20, 30, 5, true, 0};
  r.cost_usd = 0.5;
  r.duration = std::chrono::microseconds{12'500};
  r.time_to_first_byte = std::chrono::microseconds{2'000};
  r.finished_at = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
  rapidjson::Document d;
  d.Parse(runtime::generation_body(r).c_str());
  REQUIRE(d.IsObject());
  const auto& g = d["data"];
  CHECK(std::string{g["id"].GetString()} == "req-1");
  CHECK(std::string{g["created_at"].GetString()} == "2023-11-14T22:13:20Z");
  CHECK(std::string{g["provider_name"].GetString()} == "up");
  CHECK(g["streamed"].GetBool());
  CHECK(g["attempts"].GetUint() == 2);
  CHECK_FALSE(g["hedged"].GetBool());
  CHECK(g["tokens_prompt"].GetUint() == 100);
  CHECK(g["tokens_completion"].GetUint() == 20);
  CHECK(g["native_tokens_cached"].GetUint() == 30);
  CHECK(g["total_cost"].GetDouble() == Approx(0.5));
  CHECK(g["latency"].GetDouble() == Approx(12.5));
  r.provider.clear();
  d.Parse(runtime::generation_body(r).c_str());
  CHECK(d["data"]["provider_name"].IsNull());
}

TEST_CASE("paths under /v1/messages are refused in Anthropic's dialect", "[ingress][routes]") {
  CHECK(runtime::target_dialect("/v1/messages") == protocols::dialect::anthropic);
  CHECK(runtime::target_dialect("/v1/messages/batches?limit=1") == protocols::dialect::anthropic);
  CHECK(runtime::target_dialect("/v1/messagesX") == protocols::dialect::openai);
  CHECK(runtime::target_dialect("/v1/chat/completions") == protocols::dialect::openai);
}

TEST_CASE("Anthropic's model list holds the same models", "[ingress][routes]") {
  auto cfg = test::make_ingress_config();
  rapidjson::Document d;
  d.Parse(runtime::anthropic_models_list_body(*cfg, cfg->tenants[1]).c_str());
  REQUIRE(d.IsObject());
  REQUIRE(d["data"].Size() == 2);
  CHECK(std::string{d["data"][0]["type"].GetString()} == "model");
  CHECK(std::string{d["data"][0]["id"].GetString()} == "m1");
  CHECK(std::string{d["data"][1]["display_name"].GetString()} == "m2");
  CHECK(std::string{d["first_id"].GetString()} == "m1");
  CHECK(std::string{d["last_id"].GetString()} == "m2");
  CHECK_FALSE(d["has_more"].GetBool());
  config::tenant_config none;
  none.allowed_models = {"not-configured"};
  d.Parse(runtime::anthropic_models_list_body(*cfg, none).c_str());
  CHECK(d["data"].Empty());
  CHECK(d["first_id"].IsNull());
}

TEST_CASE("health bodies", "[ingress][routes]") {
  CHECK(runtime::health_live_body() == R"({"status":"ok"})");
  CHECK(runtime::health_ready_body(false) == R"({"status":"ready"})");
  CHECK(runtime::health_ready_body(true) == R"({"status":"draining"})");
}

TEST_CASE("/api/v1 aliases every /v1 route, and nothing else", "[ingress][routes]") {
  struct row {
    const char* method;
    const char* target;
    route which;
  };
  for (auto r : {row{"POST", "/api/v1/chat/completions", route::chat_completions},
                 row{"POST", "/api/v1/embeddings?x=1", route::embeddings},
                 row{"GET", "/api/v1/models", route::models},
                 row{"GET", "/api/v1/models/a%2Fb", route::model},
                 row{"GET", "/api/v1/generation?id=x", route::generation},
                 row{"POST", "/api/v1/messages", route::messages},
                 row{"POST", "/api/v1/messages/count_tokens", route::count_tokens}}) {
    INFO(r.target);
    auto m = match_route(r.method, r.target);
    CHECK(m.outcome == route_match::found);
    CHECK(m.which == r.which);
  }
  CHECK(runtime::model_id_of("/api/v1/models/a%2Fb") == "a/b");
  CHECK(runtime::target_dialect("/api/v1/messages") == protocols::dialect::anthropic);
  CHECK(runtime::target_dialect("/api/v1/chat/completions") == protocols::dialect::openai);
  CHECK(match_route("GET", "/api/v1/chat/completions").outcome == route_match::method_not_allowed);
  CHECK(match_route("GET", "/api/health/live").outcome == route_match::not_found);
  CHECK(match_route("GET", "/api/metrics").outcome == route_match::not_found);
  CHECK(match_route("GET", "/api/v1").outcome == route_match::not_found);
  CHECK(match_route("GET", "/api/api/v1/models").outcome == route_match::not_found);
}
