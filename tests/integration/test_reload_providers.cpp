// Hot reload of `providers:` through the real binary: SIGHUP adds a provider (and a model on it)
// that serves at once, re-points a provider at another upstream while a stream on the old one
// finishes intact, removes a provider together with its /metrics series, and changes providers
// under load without failing a single request.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <thread>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Writes `yaml`, sends SIGHUP and waits until the gateway logged its `reloads`-th success.
void reload(const temp_dir& dir, gateway& gw, const std::string& yaml, std::size_t reloads) {
  dir.write("switchyard.yaml", yaml);
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually(
      [&] { return count_of(gw.proc().stderr_text(), "configuration reloaded") >= reloads; }));
}

std::string metrics_text(const gateway& gw) {
  return get(gw.port(), "/metrics").body;
}

// The value of the unlabelled sample `name` in the exposition, or -1.
double gauge(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  at += name.size() + 2;
  return std::stod(text.substr(at, text.find('\n', at) - at));
}

constexpr std::string_view admin_key = "adm-itest-reload-0123456789";

// The provider names `GET /admin/providers` lists, in order.
std::vector<std::string> admin_providers(const gateway& gw) {
  auto r = get(gw.port(), "/admin/providers", admin_key);
  REQUIRE(r.status == 200);
  auto doc = r.json();
  std::vector<std::string> out;
  for (const auto& p : json_at(doc, "data")->GetArray()) out.push_back(p["name"].GetString());
  return out;
}

}  // namespace

TEST_CASE("reload: a provider and a model on it, added by SIGHUP, serve at once") {
  temp_dir dir;
  mock_provider extra(dir, "extra");
  gateway gw(dir,
             config_builder().mock_provider("main").model("chat", {{"main", "m"}}).render(dir));
  require_openai_error(post_json(gw.port(), "/v1/chat/completions", chat_body("fresh"), test_key),
                       404, "model_not_found");
  CHECK(metrics_text(gw).find("provider=\"extra\"") == std::string::npos);

  reload(dir, gw,
         config_builder()
             .mock_provider("main")
             .provider("extra", extra.base_url())
             .model("chat", {{"main", "m"}})
             .model("fresh", {{"extra", "mock-gpt"}})
             .render(dir),
         1);
  CHECK(gw.proc().stderr_text().find("provider `extra` added") != std::string::npos);
  auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("fresh"), test_key);
  require_chat_completion(r);
  CHECK(r.header("x-switchyard-provider") == "extra");
  CHECK(extra.requests_total() == 1);
  const auto m = metrics_text(gw);
  CHECK(m.find("switchyard_provider_admitted_total{provider=\"extra\"} 1") != std::string::npos);
  CHECK(m.find("switchyard_provider_circuit_state{provider=\"extra\"}") != std::string::npos);
  // The model that was there serves on, on the provider that was kept.
  require_chat_completion(
      post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
}

TEST_CASE(
    "reload: a provider re-pointed at another upstream takes new requests there; a stream "
    "in flight on the old one finishes intact") {
  temp_dir dir;
  mock_provider old_up(dir, "old", mock_options().tokens_per_second(20).reply_tokens(120));
  mock_provider new_up(dir, "new");
  auto config_at = [&](const mock_provider& up) {
    return config_builder()
        .provider("up", up.base_url())
        .model("chat", {{"up", "mock-gpt"}})
        .render(dir);
  };
  gateway gw(dir, config_at(old_up));

  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  auto first = s.next();
  REQUIRE(first);  // committed on the old upstream, about 6 s of tokens to go

  reload(dir, gw, config_at(new_up), 1);

  CHECK(gw.proc().stderr_text().find("provider `up` has a new upstream") != std::string::npos);
  for (int i = 0; i < 3; ++i)
    require_chat_completion(
        post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
  CHECK(new_up.requests_total() == 3);
  CHECK(old_up.requests_total() == 1);
  // The stream really spans the reload: the old upstream is still sending it now.
  auto old_stats = old_up.stats();
  REQUIRE(old_stats["streams"].GetUint64() == 1);
  REQUIRE(old_stats["streams_completed"].GetUint64() == 0);

  auto events = s.rest();
  events.insert(events.begin(), *first);
  INFO("end: " << s.end_reason() << ", events: " << events.size());
  auto sum = summarize(events);
  CHECK(s.end_reason() == "complete");
  CHECK(sum.done);
  CHECK(sum.error_events == 0);
  CHECK(sum.finish_reason == "stop");
  CHECK(sum.content_chunks >= 110);
}

TEST_CASE("reload: a removed provider's model is unknown and its series leave /metrics") {
  temp_dir dir;
  mock_provider gone(dir, "gone");
  gateway gw(dir, config_builder()
                      .server("admin_key", std::string{admin_key})
                      .mock_provider("main")
                      .provider("gone", gone.base_url())
                      .model("chat", {{"main", "m"}})
                      .model("old", {{"gone", "mock-gpt"}})
                      .render(dir));
  CHECK(admin_providers(gw) == std::vector<std::string>{"main", "gone"});
  require_chat_completion(post_json(gw.port(), "/v1/chat/completions", chat_body("old"), test_key));
  // Counted once the request actors are gone: then only long-lived actors remain.
  auto idle = [&] { return gauge(metrics_text(gw), "switchyard_request_actors_in_flight") == 0; };
  REQUIRE(eventually(idle));
  auto before = metrics_text(gw);
  const double actors_before = gauge(before, "switchyard_actors_running");
  REQUIRE(actors_before > 0);
  CHECK(before.find("switchyard_provider_in_flight{provider=\"gone\"}") != std::string::npos);
  CHECK(before.find("provider=\"gone\"") != std::string::npos);

  reload(dir, gw,
         config_builder()
             .server("admin_key", std::string{admin_key})
             .mock_provider("main")
             .model("chat", {{"main", "m"}})
             .render(dir),
         1);
  CHECK(gw.proc().stderr_text().find("provider `gone` removed") != std::string::npos);
  CHECK(admin_providers(gw) == std::vector<std::string>{"main"});
  require_openai_error(post_json(gw.port(), "/v1/chat/completions", chat_body("old"), test_key),
                       404, "model_not_found");
  const auto after = metrics_text(gw);
  INFO(after);
  CHECK(after.find("provider=\"gone\"") == std::string::npos);
  CHECK(after.find("switchyard_provider_in_flight{provider=\"main\"}") != std::string::npos);
  CHECK(gone.requests_total() == 1);
  require_chat_completion(
      post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
  // Nothing reaches `gone`'s actor any more: it has stopped (nothing else came or went).
  REQUIRE(eventually(idle));
  CHECK(eventually(
      [&] { return gauge(metrics_text(gw), "switchyard_actors_running") == actors_before - 1; }));
}

TEST_CASE("reload: a file whose providers do not validate is refused; the old providers serve") {
  temp_dir dir;
  mock_provider up(dir, "up");
  gateway gw(dir, config_builder()
                      .provider("up", up.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));
  auto bad = config_builder()
                 .provider("up", "ftp://127.0.0.1:1/v1")
                 .model("chat", {{"up", "mock-gpt"}})
                 .render(dir);
  dir.write("switchyard.yaml", bad);
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually(
      [&] { return gw.proc().stderr_text().find("configuration refused") != std::string::npos; }));
  CHECK(gw.proc().stderr_text().find("base_url") != std::string::npos);
  require_chat_completion(
      post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
  CHECK(up.requests_total() == 1);
}

TEST_CASE("reload: providers changing under load fail no request") {
  temp_dir dir;
  mock_provider a(dir, "a");
  mock_provider b(dir, "b");
  // Each step changes providers a different way: re-point, resize in place, add, remove.
  const std::vector<std::string> steps{
      config_builder()
          .provider("up", b.base_url())
          .mock_provider("local")
          .model("chat", {{"up", "mock-gpt"}})
          .render(dir),
      config_builder()
          .provider("up", b.base_url(), {{"max_in_flight", "16"}})
          .model("chat", {{"up", "mock-gpt"}})
          .render(dir),
      config_builder()
          .provider("up", a.base_url())
          .provider("spare", b.base_url())
          .model("chat", {{"up", "mock-gpt"}, {"spare", "mock-gpt"}})
          .render(dir),
      config_builder()
          .provider("spare", b.base_url())
          .model("chat", {{"spare", "mock-gpt"}})
          .render(dir),
      config_builder().provider("up", a.base_url()).model("chat", {{"up", "mock-gpt"}}).render(dir),
  };
  gateway gw(dir, config_builder()
                      .provider("up", a.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex mutex;
  std::string first_failure;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      while (!stop.load()) {
        auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key);
        if (r.status == 200) {
          ok.fetch_add(1);
          continue;
        }
        failed.fetch_add(1);
        std::lock_guard<std::mutex> g(mutex);
        if (first_failure.empty()) first_failure = std::to_string(r.status) + " " + r.body;
      }
    });
  const auto start = std::chrono::steady_clock::now();
  std::size_t reloads = 0;
  for (const auto& yaml : steps) {
    std::this_thread::sleep_for(400ms);
    reload(dir, gw, yaml, ++reloads);
  }
  while (std::chrono::steady_clock::now() - start < 3s) std::this_thread::sleep_for(50ms);
  stop = true;
  for (auto& c : clients) c.join();
  INFO("ok " << ok.load() << ", failed " << failed.load() << ", first failure: " << first_failure);
  CHECK(failed.load() == 0);
  CHECK(ok.load() > 20);
  CHECK(a.requests_total() + b.requests_total() == static_cast<std::uint64_t>(ok.load()));
  CHECK(count_of(gw.proc().stderr_text(), "configuration reloaded") == steps.size());
}
