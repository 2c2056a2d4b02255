// Label cardinality: what a client chooses (users, request ids, model names, keys) never becomes
// a series. 10,000 requests that differ in all of those leave /metrics with as many series as
// before.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "exposition.hpp"
#include "harness.hpp"

using namespace switchyard::itest;
using namespace switchyard::otest;

TEST_CASE("ten thousand distinct users, request ids, models and keys add no series") {
  temp_dir dir;
  gateway gw(dir, config_builder()
                      .mock_provider("demo")
                      .model("chat", {{"demo", "demo-1"}})
                      .tenant("other", "sk-other-tenant-key-000000")
                      .render(dir));
  auto chat = [&](const std::string& model, const std::string& key, const std::string& id,
                  const std::string& user) {
    return http_request(gw.port(), "POST", "/v1/chat/completions",
                        chat_body(model, false, R"("user":")" + user + "\""),
                        {{"authorization", "Bearer " + key},
                         {"content-type", "application/json"},
                         {"x-request-id", id}});
  };
  // One request of each outcome first, so that every response code's series exists.
  REQUIRE(chat("chat", std::string{test_key}, "warm-1", "u").status == 200);
  REQUIRE(chat("unknown-model", std::string{test_key}, "warm-2", "u").status == 404);
  REQUIRE(chat("chat", "sk-not-a-key-000000000000", "warm-3", "u").status == 401);
  REQUIRE(chat("chat", "sk-other-tenant-key-000000", "warm-4", "u").status == 200);
  REQUIRE(eventually([&] {
    return get(gw.port(), "/metrics").body.find("\nswitchyard_request_actors_in_flight 0\n") !=
           std::string::npos;
  }));
  const auto before = get(gw.port(), "/metrics").body;

  constexpr int total = 10'000;
  constexpr int threads = 4;
  std::atomic<int> next{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < total;) {
        const std::string n = std::to_string(i);
        // Every request: its own user and x-request-id. Every 10th: a model nobody configured;
        // every 10th (another residue): a key nobody holds.
        std::string model = i % 10 == 3 ? "model-" + n : "chat";
        std::string key = i % 10 == 7 ? "sk-random-" + n + "-000000000000" : std::string{test_key};
        unsigned want = i % 10 == 3 ? 404 : i % 10 == 7 ? 401 : 200;
        try {
          if (chat(model, key, "card-" + n, "user-" + n).status != want) ++unexpected;
        } catch (const std::exception&) {
          ++unexpected;
        }
      }
    });
  for (auto& w : workers) w.join();
  CHECK(unexpected == 0);
  REQUIRE(eventually([&] {
    return get(gw.port(), "/metrics").body.find("\nswitchyard_request_actors_in_flight 0\n") !=
           std::string::npos;
  }));
  const auto after = get(gw.port(), "/metrics").body;

  CHECK(count_series(after) == count_series(before));
  const auto families_before = parse_exposition(before);
  const auto families_after = parse_exposition(after);
  for (const auto& [name, f] : families_after) {
    INFO(name);
    REQUIRE(families_before.count(name) == 1);
    CHECK(f.samples == families_before.at(name).samples);
  }
  for (const char* client_chosen : {"card-", "user-", "model-1", "sk-random"}) {
    INFO(client_chosen);
    CHECK(after.find(client_chosen) == std::string::npos);
  }
  // The load was counted: the series grew in value, not in number (2 warm-up requests, then 8 in
  // 10 of the 10,000 succeed).
  const std::string ok_series =
      R"(switchyard_requests_total{model="chat",provider="demo",route="chat",status_class="2xx"} )";
  auto pos = after.find(ok_series);
  REQUIRE(pos != std::string::npos);
  CHECK(std::stod(after.substr(pos + ok_series.size())) == 8002);
}
