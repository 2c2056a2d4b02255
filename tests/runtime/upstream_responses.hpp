// Byte-exact upstream responses for the scripted test server: whole responses, chunked SSE
// streams, and OpenAI chunk and completion bodies.
#pragma once

#include <cstdio>
#include <string>

namespace switchyard::runtime::upstream_test {

inline std::string reason_for(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

/// A whole response with Content-Length; `extra` is raw header lines ("Name: v\r\n").
inline std::string http_response(unsigned status, const std::string& content_type,
                                 const std::string& body, const std::string& extra = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason_for(status) +
         "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

/// The head of a chunked `text/event-stream` 200.
inline std::string stream_head(const std::string& extra = {}) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n" +
         extra + "\r\n";
}

/// One HTTP chunk.
inline std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

inline std::string last_chunk() {
  return "0\r\n\r\n";
}

/// `data: <json>\n\n`.
inline std::string sse(const std::string& data) {
  return "data: " + data + "\n\n";
}

/// A content chunk of an OpenAI stream.
inline std::string content_chunk(const std::string& text) {
  return R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":")" +
         text + R"("},"finish_reason":null}]})";
}

/// The usage-only final chunk of an OpenAI stream.
inline std::string usage_chunk(unsigned prompt, unsigned completion) {
  return R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":)" +
         std::to_string(prompt) + R"(,"completion_tokens":)" + std::to_string(completion) +
         R"(,"total_tokens":)" + std::to_string(prompt + completion) + "}}";
}

/// A whole chat completion with usage.
inline std::string completion_body(const std::string& text, unsigned prompt, unsigned completion) {
  return R"({"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":")" +
         text + R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":)" +
         std::to_string(prompt) + R"(,"completion_tokens":)" + std::to_string(completion) +
         R"(,"total_tokens":)" + std::to_string(prompt + completion) + "}}";
}

}  // namespace switchyard::runtime::upstream_test
