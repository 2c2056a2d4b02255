// Fault rules and plans: strict parsing with errors naming the key, and how a plan picks faults
// (order, count, stream filter, seeded probability, the per-request header rule).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/mock_provider/faults.hpp"

using namespace switchyard::mock;

namespace {

fault_rule rule(std::string_view json) {
  auto r = parse_fault_rule(json);
  if (!r) FAIL("rule did not parse: " << r.error());
  return r.value();
}

std::string rule_error(std::string_view json) {
  auto r = parse_fault_rule(json);
  return r ? std::string() : r.error();
}

std::string plan_error(std::string_view json) {
  auto r = parse_fault_plan(json);
  return r ? std::string() : r.error();
}

}  // namespace

TEST_CASE("faults: every kind parses with its keys") {
  auto s = rule(R"({"kind":"status","status":503,"retry_after":2,"probability":0.5,"count":3,
                   "stream":true})");
  CHECK(s.kind == fault_kind::status);
  CHECK(s.status == 503);
  CHECK(s.retry_after_s == 2u);
  CHECK(s.probability == 0.5);
  CHECK(s.count == 3u);
  CHECK(s.stream == true);

  auto st = rule(R"({"kind":"status"})");
  CHECK(st.status == 500);
  CHECK_FALSE(st.retry_after_s);
  CHECK(st.probability == 1.0);
  CHECK_FALSE(st.count);
  CHECK_FALSE(st.stream);

  CHECK(rule(R"({"kind":"hang"})").kind == fault_kind::hang);
  CHECK(rule(R"({"kind":"reset","stream":false})").stream == false);

  auto c = rule(R"({"kind":"cut","after_tokens":0})");
  CHECK(c.kind == fault_kind::cut);
  CHECK(c.after_tokens == 0u);
  CHECK_FALSE(rule(R"({"kind":"cut"})").after_tokens);

  auto d = rule(R"({"kind":"delay","ms":250})");
  CHECK(d.kind == fault_kind::delay);
  CHECK(d.ms == 250);
  auto f = rule(R"({"kind":"slow_first_token","ms":0,"probability":1})");
  CHECK(f.kind == fault_kind::slow_first_token);
  CHECK(f.ms == 0);
  CHECK(f.probability == 1.0);
}

TEST_CASE("faults: kind names round-trip") {
  for (auto k : {fault_kind::status, fault_kind::hang, fault_kind::reset, fault_kind::cut,
                 fault_kind::slow_first_token, fault_kind::delay}) {
    CHECK(parse_fault_kind(to_string(k)) == k);
  }
  CHECK_FALSE(parse_fault_kind("Status"));
}

TEST_CASE("faults: bad rules are rejected naming the key") {
  CHECK(rule_error("").rfind("rule: not valid JSON", 0) == 0);
  CHECK(rule_error("[1]") == "rule: expected a JSON object");
  CHECK(rule_error("{}").rfind("rule.kind: missing", 0) == 0);
  CHECK(rule_error(R"({"kind":3})") == "rule.kind: expected a string");
  CHECK(rule_error(R"({"kind":"explode"})").rfind("rule.kind: unknown kind \"explode\"", 0) == 0);
  CHECK(rule_error(R"({"kind":"hang","probabilty":0.5})") == "rule.probabilty: unknown key");
  CHECK(rule_error(R"({"kind":"hang","status":503})") ==
        "rule.status: not valid for kind \"hang\"");
  CHECK(rule_error(R"({"kind":"status","ms":5})") == "rule.ms: not valid for kind \"status\"");
  CHECK(rule_error(R"({"kind":"reset","after_tokens":1})") ==
        "rule.after_tokens: not valid for kind \"reset\"");
  CHECK(rule_error(R"({"kind":"cut","retry_after":1})") ==
        "rule.retry_after: not valid for kind \"cut\"");
  CHECK(rule_error(R"({"kind":"status","status":399})") ==
        "rule.status: expected an integer from 400 to 599");
  CHECK(rule_error(R"({"kind":"status","status":600})").rfind("rule.status:", 0) == 0);
  CHECK(rule_error(R"({"kind":"status","status":503.5})").rfind("rule.status:", 0) == 0);
  CHECK(rule_error(R"({"kind":"status","status":"503"})").rfind("rule.status:", 0) == 0);
  CHECK(rule_error(R"({"kind":"status","retry_after":-1})").rfind("rule.retry_after:", 0) == 0);
  CHECK(rule_error(R"({"kind":"hang","probability":1.5})") ==
        "rule.probability: expected a number from 0 to 1");
  CHECK(rule_error(R"({"kind":"hang","probability":-0.1})").rfind("rule.probability:", 0) == 0);
  CHECK(rule_error(R"({"kind":"hang","probability":"1"})").rfind("rule.probability:", 0) == 0);
  CHECK(rule_error(R"({"kind":"hang","count":0})")
            .rfind("rule.count: expected an integer from 1", 0) == 0);
  CHECK(rule_error(R"({"kind":"hang","stream":1})") == "rule.stream: expected true or false");
  CHECK(rule_error(R"({"kind":"delay"})").rfind("rule.ms: missing", 0) == 0);
  CHECK(rule_error(R"({"kind":"slow_first_token"})").rfind("rule.ms: missing", 0) == 0);
  CHECK(rule_error(R"({"kind":"delay","ms":3600001})").rfind("rule.ms:", 0) == 0);
}

TEST_CASE("faults: a plan is an array, {rules: [...]}, or one rule") {
  auto a = parse_fault_plan(R"([{"kind":"hang"},{"kind":"reset"}])");
  REQUIRE(a.ok());
  REQUIRE(a.value().size() == 2);
  CHECK(a.value()[1].kind == fault_kind::reset);

  auto o = parse_fault_plan(R"({"rules":[{"kind":"cut","after_tokens":3}]})");
  REQUIRE(o.ok());
  REQUIRE(o.value().size() == 1);
  CHECK(o.value()[0].after_tokens == 3u);

  auto one = parse_fault_plan(R"({"kind":"status","status":429})");
  REQUIRE(one.ok());
  REQUIRE(one.value().size() == 1);
  CHECK(one.value()[0].status == 429);

  auto empty = parse_fault_plan("[]");
  REQUIRE(empty.ok());
  CHECK(empty.value().empty());
}

TEST_CASE("faults: bad plans name the rule index") {
  CHECK(plan_error("nope").rfind("fault plan: not valid JSON", 0) == 0);
  CHECK(plan_error("3").rfind("fault plan: expected", 0) == 0);
  CHECK(plan_error("{}") == "fault plan: missing \"rules\"");
  CHECK(plan_error(R"({"rules":{}})") == "fault plan: \"rules\" must be an array");
  CHECK(plan_error(R"({"rules":[],"extra":1})").rfind("fault plan: unknown key \"extra\"", 0) == 0);
  CHECK(plan_error(R"([{"kind":"hang"},{"kind":"status","status":1}])") ==
        "rules[1].status: expected an integer from 400 to 599");
  CHECK(plan_error(R"([{"kind":"hang"},7])") == "rules[1]: expected a JSON object");
  CHECK(plan_error(R"({"kind":"delay"})").rfind("rule.ms: missing", 0) == 0);
}

TEST_CASE("faults: to_json gives back an equivalent rule") {
  for (auto json : {R"({"kind":"status","status":503,"retry_after":2,"count":4,"stream":false})",
                    R"({"kind":"cut","after_tokens":7,"probability":0.25})",
                    R"({"kind":"delay","ms":10,"stream":true})", R"({"kind":"hang"})"}) {
    auto r = rule(json);
    auto back = rule(to_json(r));
    CHECK(back.kind == r.kind);
    CHECK(back.status == r.status);
    CHECK(back.retry_after_s == r.retry_after_s);
    CHECK(back.probability == r.probability);
    CHECK(back.count == r.count);
    CHECK(back.after_tokens == r.after_tokens);
    CHECK(back.ms == r.ms);
    CHECK(back.stream == r.stream);
  }
}

TEST_CASE("faults: an empty plan picks nothing") {
  fault_plan plan(1);
  CHECK_FALSE(plan.pick(false));
  CHECK_FALSE(plan.pick(true));
  CHECK(plan.to_json() == R"({"rules":[]})");
}

TEST_CASE("faults: the first matching rule applies, in order") {
  fault_plan plan(1, {rule(R"({"kind":"status","status":503})"), rule(R"({"kind":"hang"})")});
  for (int i = 0; i < 3; ++i) {
    auto f = plan.pick(false);
    REQUIRE(f);
    CHECK(f->kind == fault_kind::status);
  }
}

TEST_CASE("faults: count limits a rule to the next N matching requests") {
  fault_plan plan(1, {rule(R"({"kind":"status","status":503,"count":2})"),
                      rule(R"({"kind":"reset","count":1})")});
  CHECK(plan.pick(false)->kind == fault_kind::status);
  CHECK(plan.pick(true)->kind == fault_kind::status);
  CHECK(plan.pick(false)->kind == fault_kind::reset);
  CHECK_FALSE(plan.pick(false));
  CHECK_FALSE(plan.pick(true));
  // Exhausted rules stay listed with no hits left.
  CHECK(plan.size() == 2);
  CHECK(plan.to_json().find(R"("count":0)") != std::string::npos);
}

TEST_CASE("faults: the stream filter skips the other mode without using a hit") {
  fault_plan plan(1, {rule(R"({"kind":"cut","stream":true,"count":1})"),
                      rule(R"({"kind":"status","status":500,"stream":false})")});
  CHECK(plan.pick(false)->kind == fault_kind::status);
  CHECK(plan.pick(false)->kind == fault_kind::status);
  CHECK(plan.pick(true)->kind == fault_kind::cut);
  // The stream rule is used up; nothing else matches streams.
  CHECK_FALSE(plan.pick(true));
}

TEST_CASE("faults: replace and clear start afresh") {
  fault_plan plan(1, {rule(R"({"kind":"hang","count":1})")});
  CHECK(plan.pick(false));
  CHECK_FALSE(plan.pick(false));
  plan.replace({rule(R"({"kind":"hang","count":1})")});
  CHECK(plan.pick(false));
  plan.replace({rule(R"({"kind":"reset"})")});
  CHECK(plan.pick(false)->kind == fault_kind::reset);
  plan.clear();
  CHECK(plan.size() == 0);
  CHECK_FALSE(plan.pick(false));
}

TEST_CASE("faults: probability 0 never fires and does not use hits") {
  fault_plan plan(
      1, {rule(R"({"kind":"hang","probability":0})"), rule(R"({"kind":"reset","count":1})")});
  CHECK(plan.pick(false)->kind == fault_kind::reset);
  CHECK_FALSE(plan.pick(false));
}

TEST_CASE("faults: probabilities are seeded and deterministic") {
  auto run = [](std::uint64_t seed) {
    fault_plan plan(seed, {rule(R"({"kind":"status","status":503,"probability":0.3})")});
    std::vector<bool> hits;
    for (int i = 0; i < 10000; ++i) hits.push_back(plan.pick(false).has_value());
    return hits;
  };
  auto a = run(42);
  auto b = run(42);
  auto c = run(43);
  CHECK(a == b);
  CHECK(a != c);
  auto fired = std::count(a.begin(), a.end(), true);
  // 10000 draws at p = 0.3: a standard deviation is about 46.
  CHECK(fired > 2700);
  CHECK(fired < 3300);
}

TEST_CASE("faults: a probabilistic rule with a count uses hits only when it fires") {
  fault_plan plan(7, {rule(R"({"kind":"hang","probability":0.5,"count":3})")});
  int fired = 0;
  for (int i = 0; i < 200; ++i) fired += plan.pick(false) ? 1 : 0;
  CHECK(fired == 3);
}

TEST_CASE("faults: the request's own rule comes first and leaves the plan's hits alone") {
  fault_plan plan(1, {rule(R"({"kind":"status","status":503,"count":1})")});
  auto header = rule(R"({"kind":"status","status":429})");
  auto f = plan.pick(false, &header);
  REQUIRE(f);
  CHECK(f->status == 429);
  // The plan's single hit is still there.
  CHECK(plan.pick(false)->status == 503);
  CHECK_FALSE(plan.pick(false));

  // A header rule that does not match the mode falls through to the plan.
  fault_plan plan2(1, {rule(R"({"kind":"reset"})")});
  auto stream_only = rule(R"({"kind":"hang","stream":true})");
  CHECK(plan2.pick(false, &stream_only)->kind == fault_kind::reset);
  CHECK(plan2.pick(true, &stream_only)->kind == fault_kind::hang);

  // With an empty plan the header rule still applies.
  fault_plan empty(1);
  CHECK(empty.pick(false, &header)->status == 429);
}
