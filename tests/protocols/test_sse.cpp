// Tests for the incremental SSE parser (WHATWG event-stream rules, any split of the bytes, size
// limit) and for SSE framing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "protocols/sse.hpp"

using namespace switchyard::protocols;

namespace {

struct owned_event {
  std::string event;
  std::string data;
  bool operator==(const owned_event& o) const { return event == o.event && data == o.data; }
};

std::ostream& operator<<(std::ostream& os, const owned_event& e) {
  return os << "{event=" << e.event << " data=" << e.data << "}";
}

struct collector {
  std::vector<owned_event> events;
  bool feed(sse_parser& p, std::string_view bytes) {
    return p.feed(bytes, [this](const sse_event& e) {
      events.push_back({std::string(e.event), std::string(e.data)});
    });
  }
};

std::vector<owned_event> parse_whole(std::string_view stream, std::size_t limit = 1 << 20) {
  sse_parser p(limit);
  collector c;
  REQUIRE(c.feed(p, stream));
  return c.events;
}

// Feeds `stream` split at the given offsets; each piece lives in its own buffer that is freed
// right after the feed, so a view kept past its feed would be caught by ASan.
std::vector<owned_event> parse_split(std::string_view stream, const std::vector<std::size_t>& cuts,
                                     bool* idle_at_end = nullptr) {
  sse_parser p;
  collector c;
  std::size_t from = 0;
  for (std::size_t to : cuts) {
    auto piece = std::make_unique<std::string>(stream.substr(from, to - from));
    REQUIRE(c.feed(p, *piece));
    from = to;
  }
  auto rest = std::make_unique<std::string>(stream.substr(from));
  REQUIRE(c.feed(p, *rest));
  if (idle_at_end != nullptr) *idle_at_end = p.idle();
  return c.events;
}

// An event stream that exercises every rule at once.
const std::string tricky_stream =
    "\xEF\xBB\xBF"  // BOM
    ": keep-alive comment\n"
    "data: {\"a\":1}\n\n"  // the common case
    "event: message_start\r\n"
    "data: first\r\n"
    "data:second\r\n"       // no space after the colon
    "data:  third\r\n\r\n"  // only one space stripped
    "id: 7\rretry: 1000\rdata: cr only\r\r"
    "event: lonely\n\n"  // no data: discarded with its name
    "data\n\n"           // field with no colon: empty data
    "unknown: x\ndata: \xC3\xA9t\xC3\xA9\n\n"
    "data: a:b:c\n"
    "\n"
    "data: last\r\n\r\n";

const std::vector<owned_event> tricky_expected = {
    {"", "{\"a\":1}"},
    {"message_start", "first\nsecond\n third"},
    {"", "cr only"},
    {"", ""},
    {"", "\xC3\xA9t\xC3\xA9"},
    {"", "a:b:c"},
    {"", "last"},
};

}  // namespace

TEST_CASE("one data event", "[sse]") {
  CHECK(parse_whole("data: hello\n\n") == std::vector<owned_event>{{"", "hello"}});
}

TEST_CASE("the WHATWG rules: comments, fields, spaces, line ends, empty events", "[sse]") {
  CHECK(parse_whole(tricky_stream) == tricky_expected);
}

TEST_CASE("an event without a blank line is not dispatched", "[sse]") {
  sse_parser p;
  collector c;
  REQUIRE(c.feed(p, "data: partial\n"));
  CHECK(c.events.empty());
  CHECK_FALSE(p.idle());
  REQUIRE(c.feed(p, "\n"));
  CHECK(c.events == std::vector<owned_event>{{"", "partial"}});
  CHECK(p.idle());
}

TEST_CASE("the event name does not leak into the next event", "[sse]") {
  CHECK(parse_whole("event: a\ndata: 1\n\ndata: 2\n\n") ==
        std::vector<owned_event>{{"a", "1"}, {"", "2"}});
  CHECK(parse_whole("event: a\nevent: b\ndata: 1\n\n") == std::vector<owned_event>{{"b", "1"}});
}

TEST_CASE("a CRLF split between two feeds is one line end", "[sse]") {
  sse_parser p;
  collector c;
  REQUIRE(c.feed(p, "data: x\r"));
  REQUIRE(c.feed(p, "\ndata: y\r"));
  REQUIRE(c.feed(p, "\n\r"));  // LF completes the CRLF; the lone CR is the blank line
  CHECK(c.events.size() == 1);
  REQUIRE(c.feed(p, "\n"));
  CHECK(c.events == std::vector<owned_event>{{"", "x\ny"}});
  // An empty feed between CR and LF does not lose the pending CR.
  REQUIRE(c.feed(p, "data: z\r"));
  REQUIRE(c.feed(p, ""));
  REQUIRE(c.feed(p, "\n\n"));
  CHECK(c.events.back() == owned_event{"", "z"});
  CHECK(c.events.size() == 2);
  CHECK(p.idle());
}

TEST_CASE("CR then CR is a blank line, not a CRLF", "[sse]") {
  sse_parser p;
  collector c;
  REQUIRE(c.feed(p, "data: x\r"));
  REQUIRE(c.feed(p, "\r"));
  CHECK(c.events == std::vector<owned_event>{{"", "x"}});
}

TEST_CASE("any split of the bytes gives the same events", "[sse]") {
  SECTION("one byte at a time") {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < tricky_stream.size(); ++i) cuts.push_back(i);
    bool idle = false;
    CHECK(parse_split(tricky_stream, cuts, &idle) == tricky_expected);
    CHECK(idle);
  }
  SECTION("two pieces, cut at every offset") {
    for (std::size_t i = 0; i <= tricky_stream.size(); ++i) {
      CAPTURE(i);
      CHECK(parse_split(tricky_stream, {i}) == tricky_expected);
    }
  }
  SECTION("random splits") {
    std::mt19937 rng(20240611);
    for (int round = 0; round < 300; ++round) {
      std::uniform_int_distribution<std::size_t> pos(0, tricky_stream.size());
      std::vector<std::size_t> cuts(rng() % 12);
      for (auto& c : cuts) c = pos(rng);
      std::sort(cuts.begin(), cuts.end());
      CAPTURE(round);
      CHECK(parse_split(tricky_stream, cuts) == tricky_expected);
    }
  }
}

TEST_CASE("a BOM is only stripped at the very start", "[sse]") {
  CHECK(parse_whole("\xEF\xBB\xBF"
                    "data: x\n\n") == std::vector<owned_event>{{"", "x"}});
  // Later, the same bytes are part of a field name, which is then unknown.
  CHECK(parse_whole("data: x\n\n\xEF\xBB\xBF"
                    "data: y\n\n") == std::vector<owned_event>{{"", "x"}});
  // A partial BOM is text: "\xEF" + "data" is an unknown field.
  CHECK(parse_whole("\xEF"
                    "data: x\n\ndata: y\n\n") == std::vector<owned_event>{{"", "y"}});
  CHECK(parse_split("\xEF\xBB"
                    "data: x\n\ndata: y\n\n",
                    {1}) == std::vector<owned_event>{{"", "y"}});
}

TEST_CASE("many events in one feed, and events kept across feeds", "[sse]") {
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += "data: " + std::to_string(i) + "\n\n";
  const auto events = parse_whole(stream);
  REQUIRE(events.size() == 100);
  CHECK(events[42].data == "42");
  // The first data line arrives in one feed (kept as a view), the rest in later feeds.
  sse_parser p;
  collector c;
  auto first = std::make_unique<std::string>("data: one\ndata: tw");
  REQUIRE(c.feed(p, *first));
  first.reset();
  REQUIRE(c.feed(p, "o\n"));
  REQUIRE(c.feed(p, "\n"));
  CHECK(c.events == std::vector<owned_event>{{"", "one\ntwo"}});
  auto lone = std::make_unique<std::string>("data: alone\n");
  REQUIRE(c.feed(p, *lone));
  lone.reset();
  REQUIRE(c.feed(p, "\n"));
  CHECK(c.events.back() == owned_event{"", "alone"});
}

TEST_CASE("the size limit stops the parser", "[sse]") {
  SECTION("a line and an event at the limit pass") {
    // "data: 0123456789" is a 16-byte line carrying 10 bytes of data.
    CHECK(parse_whole("data: 0123456789\n\n", 16) == std::vector<owned_event>{{"", "0123456789"}});
  }
  SECTION("a line over the limit fails, whole or in pieces") {
    sse_parser p(15);
    collector c;
    CHECK_FALSE(c.feed(p, "data: 0123456789\n\n"));
    CHECK_FALSE(c.feed(p, "data: x\n\n"));  // stopped for good
    CHECK(c.events.empty());
    CHECK_FALSE(p.idle());
    sse_parser q(15);
    REQUIRE(c.feed(q, "data: 0123"));
    CHECK_FALSE(c.feed(q, "456789"));  // over the limit before the line even ends
  }
  SECTION("an event over the limit fails even when each line fits") {
    sse_parser p(11);
    collector c;
    REQUIRE(c.feed(p, "data: 01234\n"));
    REQUIRE(c.feed(p, "data: 5678\n"));  // "01234\n5678" is 10 bytes: still fits
    CHECK_FALSE(c.feed(p, "data: 9\n"));
    CHECK(c.events.empty());
  }
  SECTION("the event name counts too") {
    sse_parser p(12);
    collector c;
    REQUIRE(c.feed(p, "data: 012345\ndata: 0\n\n"));  // 8 bytes of data alone fit
    REQUIRE(c.feed(p, "event: abcde\n"));
    REQUIRE(c.feed(p, "data: 012345\n"));
    CHECK_FALSE(c.feed(p, "data: 0\n"));  // 5 + 8 > 12
    CHECK(c.events.size() == 1);
  }
  SECTION("long comments are bounded too") {
    sse_parser p(10);
    collector c;
    CHECK_FALSE(c.feed(p, ": this comment is far too long\n"));
  }
}

TEST_CASE("idle reports a clean end of stream", "[sse]") {
  sse_parser p;
  collector c;
  CHECK(p.idle());
  REQUIRE(c.feed(p, "data: x\n\n: comment\n"));
  CHECK(p.idle());
  REQUIRE(c.feed(p, "data: half"));
  CHECK_FALSE(p.idle());
  REQUIRE(c.feed(p, "\n\n"));
  CHECK(p.idle());
  REQUIRE(c.feed(p, "event: e\n"));
  CHECK_FALSE(p.idle());
}

TEST_CASE("sse_frame frames data as one event", "[sse]") {
  CHECK(sse_frame("{\"a\":1}") == "data: {\"a\":1}\n\n");
  CHECK(sse_frame("") == "data: \n\n");
  std::string out = "data: [x]\n\n";
  append_sse_frame(out, "[DONE]");
  CHECK(out == "data: [x]\n\ndata: [DONE]\n\n");
}

TEST_CASE("framing data with line breaks still yields that data", "[sse]") {
  CHECK(sse_frame("a\nb") == "data: a\ndata: b\n\n");
  CHECK(sse_frame("a\r\nb\rc\n") == "data: a\ndata: b\ndata: c\ndata: \n\n");
  for (std::string data : {"one", "", "x\ny", "\n", "a\n\nb", " lead"}) {
    CAPTURE(data);
    CHECK(parse_whole(sse_frame(data)) == std::vector<owned_event>{{"", data}});
  }
}
