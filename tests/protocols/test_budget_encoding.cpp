// A budget's output cap in every dialect's upstream body, and `usage.cost` in what clients get.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "protocols/anthropic_codec.hpp"
#include "protocols/upstream_request.hpp"
#include "protocols/usage_cost.hpp"

using namespace switchyard::protocols;

namespace {

inbound_request openai_in(std::string_view body) {
  auto r = decode_openai_request(api_kind::chat_completions, body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return std::move(r).value();
}

inbound_request anthropic_in(std::string_view body) {
  auto r = decode_anthropic_request(body);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  return inbound_from_anthropic(std::move(r).value());
}

rapidjson::Document encoded(const inbound_request& req, dialect d, std::optional<std::uint32_t> cap,
                            bool legacy = false) {
  upstream_target t;
  t.upstream = d;
  t.model = "up";
  t.max_tokens = cap;
  t.legacy_max_tokens = legacy;
  auto r = encode_upstream_request(req, t);
  if (!r.ok()) FAIL("unexpected error: " << r.error().message);
  rapidjson::Document doc;
  doc.Parse(r.value().body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::uint32_t member(const rapidjson::Document& d, const char* name) {
  REQUIRE(d.HasMember(name));
  return d[name].GetUint();
}

constexpr std::string_view openai_both =
    R"({"model":"gw","messages":[{"role":"user","content":"Hi"}],"max_tokens":500,"max_completion_tokens":400})";
constexpr std::string_view openai_none =
    R"({"model":"gw","messages":[{"role":"user","content":"Hi"}]})";
constexpr std::string_view anthropic_body =
    R"({"model":"gw","max_tokens":300,"messages":[{"role":"user","content":"Hi"}]})";

}  // namespace

TEST_CASE("budget cap: OpenAI passthrough lowers both limits, or adds one", "[budget]") {
  auto both = encoded(openai_in(openai_both), dialect::openai, 100);
  CHECK(member(both, "max_tokens") == 100);
  CHECK(member(both, "max_completion_tokens") == 100);
  auto above = encoded(openai_in(openai_both), dialect::openai, 450);
  CHECK(member(above, "max_tokens") == 450);
  CHECK(member(above, "max_completion_tokens") == 400);  // already below the cap
  auto added = encoded(openai_in(openai_none), dialect::openai, 64);
  CHECK(member(added, "max_completion_tokens") == 64);
  CHECK_FALSE(added.HasMember("max_tokens"));
  auto legacy = encoded(openai_in(openai_none), dialect::openai, 64, true);
  CHECK(member(legacy, "max_tokens") == 64);
  auto uncapped = encoded(openai_in(openai_none), dialect::openai, std::nullopt);
  CHECK_FALSE(uncapped.HasMember("max_tokens"));
  CHECK_FALSE(uncapped.HasMember("max_completion_tokens"));
}

TEST_CASE("budget cap: across dialects the canonical limit is capped", "[budget]") {
  auto to_anthropic = encoded(openai_in(openai_both), dialect::anthropic, 100);
  CHECK(member(to_anthropic, "max_tokens") == 100);
  auto none_to_anthropic = encoded(openai_in(openai_none), dialect::anthropic, 77);
  CHECK(member(none_to_anthropic, "max_tokens") == 77);
  auto to_gemini = encoded(openai_in(openai_none), dialect::gemini, 55);
  CHECK(to_gemini["generationConfig"]["maxOutputTokens"].GetUint() == 55);
  auto from_anthropic = encoded(anthropic_in(anthropic_body), dialect::openai, 120);
  CHECK(member(from_anthropic, "max_completion_tokens") == 120);
  // A client that sent both OpenAI limits: no uncapped copy survives translation.
  auto both_to_openai = encoded(openai_in(openai_both), dialect::gemini, 90);
  CHECK(both_to_openai["generationConfig"]["maxOutputTokens"].GetUint() == 90);
}

TEST_CASE("budget cap: Anthropic passthrough lowers max_tokens", "[budget]") {
  auto capped = encoded(anthropic_in(anthropic_body), dialect::anthropic, 100);
  CHECK(member(capped, "max_tokens") == 100);
  auto under = encoded(anthropic_in(anthropic_body), dialect::anthropic, 1000);
  CHECK(member(under, "max_tokens") == 300);
}

TEST_CASE("usage cost: the shared formula bills cached prompt tokens at the cached price") {
  usage u;
  u.prompt_tokens = 1000;
  u.cached_tokens = 400;
  u.completion_tokens = 200;
  CHECK(cost_usd({2.0, 8.0, 0.5}, u) == Approx((600 * 2.0 + 400 * 0.5 + 200 * 8.0) / 1e6));
  CHECK(cost_usd({2.0, 8.0, 0}, u) == Approx((1000 * 2.0 + 200 * 8.0) / 1e6));
}

TEST_CASE("usage cost: added to a whole response's usage, other members kept") {
  const std::string body =
      R"({"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7},"z":1})";
  const auto out = with_usage_cost(body, 0.0125);
  CHECK(
      out ==
      R"({"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"cost":0.0125},"z":1})");
  CHECK(with_usage_cost(out, 0.5).find("\"cost\":0.5}") != std::string::npos);  // replaced
  CHECK(with_usage_cost(R"({"id":"x","usage":null})", 1) == R"({"id":"x","usage":null})");
  CHECK(with_usage_cost("not json", 1) == "not json");
}

TEST_CASE("usage cost: added to the stream event that carries usage only") {
  const std::string sse =
      "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":2}}\n\n"
      "data: [DONE]\n\n";
  const auto out = with_stream_usage_cost(sse, 0.25);
  CHECK(out ==
        "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
        "data: "
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"cost\":0.25}}\n\n"
        "event: message_delta\ndata: "
        "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":2,\"cost\":0.25}}\n\n"
        "data: [DONE]\n\n");
  const std::string plain = "data: {\"a\":1}\n\n";
  CHECK(with_stream_usage_cost(plain, 1) == plain);
}
