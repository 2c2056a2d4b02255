// Hot reload through the real binary: SIGHUP applies a valid file (a model's new target, a new
// tenant key, providers) to the next request; a broken file is refused with the reason logged,
// and the running configuration keeps serving.
#include <catch2/catch.hpp>

#include <csignal>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

constexpr std::string_view added_key = "sk-itest-added-by-reload-0001";

// Two in-process providers; `chat` served by `target` (an upstream model name the mock echoes).
std::string reload_config(const temp_dir& dir, const std::string& target, bool with_added_key,
                          const std::string& second_provider = "spare") {
  config_builder b;
  b.mock_provider("main").mock_provider(second_provider).model("chat", {{"main", target}});
  if (with_added_key) b.tenant("late", std::string{added_key});
  return b.render(dir);
}

std::string served_model(std::uint16_t port, std::string_view key) {
  auto r = post_json(port, "/v1/chat/completions", chat_body("chat"), key);
  if (r.status != 200) return "status " + std::to_string(r.status);
  return json_string(r.json(), "model");
}

}  // namespace

TEST_CASE("reload: SIGHUP applies a valid file; a broken one is refused and the old one serves") {
  temp_dir dir;
  gateway gw(dir, reload_config(dir, "model-one", false));
  REQUIRE(served_model(gw.port(), test_key) == "model-one");
  CHECK(served_model(gw.port(), added_key) == "status 401");

  dir.write("switchyard.yaml", reload_config(dir, "model-two", true));
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually([&] { return served_model(gw.port(), added_key) == "model-two"; }));
  CHECK(served_model(gw.port(), test_key) == "model-two");
  CHECK(eventually(
      [&] { return gw.proc().stderr_text().find("configuration reloaded") != std::string::npos; }));

  // Broken YAML semantics: an unknown provider. The reason names the file, line and key.
  std::string broken = reload_config(dir, "model-three", true);
  broken.replace(broken.find("- provider: main"), 16, "- provider: nowhere");
  dir.write("switchyard.yaml", broken);
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually(
      [&] { return gw.proc().stderr_text().find("configuration refused") != std::string::npos; }));
  const auto log = gw.proc().stderr_text();
  CHECK(log.find("switchyard.yaml:") != std::string::npos);
  CHECK(log.find("nowhere") != std::string::npos);
  CHECK(served_model(gw.port(), test_key) == "model-two");
  CHECK(served_model(gw.port(), added_key) == "model-two");

  // Providers change live too (test_reload_providers.cpp has the details): `spare` goes, `other`
  // comes, in the same step as the model's new target and the key's removal.
  dir.write("switchyard.yaml", reload_config(dir, "model-four", false, "other"));
  gw.proc().signal(SIGHUP);
  REQUIRE(eventually([&] { return served_model(gw.port(), test_key) == "model-four"; }));
  // Logged once the routes are out, so possibly just after the request above was served.
  CHECK(eventually([&] {
    const auto log = gw.proc().stderr_text();
    return log.find("provider `other` added") != std::string::npos &&
           log.find("provider `spare` removed") != std::string::npos;
  }));
  CHECK(eventually([&] { return served_model(gw.port(), added_key) == "status 401"; }));

  // And it still drains and exits cleanly.
  gw.proc().signal(SIGTERM);
  CHECK(gw.proc().wait_exit(20s) == 0);
}
