// Tests for reading OpenAI's usage object from responses and stream chunks.
#include <catch2/catch.hpp>

#include "protocols/usage.hpp"

using namespace switchyard::protocols;

TEST_CASE("usage with details is read in full", "[usage]") {
  const auto u = extract_openai_usage(
      R"({"id":"x","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":45,)"
      R"("total_tokens":165,"prompt_tokens_details":{"cached_tokens":100,"audio_tokens":0},)"
      R"("completion_tokens_details":{"reasoning_tokens":30,"audio_tokens":0}}})");
  REQUIRE(u);
  CHECK(u->reported);
  CHECK(u->prompt_tokens == 120);
  CHECK(u->completion_tokens == 45);
  CHECK(u->cached_tokens == 100);
  CHECK(u->reasoning_tokens == 30);
}

TEST_CASE("usage without details leaves them zero", "[usage]") {
  const auto u = extract_openai_usage(
      R"({"usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}})");
  REQUIRE(u);
  CHECK(u->prompt_tokens == 3);
  CHECK(u->completion_tokens == 4);
  CHECK(u->cached_tokens == 0);
  CHECK(u->reasoning_tokens == 0);
  const auto empty = extract_openai_usage(R"({"usage":{}})");
  REQUIRE(empty);
  CHECK(empty->reported);
  CHECK(empty->prompt_tokens == 0);
}

TEST_CASE("no usage, null usage, non-object usage and malformed JSON give nullopt", "[usage]") {
  CHECK_FALSE(extract_openai_usage(R"({"id":"x","choices":[{"delta":{"content":"hi"}}]})"));
  CHECK_FALSE(extract_openai_usage(R"({"id":"x","usage":null})"));
  CHECK_FALSE(extract_openai_usage(R"({"usage":42})"));
  CHECK_FALSE(extract_openai_usage(R"({"usage":"lots"})"));
  CHECK_FALSE(extract_openai_usage(R"({"usage":{"prompt_tokens":1})"));
  CHECK_FALSE(extract_openai_usage(R"({"usage":{"prompt_tokens":1}} trailing)"));
  CHECK_FALSE(extract_openai_usage(""));
  CHECK_FALSE(extract_openai_usage("[DONE]"));
}

TEST_CASE("only the top-level usage object counts", "[usage]") {
  // A nested "usage" (e.g. inside a tool call's arguments) is not the response's usage.
  CHECK_FALSE(extract_openai_usage(
      R"({"choices":[{"usage":{"prompt_tokens":9}}],"meta":{"usage":{"prompt_tokens":9}}})"));
  const auto u = extract_openai_usage(
      R"({"choices":[{"usage":{"prompt_tokens":9,"completion_tokens":9}}],"prompt_tokens":8,)"
      R"("usage":{"prompt_tokens":2,"completion_tokens":1,)"
      R"("extra":{"prompt_tokens":7,"cached_tokens":7,"reasoning_tokens":7},)"
      R"("prompt_tokens_details":{"reasoning_tokens":6,"nested":{"cached_tokens":5}},)"
      R"("completion_tokens_details":{"cached_tokens":4,"reasoning_tokens":3}},"after":{"a":1}})");
  REQUIRE(u);
  CHECK(u->prompt_tokens == 2);
  CHECK(u->completion_tokens == 1);
  CHECK(u->cached_tokens == 0);
  CHECK(u->reasoning_tokens == 3);
}

TEST_CASE("counts are clamped and coerced to unsigned 32 bits", "[usage]") {
  const auto u =
      extract_openai_usage(R"({"usage":{"prompt_tokens":99999999999,"completion_tokens":-5,)"
                           R"("prompt_tokens_details":{"cached_tokens":12.0},)"
                           R"("completion_tokens_details":{"reasoning_tokens":null}}})");
  REQUIRE(u);
  CHECK(u->prompt_tokens == 4294967295u);
  CHECK(u->completion_tokens == 0);
  CHECK(u->cached_tokens == 12);
  CHECK(u->reasoning_tokens == 0);
}

TEST_CASE("a string value does not feed the next count", "[usage]") {
  const auto u = extract_openai_usage(R"({"usage":{"prompt_tokens":"7","completion_tokens":5}})");
  REQUIRE(u);
  CHECK(u->prompt_tokens == 0);
  CHECK(u->completion_tokens == 5);
}
