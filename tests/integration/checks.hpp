// Assertions shared by the integration tests: OpenAI error bodies, chat answers, SSE streams.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "harness.hpp"

namespace switchyard::itest {

/// The value of one exact series (`name` or `name{labels}`, labels as the gateway writes them)
/// in the /metrics of the gateway on `port`; nullopt when it is not there.
inline std::optional<double> metric_series(std::uint16_t port, const std::string& series) {
  std::istringstream in(get(port, "/metrics").body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

/// One answer of a rate-limit load: when it was sent (since the load began) and its status.
struct rate_outcome {
  std::chrono::milliseconds sent;
  unsigned status;
};

/// How many of `all` were sent in [from, to) and served (200).
inline long served_in(const std::vector<rate_outcome>& all, std::chrono::milliseconds from,
                      std::chrono::milliseconds to) {
  return std::count_if(all.begin(), all.end(), [&](const rate_outcome& o) {
    return o.status == 200 && o.sent >= from && o.sent < to;
  });
}

/// What is wrong with `r` as an answer under a limit of `rpm` requests per minute ("" when
/// nothing): a 429 needs a Retry-After of 1–60 s and its x-ratelimit headers saying nothing is
/// left, a 200 the limit in x-ratelimit-limit-requests; any other status is wrong.
inline std::string rate_answer_problem(const http_response& r, long rpm) {
  if (r.status == 429) {
    const auto retry = r.has_header("retry-after") ? std::stoi(r.header("retry-after")) : 0;
    if (retry < 1 || retry > 60) return "429 with Retry-After `" + r.header("retry-after") + "`";
    if (r.header("x-ratelimit-remaining-requests") != "0" ||
        !r.has_header("x-ratelimit-reset-requests"))
      return "429 without its x-ratelimit headers";
    return {};
  }
  if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
  if (r.header("x-ratelimit-limit-requests") != std::to_string(rpm))
    return "200 without x-ratelimit-limit-requests";
  return {};
}

/// Checks `r` is an OpenAI-style error with `status` and, when given, `code` and `param`.
inline void require_openai_error(const http_response& r, unsigned status,
                                 std::string_view code = {}, std::string_view param = {}) {
  INFO("status " << r.status << " body: " << r.body);
  REQUIRE(r.status == status);
  CHECK(r.has_header("x-request-id"));
  CHECK(r.header("content-type").find("application/json") != std::string::npos);
  auto doc = r.json();
  REQUIRE_FALSE(doc.HasParseError());
  auto* err = json_at(doc, "error");
  REQUIRE(err != nullptr);
  REQUIRE(err->IsObject());
  CHECK_FALSE(json_string(doc, "error/message").empty());
  CHECK_FALSE(json_string(doc, "error/type").empty());
  REQUIRE(err->HasMember("code"));
  REQUIRE(err->HasMember("param"));
  if (!code.empty()) CHECK(json_string(doc, "error/code") == code);
  if (!param.empty()) CHECK(json_string(doc, "error/param") == param);
}

/// Checks `r` is a successful non-stream chat completion; returns the assistant's text.
inline std::string require_chat_completion(const http_response& r) {
  INFO("status " << r.status << " body: " << r.body);
  REQUIRE(r.status == 200);
  CHECK(r.has_header("x-request-id"));
  auto doc = r.json();
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(json_string(doc, "object") == "chat.completion");
  CHECK_FALSE(json_string(doc, "id").empty());
  CHECK(json_string(doc, "choices/0/message/role") == "assistant");
  CHECK(json_string(doc, "choices/0/finish_reason") == "stop");
  auto* usage = json_at(doc, "usage");
  REQUIRE(usage != nullptr);
  auto* completion = json_at(doc, "usage/completion_tokens");
  REQUIRE(completion != nullptr);
  CHECK(completion->IsUint());
  std::string text = json_string(doc, "choices/0/message/content");
  CHECK_FALSE(text.empty());
  return text;
}

/// What a chat completion stream carried.
struct stream_summary {
  std::size_t chunks = 0;  ///< JSON chunk events
  std::size_t content_chunks = 0;
  std::string content;           ///< delta contents joined
  std::string finish_reason;     ///< the last non-null finish_reason
  int usage_chunks = 0;          ///< chunks with a non-null `usage`
  bool usage_last = false;       ///< the usage chunk is the last chunk before [DONE]
  bool done = false;             ///< `[DONE]` arrived
  bool data_after_done = false;  ///< something came after `[DONE]`
  int error_events = 0;          ///< `data: {"error":…}` events
  std::string error_message;
  std::vector<std::string> unparsable;
};

/// Folds the `data` of every event of a stream.
inline stream_summary summarize(const std::vector<std::string>& events) {
  stream_summary s;
  bool last_was_usage = false;
  for (const auto& data : events) {
    if (s.done) s.data_after_done = true;
    if (data == "[DONE]") {
      s.done = true;
      s.usage_last = last_was_usage;
      continue;
    }
    rapidjson::Document doc;
    doc.Parse(data.data(), data.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      s.unparsable.push_back(data);
      continue;
    }
    if (doc.HasMember("error")) {
      ++s.error_events;
      s.error_message = json_string(doc, "error/message");
      continue;
    }
    ++s.chunks;
    last_was_usage = false;
    if (auto* u = json_at(doc, "usage"); u && !u->IsNull()) {
      ++s.usage_chunks;
      last_was_usage = true;
    }
    if (auto* choices = json_at(doc, "choices"); choices && choices->IsArray()) {
      for (const auto& c : choices->GetArray()) {
        if (auto* content = json_at(c, "delta/content"); content && content->IsString()) {
          s.content.append(content->GetString(), content->GetStringLength());
          if (content->GetStringLength() > 0) ++s.content_chunks;
        }
        if (auto* fr = json_at(c, "finish_reason"); fr && fr->IsString())
          s.finish_reason = fr->GetString();
      }
    }
  }
  return s;
}

/// Checks that a normal chat request on `port` for `model` still succeeds.
inline void require_serves_normally(std::uint16_t port, std::string_view model = "chat") {
  INFO("a normal request after the previous one");
  require_chat_completion(post_json(port, "/v1/chat/completions", chat_body(model), test_key));
}

}  // namespace switchyard::itest
