// OpenRouter-style routing controls: decoding, their 400s, that no encoder forwards them, and the
// `provider` member added to answers.
#include <catch2/catch.hpp>

#include <string>

#include "protocols/openai_request.hpp"
#include "protocols/provider_tag.hpp"
#include "protocols/routing_controls.hpp"
#include "protocols/upstream_request.hpp"

using namespace switchyard::protocols;

namespace {

std::string chat_with(const std::string& extra) {
  return R"({"model":"chat","messages":[{"role":"user","content":"hi"}])" +
         (extra.empty() ? std::string{} : "," + extra) + "}";
}

routing_controls decode_ok(const std::string& extra, api_kind kind = api_kind::chat_completions) {
  const std::string body = kind == api_kind::embeddings
                               ? R"({"model":"e","input":"hi",)" + extra + "}"
                               : chat_with(extra);
  auto r = decode_openai_request(kind, body);
  INFO(body);
  INFO((r.ok() ? std::string{} : r.error().message));
  REQUIRE(r.ok());
  return r.value().controls;
}

error_info decode_err(const std::string& extra) {
  auto r = decode_openai_request(api_kind::chat_completions, chat_with(extra));
  INFO(extra);
  REQUIRE_FALSE(r.ok());
  CHECK(http_status(r.error().code) == 400);
  return r.error();
}

}  // namespace

TEST_CASE("routing controls: absent or null keep the defaults", "[routing_controls]") {
  for (const auto* extra : {"", R"("models":null,"provider":null,"route":null)"}) {
    auto c = decode_ok(extra);
    CHECK(c.fallback_models.empty());
    CHECK(c.order.empty());
    CHECK(c.only.empty());
    CHECK(c.ignore.empty());
    CHECK(c.allow_fallbacks);
    CHECK(c.sort == provider_sort::none);
    CHECK_FALSE(c.max_prompt_price);
    CHECK_FALSE(c.max_completion_price);
    CHECK_FALSE(c.deny_data_collection);
    CHECK_FALSE(c.require_zdr);
  }
}

TEST_CASE("routing controls: every field decodes", "[routing_controls]") {
  auto c = decode_ok(
      R"("models":["chat","b","c","b"],"route":"fallback",)"
      R"("provider":{"order":["x","y"],"only":["x"],"ignore":["z"],"allow_fallbacks":false,)"
      R"("sort":"latency","max_price":{"prompt":1.5,"completion":0},)"
      R"("data_collection":"deny","zdr":true})");
  CHECK(c.fallback_models == std::vector<std::string>{"b", "c"});  // primary and repeats gone
  CHECK(c.order == std::vector<std::string>{"x", "y"});
  CHECK(c.only == std::vector<std::string>{"x"});
  CHECK(c.ignore == std::vector<std::string>{"z"});
  CHECK_FALSE(c.allow_fallbacks);
  CHECK(c.sort == provider_sort::latency);
  CHECK(c.max_prompt_price == 1.5);
  CHECK(c.max_completion_price == 0.0);
  CHECK(c.deny_data_collection);
  CHECK(c.require_zdr);
  CHECK(decode_ok(R"("provider":{"sort":"price"})").sort == provider_sort::price);
  CHECK(decode_ok(R"("provider":{"sort":"throughput"})").sort == provider_sort::throughput);
  CHECK_FALSE(decode_ok(R"("provider":{"data_collection":"allow"})").deny_data_collection);
  CHECK(decode_ok(R"("provider":{"only":["x"]})", api_kind::embeddings).only ==
        std::vector<std::string>{"x"});
}

TEST_CASE("routing controls: bad values are 400s naming the field", "[routing_controls]") {
  struct bad_case {
    const char* extra;
    const char* param;
    const char* says;
  };
  const bad_case cases[] = {
      {R"("models":"b")", "models", "array"},
      {R"("models":[1])", "models[0]", "non-empty string"},
      {R"("models":[""])", "models[0]", "non-empty string"},
      {R"("route":"sort")", "route", "fallback"},
      {R"("route":true)", "route", "fallback"},
      {R"("provider":[])", "provider", "object"},
      {R"("provider":{"sort":"cheapest"})", "provider.sort", "\"price\""},
      {R"("provider":{"sort":1})", "provider.sort", "\"throughput\""},
      {R"("provider":{"order":"x"})", "provider.order", "array"},
      {R"("provider":{"only":[null]})", "provider.only[0]", "non-empty string"},
      {R"("provider":{"ignore":{}})", "provider.ignore", "array"},
      {R"("provider":{"allow_fallbacks":"no"})", "provider.allow_fallbacks", "boolean"},
      {R"("provider":{"zdr":1})", "provider.zdr", "boolean"},
      {R"("provider":{"data_collection":"maybe"})", "provider.data_collection", "\"deny\""},
      {R"("provider":{"data_collection":false})", "provider.data_collection", "\"allow\""},
      {R"("provider":{"max_price":3})", "provider.max_price", "object"},
      {R"("provider":{"max_price":{"prompt":-1}})", "provider.max_price.prompt", "non-negative"},
      {R"("provider":{"max_price":{"completion":"1"}})", "provider.max_price.completion", "number"},
      {R"("provider":{"max_price":{"image":1}})", "provider.max_price.image", "`prompt`"},
      {R"("provider":{"onlyy":["x"]})", "provider.onlyy", "order, only, ignore"},
  };
  for (const auto& c : cases) {
    auto e = decode_err(c.extra);
    CHECK(e.param == c.param);
    CHECK_THAT(e.message, Catch::Contains(c.param) && Catch::Contains(c.says));
  }
}

TEST_CASE("routing controls: lists and names are bounded", "[routing_controls]") {
  std::string many = R"("models":[)";
  for (std::size_t i = 0; i <= max_control_list; ++i)
    many += (i ? ",\"m" : "\"m") + std::to_string(i) + "\"";
  many += "]";
  CHECK(decode_err(many).param == "models");
  const std::string long_name(257, 'x');
  CHECK(decode_err(R"("provider":{"only":[")" + long_name + R"("]})").param == "provider.only[0]");
  // An unknown key is echoed, but cut to a bounded length.
  const std::string long_key(5000, 'k');
  auto e = decode_err(R"("provider":{")" + long_key + R"(":1})");
  CHECK(e.message.size() < 1000);
}

TEST_CASE("routing controls: never forwarded upstream", "[routing_controls]") {
  const std::string body = chat_with(
      R"("models":["b"],"route":"fallback","provider":{"only":["x"],"zdr":true},"temperature":0.5)");
  auto r = decode_openai_request(api_kind::chat_completions, body);
  REQUIRE(r.ok());
  for (auto up : {dialect::openai, dialect::anthropic, dialect::gemini}) {
    INFO(dialect_name(up));
    auto enc = encode_upstream_request(r.value(), {up, "upstream-model", false});
    REQUIRE(enc.ok());  // not an unsupported field either
    CHECK(enc.value().body.find("\"provider\"") == std::string::npos);
    CHECK(enc.value().body.find("\"models\"") == std::string::npos);
    CHECK(enc.value().body.find("\"route\"") == std::string::npos);
    CHECK(enc.value().dropped.empty());
  }
  CHECK(encode_openai_upstream(r.value(), "u") ==
        R"({"model":"u","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
}

TEST_CASE("routing controls: :floor and :nitro model variants", "[routing_controls]") {
  CHECK(split_model_variant("m:floor") ==
        std::pair<std::string_view, provider_sort>{"m", provider_sort::price});
  CHECK(split_model_variant("a/b:nitro") ==
        std::pair<std::string_view, provider_sort>{"a/b", provider_sort::throughput});
  CHECK(split_model_variant("m") ==
        std::pair<std::string_view, provider_sort>{"m", provider_sort::none});
  CHECK(split_model_variant(":floor").second == provider_sort::none);  // no base name
  CHECK(split_model_variant("m:free").second == provider_sort::none);
}

TEST_CASE("provider tag: whole bodies get a first `provider` member", "[provider_tag]") {
  CHECK(add_provider_member(R"({"id":"x"})", "a") == R"({"provider":"a","id":"x"})");
  CHECK(add_provider_member("  {  }", "a") == R"(  {"provider":"a"  })");
  CHECK(add_provider_member(R"([1])", "a") == "[1]");
  CHECK(add_provider_member("", "a").empty());
  // An upstream that already names a provider (a router behind the gateway) keeps its own.
  CHECK(add_provider_member(R"({"provider":"up","id":1})", "a") == R"({"provider":"up","id":1})");
  // The word inside a string is not a member.
  CHECK(add_provider_member(R"({"c":"\"provider\""})", "a") ==
        R"({"provider":"a","c":"\"provider\""})");
  CHECK(add_provider_member("{}", "q\"x") == R"({"provider":"q\"x"})");
}

TEST_CASE("provider tag: every data event of a stream, nothing else", "[provider_tag]") {
  const std::string in =
      ": keep-alive\n\n"
      "data: {\"id\":1}\n\n"
      "event: x\ndata:{\"id\":2}\n\n"
      "data: [DONE]\n\n";
  CHECK(add_provider_to_events(in, "p") ==
        ": keep-alive\n\n"
        "data: {\"provider\":\"p\",\"id\":1}\n\n"
        "event: x\ndata:{\"provider\":\"p\",\"id\":2}\n\n"
        "data: [DONE]\n\n");
  CHECK(add_provider_to_events("data: {\"a\":1}", "p") == "data: {\"provider\":\"p\",\"a\":1}");
  CHECK(add_provider_to_events("", "p").empty());
}
