// The JSON access log: the line's fields, escaping and bounds, and the writer thread.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>

#include <string>
#include <thread>

#include <rapidjson/document.h>

#include "runtime/access_log.hpp"

using namespace switchyard;

namespace {

actors::request_record full_record() {
  actors::request_record r;
  r.request_id = "req-1";
  r.tenant = "team-a";
  r.key_prefix = "sk-abcd…";
  r.key_id = "0123abcd";
  r.model = "chat";
  r.provider = "p1";
  r.upstream_model = "gpt-x";
  r.client = protocols::dialect::anthropic;
  r.stream = true;
  r.status = 200;
  r.attempts = 2;
  r.hedged = true;
  r.usage.prompt_tokens = 11;
  r.usage.completion_tokens = 7;
  r.usage.cached_tokens = 3;
  r.cost_usd = 0.0125;
  r.finished_at =
      std::chrono::system_clock::time_point{std::chrono::milliseconds{1'795'500'393'155}};
  r.duration = std::chrono::microseconds{120'500};
  r.time_to_first_byte = std::chrono::microseconds{30'250};
  r.upstream_time = std::chrono::microseconds{119'000};
  r.error = "provider `p0`: status 503";
  return r;
}

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  INFO(line);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

}  // namespace

TEST_CASE("an access-log line carries every field of the record", "[access_log]") {
  auto line = runtime::format_access_log_line(full_record());
  CHECK(line.find('\n') == std::string::npos);
  auto d = parse(line);
  CHECK(std::string{d["id"].GetString()} == "req-1");
  CHECK(std::string{d["time"].GetString()} == "2026-11-24T06:06:33.155Z");
  CHECK(std::string{d["tenant"].GetString()} == "team-a");
  CHECK(std::string{d["key_prefix"].GetString()} == "sk-abcd…");
  CHECK(std::string{d["route"].GetString()} == "messages");
  CHECK(std::string{d["model"].GetString()} == "chat");
  CHECK(std::string{d["provider"].GetString()} == "p1");
  CHECK(std::string{d["upstream_model"].GetString()} == "gpt-x");
  CHECK(d["stream"].GetBool());
  CHECK(d["status"].GetUint() == 200);
  CHECK(d["attempts"].GetUint() == 2);
  CHECK(d["hedged"].GetBool());
  CHECK(d["tokens_in"].GetUint64() == 11);
  CHECK(d["tokens_out"].GetUint64() == 7);
  CHECK(d["tokens_cached"].GetUint64() == 3);
  CHECK(d["cost_usd"].GetDouble() == Approx(0.0125));
  CHECK(d["duration_ms"].GetDouble() == Approx(120.5));
  CHECK(d["ttfb_ms"].GetDouble() == Approx(30.25));
  CHECK(d["upstream_ms"].GetDouble() == Approx(119.0));
  CHECK_FALSE(d["client_gone"].GetBool());
  CHECK_FALSE(d["stream_broken"].GetBool());
  CHECK(std::string{d["error"].GetString()} == "provider `p0`: status 503");
  CHECK_FALSE(d.HasMember("key_id"));
}

TEST_CASE("client-chosen strings are escaped, cut and made valid UTF-8", "[access_log]") {
  auto r = full_record();
  r.model = std::string(10'000, 'm') + "\"}\n{\"injected\":true";
  r.error = "bad \xff\xfe bytes \n and a \"quote\"";
  auto line = runtime::format_access_log_line(r);
  CHECK(line.find('\n') == std::string::npos);
  auto d = parse(line);
  CHECK(std::string{d["model"].GetString()} == std::string(256, 'm'));
  CHECK(std::string{d["error"].GetString()} == "bad ?? bytes \n and a \"quote\"");
  CHECK_FALSE(d.HasMember("injected"));

  // A multi-byte character is never split at the cut.
  r.model = std::string(255, 'a') + "\xc3\xa9";  // 'é' would end at byte 257
  d = parse(runtime::format_access_log_line(r));
  CHECK(std::string{d["model"].GetString()} == std::string(255, 'a'));
}

TEST_CASE("the writer thread writes one line per request, in order", "[access_log]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    runtime::access_log log{fds[1], true};
    for (int i = 0; i < 50; ++i) {
      auto r = full_record();
      r.request_id = "req-" + std::to_string(i);
      log.on_request_done(r);
    }
    CHECK(log.flush());
    CHECK(log.written() == 50);
    CHECK(log.dropped() == 0);
  }  // closes the write end
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  std::size_t pos = 0;
  for (int i = 0; i < 50; ++i) {
    auto end = out.find('\n', pos);
    REQUIRE(end != std::string::npos);
    auto d = parse(out.substr(pos, end - pos));
    CHECK(std::string{d["id"].GetString()} == "req-" + std::to_string(i));
    pos = end + 1;
  }
  CHECK(pos == out.size());
}

TEST_CASE("a failed write counts the lines as dropped", "[access_log]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);  // nobody reads: writes fail with EPIPE (SIGPIPE is ignored below)
  auto old = std::signal(SIGPIPE, SIG_IGN);
  {
    runtime::access_log log{fds[1], true};
    log.on_request_done(full_record());
    CHECK(log.flush());
    CHECK(log.written() == 0);
    CHECK(log.dropped() == 1);
  }
  std::signal(SIGPIPE, old);
}

TEST_CASE("the access-log target opens as configured", "[access_log]") {
  config::observability_config off;
  auto none = runtime::access_log::open(off);
  REQUIRE(none.ok());
  CHECK(none.value() == nullptr);

  config::observability_config missing;
  missing.access_log = config::access_log_target::file;
  missing.access_log_path = "/nonexistent-dir-for-switchyard/access.log";
  auto bad = runtime::access_log::open(missing);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("/nonexistent-dir-for-switchyard/access.log") != std::string::npos);
  CHECK(bad.error().find("No such file") != std::string::npos);
}

TEST_CASE("flush gives up after its limit when the reader is stuck", "[access_log]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    runtime::access_log log{fds[1], true};
    // Nobody reads: once the pipe buffer (64 KiB) is full the writer blocks in write(2).
    for (int i = 0; i < 2000; ++i) log.on_request_done(full_record());
    CHECK_FALSE(log.flush(std::chrono::milliseconds{300}));
    CHECK(log.written() < 2000);
    // Reading unblocks the writer; the destructor then finishes the queue.
    std::thread reader([fd = fds[0]] {
      char buf[65536];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ::close(fd);
    });
    CHECK(log.flush(std::chrono::seconds(30)));
    CHECK(log.written() == 2000);
    reader.detach();  // ends at EOF, when the log closes the write end
  }
}
