// The in-process mock provider: chat (whole and streamed), embeddings, pacing, backpressure,
// cancel, timeouts and the commit race, with the same events as the HTTP client.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "protocols/openai_request.hpp"
#include "runtime/fake_channel.hpp"
#include "runtime/mock_exchange.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

struct mock_setup {
  explicit mock_setup(config::provider_config p = mock_provider("demo")) {
    snap = make_snapshot({std::move(p)});
    client = std::make_shared<upstream_client>(io.io, *snap, std::make_shared<tls_context>());
    channel = std::make_shared<fake_channel>(io.io);
  }
  io_runner io;
  event_fixture fx;
  std::shared_ptr<const config::snapshot> snap;
  std::shared_ptr<upstream_client> client;
  std::shared_ptr<fake_channel> channel;
};

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

protocols::inbound_request decode(const std::string& body) {
  auto r = protocols::decode_openai_request(protocols::api_kind::chat_completions, body);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("mock: a non-stream chat answer echoes the user and reports usage", "[upstream][mock]") {
  mock_setup t;
  t.client->start(t.fx.spec(t.snap, 0, chat_body), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);  // a whole answer reports its commit with its end
  const auto& fin = events[0];
  CHECK(fin.kind == attempt_event::finished);
  CHECK(fin.was_committed);
  CHECK(fin.usage.reported);
  CHECK(fin.usage.prompt_tokens == decode(chat_body).prompt_tokens_estimate);
  // "Hello from Switchyard's demo provider. You said:" (7 words) + 6 echoed words.
  CHECK(fin.usage.completion_tokens == 7 + 6);

  const auto rec = t.channel->snapshot();
  CHECK(rec.status == 200);
  CHECK(rec.content_type == "application/json");
  CHECK(header_value(rec.headers, "x-switchyard-provider") == "demo");
  rapidjson::Document doc;
  doc.Parse(rec.body.c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["object"].GetString()) == "chat.completion");
  CHECK(std::string(doc["model"].GetString()) == "up-model");
  CHECK(std::string(doc["choices"][0]["message"]["content"].GetString()) ==
        "Hello from Switchyard's demo provider. You said: hi there, how are you today?");
  CHECK(doc["usage"]["completion_tokens"].GetUint() == 13);
}

TEST_CASE("mock: reply words are the demo text, or exactly reply_tokens words",
          "[upstream][mock]") {
  const auto req = decode(
      R"({"model":"m","messages":[{"role":"user","content":"one two three four five six seven eight nine ten eleven twelve thirteen"},{"role":"assistant","content":"x"}]})");
  auto words = mock_exchange::reply_words(req, 0);
  REQUIRE(words.size() == 7 + mock_exchange::echoed_words);
  CHECK(words.front() == "Hello");
  CHECK(words.back() == "twelve");
  words = mock_exchange::reply_words(req, 30);
  CHECK(words.size() == 30);
  CHECK(words[19] == "Hello");  // cycles through the 19 demo words

  const auto parts = decode(
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"from parts"},{"type":"image_url","image_url":{"url":"x"}}]}]})");
  words = mock_exchange::reply_words(parts, 0);
  CHECK(words.back() == "parts");
  const auto none = decode(R"({"model":"m","messages":[{"role":"system","content":"s"}]})");
  CHECK(mock_exchange::reply_words(none, 0).back() == "nothing.");
}

TEST_CASE("mock: a stream is role, one chunk per word, finish, optional usage, [DONE]",
          "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.reply_tokens = 5;
  SECTION("without usage") {
    mock_setup t(p);
    t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true, false), t.channel);
    auto events = t.fx.until_final();
    REQUIRE(events.size() == 2);
    CHECK(events[1].kind == attempt_event::finished);
    CHECK(events[1].usage.completion_tokens == 5);
    const auto rec = t.channel->snapshot();
    CHECK(rec.stream_begun);
    CHECK(rec.stream_ended);
    CHECK(rec.off_strand_calls == 0);
    CHECK(count(rec.stream, "data: ") == 1 + 5 + 1 + 1);
    CHECK(count(rec.stream, "\"role\":\"assistant\"") == 1);
    CHECK(count(rec.stream, "\"finish_reason\":\"stop\"") == 1);
    CHECK(rec.stream.find("\"usage\"") == std::string::npos);
    CHECK(rec.stream.substr(rec.stream.size() - 14) == "data: [DONE]\n\n");
  }
  SECTION("with usage") {
    mock_setup t(p);
    t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true, true), t.channel);
    auto events = t.fx.until_final();
    CHECK(final_of(events).kind == attempt_event::finished);
    const auto rec = t.channel->snapshot();
    CHECK(count(rec.stream, "data: ") == 1 + 5 + 1 + 1 + 1);
    CHECK(count(rec.stream, "\"usage\"") == 1);
    CHECK(rec.stream.find("\"completion_tokens\":5") != std::string::npos);
  }
}

TEST_CASE("mock: embeddings have 256 dimensions unless the request names others",
          "[upstream][mock]") {
  mock_setup t;
  auto run = [&](const std::string& body) {
    auto channel = std::make_shared<fake_channel>(t.io.io);
    auto spec = t.fx.spec(t.snap, 0, body);
    spec.kind = protocols::api_kind::embeddings;
    spec.path = "/embeddings";
    t.client->start(std::move(spec), channel);
    auto events = t.fx.until_final();
    CHECK(final_of(events).kind == attempt_event::finished);
    return channel->snapshot();
  };
  auto rec = run(R"({"model":"e","input":["alpha","beta"]})");
  REQUIRE(rec.status == 200);
  rapidjson::Document doc;
  doc.Parse(rec.body.c_str());
  REQUIRE(doc.IsObject());
  REQUIRE(doc["data"].Size() == 2);
  CHECK(doc["data"][0]["embedding"].Size() == mock_exchange::default_embedding_dimensions);

  rec = run(R"({"model":"e","input":"alpha","dimensions":64})");
  doc.Parse(rec.body.c_str());
  REQUIRE(doc["data"].Size() == 1);
  CHECK(doc["data"][0]["embedding"].Size() == 64);

  // The same input gives the same vector.
  const auto again = run(R"({"model":"e","input":"alpha","dimensions":64})");
  CHECK(again.body == rec.body);

  rec = run(R"({"model":"e","input":"alpha","dimensions":0})");
  CHECK(rec.status == 400);
  CHECK(rec.body.find("dimensions") != std::string::npos);

  // What the OpenAI SDKs ask for: base64 of 64 little-endian float32 values (256 bytes).
  rec = run(R"({"model":"e","input":"alpha","dimensions":64,"encoding_format":"base64"})");
  REQUIRE(rec.status == 200);
  doc.Parse(rec.body.c_str());
  REQUIRE(doc["data"][0]["embedding"].IsString());
  CHECK(doc["data"][0]["embedding"].GetStringLength() == (256 + 2) / 3 * 4);

  rec = run(R"({"model":"e","input":"alpha","encoding_format":"hex"})");
  CHECK(rec.status == 400);
  CHECK(rec.body.find("encoding_format") != std::string::npos);
}

TEST_CASE("mock: latency and tokens_per_second pace the stream", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.latency = 40ms;
  p.mock.tokens_per_second = 100;  // 10 ms per token
  p.mock.reply_tokens = 10;
  mock_setup t(p);
  const auto t0 = std::chrono::steady_clock::now();
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == attempt_event::finished);
  CHECK(events[0].time_to_first_byte >= 40ms);
  // The first word goes with the first byte; nine more follow 10 ms apart.
  CHECK(elapsed >= 40ms + 90ms);
  const auto rec = t.channel->snapshot();
  CHECK(rec.stream_writes >= 10);  // paced words go out one by one
}

TEST_CASE("mock: a non-stream answer waits for its whole generation", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.tokens_per_second = 200;  // 5 ms per token
  p.mock.reply_tokens = 20;
  mock_setup t(p);
  const auto t0 = std::chrono::steady_clock::now();
  t.client->start(t.fx.spec(t.snap, 0, chat_body), t.channel);
  auto events = t.fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
  CHECK(std::chrono::steady_clock::now() - t0 >= 100ms);
}

TEST_CASE("mock: a slow client pauses the mock, and cancel ends it", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.reply_tokens = 50'000;  // far more than one stream buffer
  mock_setup t(p);
  t.channel->set_refusing(true);
  auto handle = t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto committed = t.fx.next();
  REQUIRE(committed);
  CHECK(committed->kind == attempt_event::committed);
  REQUIRE(t.channel->wait_for([](const auto& r) { return r.stream_writes == 1; }));
  CHECK_FALSE(t.fx.next(100ms).has_value());  // paused, not finished
  CHECK(t.channel->snapshot().stream_writes == 1);

  t.channel->release();  // one more batch, then refusing again is off: it runs to the end
  handle->cancel();
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  // Either the cancel or the end came first; exactly one final event in both cases.
  if (events[0].kind == attempt_event::failed) {
    CHECK(events[0].failure == attempt_failure::cancelled);
    CHECK(events[0].was_committed);
    CHECK(events[0].usage.completion_tokens < 50'000);
  }
  CHECK(t.channel->snapshot().writes_while_refused == 0);
}

TEST_CASE("mock: cancel while paused reports cancelled with the tokens sent", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.reply_tokens = 50'000;
  mock_setup t(p);
  t.channel->set_refusing(true);
  auto handle = t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  REQUIRE(t.fx.next());
  REQUIRE(t.channel->wait_for([](const auto& r) { return r.stream_writes == 1; }));
  handle->cancel();
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::cancelled);
  CHECK(events[0].was_committed);
  CHECK(events[0].stream_broken);  // the client got an error event
  CHECK(events[0].usage.completion_tokens > 0);
  CHECK(events[0].usage.completion_tokens < 50'000);
  const auto rec = t.channel->snapshot();
  CHECK(rec.stream_ended);
  CHECK(rec.stream.find("[DONE]") == std::string::npos);
}

TEST_CASE("mock: latency over the first-byte timeout times out uncommitted", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.latency = 2000ms;
  p.timeouts.first_byte = 50ms;
  mock_setup t(p);
  t.client->start(t.fx.spec(t.snap, 0, chat_body), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::first_byte_timeout);
  CHECK_FALSE(events[0].was_committed);
  CHECK(t.channel->snapshot().winner == fake_channel::nobody);
}

TEST_CASE("mock: pacing slower than the idle timeout breaks the stream", "[upstream][mock]") {
  auto p = mock_provider("demo");
  p.mock.tokens_per_second = 2;  // 500 ms per token
  p.mock.reply_tokens = 5;
  p.timeouts.idle = 50ms;
  mock_setup t(p);
  t.client->start(t.fx.spec(t.snap, 0, chat_stream_body, true), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 2);
  CHECK(events[1].failure == attempt_failure::idle_timeout);
  CHECK(events[1].stream_broken);
  CHECK(events[1].usage.completion_tokens == 1);
}

TEST_CASE("mock: losing the commit race reports lost_race", "[upstream][mock]") {
  mock_setup t;
  t.channel->commit_to_other(7);
  t.client->start(t.fx.spec(t.snap, 0, chat_body), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::lost_race);
  CHECK(t.channel->snapshot().status == 0);
}

TEST_CASE("mock: an undecodable body is a protocol failure", "[upstream][mock]") {
  mock_setup t;
  t.client->start(t.fx.spec(t.snap, 0, "{not json"), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::protocol);
  CHECK(events[0].detail.find("mock") != std::string::npos);
}

TEST_CASE("mock: a client gone before the start cancels the attempt", "[upstream][mock]") {
  mock_setup t;
  t.channel->disconnect();
  t.client->start(t.fx.spec(t.snap, 0, chat_body), t.channel);
  auto events = t.fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::cancelled);
  CHECK_FALSE(events[0].was_committed);
}
