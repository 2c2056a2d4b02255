// The metrics exporter across a hot reload: series for models and providers that arrive, counts
// that carry on for those that stay, and the series of removed ones gone from the exposition.
#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "runtime/metrics.hpp"

using namespace switchyard;

namespace {

config::snapshot_ptr parse(const std::string& providers, const std::string& models) {
  auto r =
      config::load_string("providers:\n" + providers + "models:\n" + models +
                              "tenants:\n  - name: t\n    keys: [ sk-t-0123456789 ]\n",
                          "metrics-reload.yaml", [](std::string_view) { return std::nullopt; });
  REQUIRE(r.ok());
  return r.value();
}

// The value of the sample `series` (name and labels exactly as exposed), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  pos += series.size() + 2;
  return std::stod(text.substr(pos, text.find('\n', pos) - pos));
}

actors::request_record done(std::string model, std::string provider) {
  actors::request_record r;
  r.model = std::move(model);
  r.provider = std::move(provider);
  r.status = 200;
  r.duration = std::chrono::milliseconds{5};
  return r;
}

std::string requests(const std::string& model, const std::string& provider) {
  return "switchyard_requests_total{model=\"" + model + "\",provider=\"" + provider +
         "\",route=\"chat\",status_class=\"2xx\"}";
}

}  // namespace

TEST_CASE("metrics reload: new series appear, kept ones count on, removed ones leave",
          "[reload][metrics]") {
  auto before = parse("  - { name: a, type: mock }\n  - { name: b, type: mock }\n",
                      "  - { name: chat, targets: [ { provider: a, model: x } ] }\n"
                      "  - { name: old, targets: [ { provider: b, model: x } ] }\n");
  runtime::metrics m{*before};
  m.on_request_done(done("chat", "a"));
  m.on_request_done(done("old", "b"));
  auto text = m.scrape();
  CHECK(sample(text, requests("chat", "a")) == 1);
  CHECK(sample(text, requests("old", "b")) == 1);
  CHECK(sample(text, requests("fresh", "c")) == -1);

  // `b` and `old` go; `c` and `fresh` come; `chat` may now also be served by `c`.
  auto after = parse("  - { name: a, type: mock }\n  - { name: c, type: mock }\n",
                     "  - { name: chat, targets: [ { provider: a, model: x }, { provider: c, "
                     "model: x } ] }\n"
                     "  - { name: fresh, targets: [ { provider: c, model: x } ] }\n");
  m.reload(*after);
  m.on_request_done(done("chat", "a"));
  m.on_request_done(done("chat", "c"));
  m.on_request_done(done("fresh", "c"));
  m.on_request_done(done("old", "b"));  // one that started before the reload finishes now
  text = m.scrape();
  CHECK(sample(text, requests("chat", "a")) == 2);  // counts on
  CHECK(sample(text, requests("chat", "c")) == 1);
  CHECK(sample(text, requests("fresh", "c")) == 1);
  CHECK(sample(text, R"(switchyard_cost_usd_total{model="fresh"})") == 0);
  CHECK(text.find("model=\"old\"") == std::string::npos);
  CHECK(text.find("provider=\"b\"") == std::string::npos);
  // An unknown model is still counted as such.
  m.on_request_done(done("nope", ""));
  CHECK(sample(m.scrape(), requests("unknown", "")) == 1);

  // Back again: the series return where they were, as counters must.
  m.reload(*before);
  text = m.scrape();
  CHECK(sample(text, requests("old", "b")) == 2);
  CHECK(text.find("model=\"fresh\"") == std::string::npos);
}
