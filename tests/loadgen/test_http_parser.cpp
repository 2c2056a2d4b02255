// The client-side HTTP/1.1 response parser: every framing, any split, keep-alive rules, and
// every malformed input it must refuse.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "bench/loadgen/http_parser.hpp"

using switchyard::loadgen::http_response_parser;
using ev = http_response_parser::event;

namespace {

struct parsed {
  bool headers = false;
  bool done = false;
  bool error = false;
  std::string error_text;
  unsigned status = 0;
  bool keep_alive = false;
  bool event_stream = false;
  std::string body;
  std::size_t left = 0;  // unconsumed bytes after done
};

// Feeds `wire` in pieces of `step` bytes, keeping unconsumed bytes like a connection does.
parsed run(std::string_view wire, std::size_t step, bool head = false, bool eof = false) {
  http_response_parser p;
  p.reset(head);
  parsed out;
  std::string buf;
  std::size_t pos = 0;
  while (true) {
    if (pos < wire.size()) {
      buf.append(wire.substr(pos, step));
      pos += step;
    }
    while (true) {
      const auto s = p.next(buf);
      // The body view points into `buf`: take it before dropping the consumed bytes.
      if (s.ev == ev::body) out.body.append(p.body());
      buf.erase(0, s.consumed);
      if (s.ev == ev::need_more) break;
      if (s.ev == ev::headers) {
        out.headers = true;
        out.status = p.status();
        out.event_stream = p.event_stream();
      } else if (s.ev == ev::body) {
        continue;
      } else if (s.ev == ev::done) {
        out.done = true;
        out.keep_alive = p.keep_alive();
        out.left = buf.size() + (pos < wire.size() ? wire.size() - pos : 0);
        return out;
      } else {
        out.error = true;
        out.error_text = p.error();
        return out;
      }
    }
    if (pos >= wire.size()) break;
  }
  if (eof) {
    if (p.on_eof() == ev::done) {
      out.done = true;
      out.keep_alive = p.keep_alive();
    } else {
      out.error = true;
      out.error_text = p.error();
    }
  }
  return out;
}

void check_all_splits(std::string_view wire, const parsed& want, bool head = false,
                      bool eof = false) {
  for (std::size_t step : {1u, 2u, 3u, 5u, 17u, 100u, 100000u}) {
    INFO("step " << step);
    const auto got = run(wire, step, head, eof);
    CHECK(got.headers == want.headers);
    CHECK(got.done == want.done);
    CHECK(got.error == want.error);
    CHECK(got.status == want.status);
    CHECK(got.keep_alive == want.keep_alive);
    CHECK(got.event_stream == want.event_stream);
    CHECK(got.body == want.body);
  }
}

}  // namespace

TEST_CASE("http parser: Content-Length body") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
      "\r\nok";
  parsed want;
  want.headers = want.done = want.keep_alive = true;
  want.status = 200;
  want.body = "ok";
  check_all_splits(wire, want);
}

TEST_CASE("http parser: chunked body with extensions, trailers and an event stream") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream; charset=utf-8\r\n"
      "Transfer-Encoding: chunked\r\n\r\n"
      "6\r\ndata: \r\n"
      "A;name=value\r\n0123456789\r\n"
      "1f\r\n" +
      std::string(31, 'x') +
      "\r\n"
      "0\r\nX-Trailer: 1\r\n\r\n";
  parsed want;
  want.headers = want.done = want.keep_alive = want.event_stream = true;
  want.status = 200;
  want.body = "data: 0123456789" + std::string(31, 'x');
  check_all_splits(wire, want);
}

TEST_CASE("http parser: bare LF line ends are accepted") {
  const std::string wire = "HTTP/1.1 201 Created\nContent-Length: 3\n\nabc";
  parsed want;
  want.headers = want.done = want.keep_alive = true;
  want.status = 201;
  want.body = "abc";
  check_all_splits(wire, want);
}

TEST_CASE("http parser: a close-delimited body ends at EOF") {
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
  parsed want;
  want.headers = want.done = true;
  want.keep_alive = false;
  want.status = 200;
  want.body = "all of it";
  check_all_splits(wire, want, false, true);
}

TEST_CASE("http parser: responses without a body") {
  parsed want;
  want.headers = want.done = want.keep_alive = true;
  want.status = 200;
  // HEAD: the Content-Length describes the GET answer.
  check_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", want, true);
  want.status = 204;
  check_all_splits("HTTP/1.1 204 No Content\r\n\r\n", want);
  want.status = 304;
  check_all_splits("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", want);
  want.status = 200;
  check_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", want);
}

TEST_CASE("http parser: interim 1xx responses are skipped") {
  const std::string wire =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nslow";
  parsed want;
  want.headers = want.done = want.keep_alive = true;
  want.status = 429;
  want.body = "slow";
  check_all_splits(wire, want);
}

TEST_CASE("http parser: keep-alive rules") {
  CHECK_FALSE(
      run("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
  CHECK_FALSE(run("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", 100)
                  .keep_alive);
  CHECK_FALSE(run("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
  CHECK(run("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 100)
            .keep_alive);
  CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100).keep_alive);
  // Bytes after the end are left for the caller to judge.
  CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA", 1000).left == 5);
}

TEST_CASE("http parser: the parser is reusable across responses") {
  http_response_parser p;
  for (int i = 0; i < 3; ++i) {
    p.reset(false);
    std::string buf = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    auto s = p.next(buf);
    REQUIRE(s.ev == ev::headers);
    buf.erase(0, s.consumed);
    s = p.next(buf);
    REQUIRE(s.ev == ev::body);
    CHECK(p.body() == "ok");
    buf.erase(0, s.consumed);
    s = p.next(buf);
    REQUIRE(s.ev == ev::done);
    CHECK(p.complete());
  }
}

TEST_CASE("http parser: EOF before or during a response is an error") {
  auto none = run("", 10, false, true);
  CHECK(none.error);
  CHECK(none.error_text == std::string("connection closed before any response"));
  auto partial = run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 10, false, true);
  CHECK(partial.headers);
  CHECK(partial.error);
  CHECK(partial.error_text == std::string("connection closed before the response was complete"));
  auto chunk = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 10, false, true);
  CHECK(chunk.error);
}

TEST_CASE("http parser: malformed responses") {
  auto err = [](std::string_view wire) {
    auto r = run(wire, 1000);
    return r.error ? r.error_text : std::string("(no error)");
  };
  CHECK(err("HTTP/2 200 OK\r\n\r\n") == "malformed status line");
  CHECK(err("SIP/1.1 200 OK\r\n\r\n") == "malformed status line");
  CHECK(err("HTTP/1.1 2x0 OK\r\n\r\n") == "malformed status code");
  CHECK(err("HTTP/1.1 2000 OK\r\n\r\n") == "malformed status code");
  CHECK(err("HTTP/1.1 099 Odd\r\n\r\n") == "status code below 100");
  CHECK(err("HTTP/1.1 101 Switching Protocols\r\n\r\n") == "unexpected 101 Switching Protocols");
  CHECK(err("HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n") == "malformed header line");
  CHECK(err("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n") == "malformed header line");
  CHECK(err("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n") == "obsolete header line folding");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n") == "malformed Content-Length");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n") == "empty Content-Length");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n") ==
        "malformed Content-Length");
  CHECK(err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
        "conflicting Content-Length headers");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") ==
        "malformed chunk size");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n") ==
        "malformed chunk size");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n") ==
        "chunk too large");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY") ==
        "chunk data not followed by CRLF");
  CHECK(err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(9000, '1')) ==
        "chunk size line too long");

  // An endless header block.
  http_response_parser small(64);
  small.reset(false);
  const std::string big = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'a');
  const auto s = small.next(big);
  CHECK(s.ev == ev::error);
  CHECK(std::string(small.error()) == "response header block too large");
}

TEST_CASE("http parser: a repeated identical Content-Length is fine") {
  auto r = run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 3);
  CHECK(r.done);
  CHECK(r.body == "ok");
}
