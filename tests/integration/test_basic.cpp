// The happy paths through the real binary: chat (whole and streamed, with and without the usage
// chunk), models, embeddings, health, metrics and config checking.
#include <set>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// One standalone mock behind models `chat` and `embed`.
struct basic_fixture {
  temp_dir dir;
  mock_provider mock{dir, "up", mock_options().reply_tokens(12).seed(7)};
  gateway gw{dir, config_builder()
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .model("embed", {{"up", "mock-embedding"}})
                      .render(dir)};
};

}  // namespace

TEST_CASE_METHOD(basic_fixture, "basic: non-stream chat completion is served by the upstream") {
  auto before = mock.requests_total();
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "up");
  CHECK(r.header("content-type").find("application/json") != std::string::npos);
  CHECK(mock.requests_total() == before + 1);
}

TEST_CASE_METHOD(basic_fixture, "basic: every response carries a distinct x-request-id") {
  auto a = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  auto b = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
  auto c = get(gw.port(), "/v1/does-not-exist", test_key);
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK_FALSE(a.header("x-request-id").empty());
  CHECK_FALSE(c.header("x-request-id").empty());
  CHECK(a.header("x-request-id") != b.header("x-request-id"));
}

TEST_CASE_METHOD(basic_fixture,
                 "basic: stream without include_usage has no usage chunk and ends with [DONE]") {
  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  INFO("body: " << s.body());
  REQUIRE(s.status() == 200);
  REQUIRE(s.is_event_stream());
  CHECK_FALSE(s.header("x-request-id").empty());
  CHECK(s.header("x-switchyard-provider") == "up");
  auto events = s.rest();
  CHECK(s.end_reason() == "complete");
  auto sum = summarize(events);
  CHECK(sum.unparsable.empty());
  CHECK(sum.error_events == 0);
  CHECK(sum.done);
  CHECK_FALSE(sum.data_after_done);
  CHECK(sum.content_chunks >= 2);
  CHECK_FALSE(sum.content.empty());
  CHECK(sum.finish_reason == "stop");
  CHECK(sum.usage_chunks == 0);
}

TEST_CASE_METHOD(basic_fixture,
                 "basic: stream with include_usage ends with one usage chunk before [DONE]") {
  sse_stream s(gw.port(), "/v1/chat/completions",
               chat_body("chat", true, R"("stream_options":{"include_usage":true})"), test_key);
  INFO("body: " << s.body());
  REQUIRE(s.status() == 200);
  auto events = s.rest();
  CHECK(s.end_reason() == "complete");
  auto sum = summarize(events);
  CHECK(sum.error_events == 0);
  CHECK(sum.done);
  CHECK(sum.finish_reason == "stop");
  CHECK(sum.usage_chunks == 1);
  CHECK(sum.usage_last);
  // The usage chunk has the numbers, and an empty choices array as OpenAI sends it.
  REQUIRE(events.size() >= 2);
  rapidjson::Document last;
  last.Parse(events[events.size() - 2].c_str());
  REQUIRE_FALSE(last.HasParseError());
  auto* completion = json_at(last, "usage/completion_tokens");
  auto* prompt = json_at(last, "usage/prompt_tokens");
  auto* total = json_at(last, "usage/total_tokens");
  REQUIRE(completion);
  REQUIRE(prompt);
  REQUIRE(total);
  CHECK(completion->GetUint() > 0);
  CHECK(total->GetUint() == prompt->GetUint() + completion->GetUint());
  auto* choices = json_at(last, "choices");
  REQUIRE(choices);
  CHECK(choices->IsArray());
  CHECK(choices->Size() == 0);
}

TEST_CASE_METHOD(basic_fixture, "basic: models list names every configured model") {
  auto r = get(gw.port(), "/v1/models", test_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto doc = r.json();
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(json_string(doc, "object") == "list");
  auto* data = json_at(doc, "data");
  REQUIRE(data);
  REQUIRE(data->IsArray());
  std::set<std::string> ids;
  for (const auto& m : data->GetArray()) {
    ids.insert(json_string(m, "id"));
    CHECK(json_string(m, "object") == "model");
  }
  CHECK(ids == std::set<std::string>{"chat", "embed"});
}

TEST_CASE_METHOD(basic_fixture, "basic: embeddings are served by the upstream") {
  auto r = post_json(gw.port(), "/v1/embeddings", R"({"model":"embed","input":["hello","world"]})",
                     test_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("x-switchyard-provider") == "up");
  auto doc = r.json();
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(json_string(doc, "object") == "list");
  auto* data = json_at(doc, "data");
  REQUIRE(data);
  REQUIRE(data->IsArray());
  REQUIRE(data->Size() == 2);
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    auto* emb = json_at((*data)[i], "embedding");
    REQUIRE(emb);
    REQUIRE(emb->IsArray());
    CHECK(emb->Size() > 0);
    CHECK((*emb)[0].IsNumber());
    CHECK(json_at((*data)[i], "index")->GetUint() == i);
  }
  CHECK(json_at(doc, "usage/prompt_tokens") != nullptr);
}

TEST_CASE_METHOD(basic_fixture, "basic: health endpoints answer without a key") {
  auto live = get(gw.port(), "/health/live");
  CHECK(live.status == 200);
  auto ready = get(gw.port(), "/health/ready");
  CHECK(ready.status == 200);
}

TEST_CASE_METHOD(basic_fixture, "basic: metrics expose switchyard_requests_total after traffic") {
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key).status == 200);
  REQUIRE(post_json(gw.port(), "/v1/chat/completions", chat_body("nope"), test_key).status == 404);
  // The request is recorded when it ends, which may be just after the client has the answer.
  http_response m;
  bool seen = eventually([&] {
    m = get(gw.port(), "/metrics");
    return m.status == 200 && m.body.find("switchyard_requests_total{") != std::string::npos;
  });
  INFO(m.body);
  REQUIRE(seen);
  CHECK(m.header("content-type").find("text/plain") != std::string::npos);
  CHECK(m.body.find("# TYPE switchyard_requests_total counter") != std::string::npos);
}

TEST_CASE("basic: --check-config accepts a good file and rejects a bad one naming the key") {
  temp_dir dir;
  std::string out;
  auto good =
      config_builder().mock_provider("sim").model("demo-chat", {{"sim", "sim-1"}}).render(dir);
  CHECK(check_config(dir, good, &out) == 0);

  std::string bad = good + "\n";
  auto pos = bad.find("provider: sim");
  REQUIRE(pos != std::string::npos);
  bad.replace(pos, std::string("provider: sim").size(), "provider: nowhere");
  int code = check_config(dir, bad, &out);
  INFO(out);
  CHECK(code == 1);
  CHECK(out.find("nowhere") != std::string::npos);
}

TEST_CASE("basic: the in-process mock provider serves chat without any upstream") {
  temp_dir dir;
  gateway gw(
      dir,
      config_builder().mock_provider("sim").model("demo-chat", {{"sim", "sim-1"}}).render(dir));
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("demo-chat"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "sim");
  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("demo-chat", true), test_key);
  REQUIRE(s.status() == 200);
  auto sum = summarize(s.rest());
  CHECK(sum.done);
  CHECK_FALSE(sum.content.empty());
}
