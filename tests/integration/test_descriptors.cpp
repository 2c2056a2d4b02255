// Running out of file descriptors: the gateway's RLIMIT_NOFILE is lowered from outside while it
// runs, so that it cannot open one more socket, and every request must still get an answer.
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <set>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

// The lowest descriptor number `pid` has free: with its soft RLIMIT_NOFILE set to that, the
// process can open nothing more until it closes something.
rlim_t lowest_free_descriptor(pid_t pid) {
  std::set<rlim_t> open;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    open.insert(std::stoul(e.path().filename().string()));
  rlim_t fd = 0;
  while (open.count(fd) != 0) ++fd;
  return fd;
}

// Lowers the soft RLIMIT_NOFILE of another process; `restore` (or the destructor) puts it back.
class descriptor_limit {
 public:
  descriptor_limit(pid_t pid, rlim_t soft) : pid_(pid) {
    if (::prlimit(pid_, RLIMIT_NOFILE, nullptr, &old_) != 0)
      throw std::runtime_error(std::string("prlimit (read): ") + std::strerror(errno));
    rlimit lowered = old_;
    lowered.rlim_cur = soft;
    if (::prlimit(pid_, RLIMIT_NOFILE, &lowered, nullptr) != 0)
      throw std::runtime_error(std::string("prlimit (lower): ") + std::strerror(errno));
  }
  ~descriptor_limit() { restore(); }
  descriptor_limit(const descriptor_limit&) = delete;
  descriptor_limit& operator=(const descriptor_limit&) = delete;

  void restore() {
    if (restored_) return;
    restored_ = true;
    ::prlimit(pid_, RLIMIT_NOFILE, &old_, nullptr);
  }

 private:
  pid_t pid_;
  rlimit old_{};
  bool restored_ = false;
};

std::string chat_request(const std::string& body) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
         std::string(test_key) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// The value of an unlabelled sample in a Prometheus text exposition, or -1.
double sample(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

// UndefinedBehaviorSanitizer checks a polymorphic type the first time it meets it by writing to
// a pipe(2), which a process without a free descriptor cannot make: it then reports a false
// "invalid vptr" and aborts. So the test is hidden in sanitizer builds (SWITCHYARD_SANITIZE turns
// on ASan and UBSan together); it still runs when named.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* starved_tags = "[.]";
#else
constexpr const char* starved_tags = "";
#endif

}  // namespace

TEST_CASE(
    "descriptors: out of descriptors, idle keep-alive connections make way and every request "
    "is answered",
    starved_tags) {
  temp_dir dir;
  mock_provider mock(dir, "up");
  gateway gw(dir, config_builder()
                      .server("idle_timeout_ms", "60000")  // longer than the test
                      .provider("up", mock.base_url())
                      .model("chat", {{"up", "mock-gpt"}})
                      .render(dir));

  // Keep-alive clients that were answered once and now hold their descriptors doing nothing.
  constexpr int idle_clients = 4;
  std::vector<std::unique_ptr<raw_connection>> idle;
  for (int i = 0; i < idle_clients; ++i) {
    idle.push_back(std::make_unique<raw_connection>(gw.port()));
    REQUIRE(idle.back()->send(chat_request(chat_body("chat", i % 2 == 0))));
    REQUIRE(idle.back()->read_response().status == 200);
  }

  // No descriptor left: every new connection now waits in the listen queue until the gateway
  // frees one. Nothing was closed since the connections above, so the set of open ones is stable.
  descriptor_limit limit(gw.proc().pid(), lowest_free_descriptor(gw.proc().pid()));

  constexpr int requests = 6;
  std::vector<std::future<unsigned>> answers;
  for (int i = 0; i < requests; ++i) {
    answers.push_back(std::async(std::launch::async, [&gw, stream = i % 2 == 0]() -> unsigned {
      try {
        return post_json(gw.port(), "/v1/chat/completions", chat_body("chat", stream), test_key, 5s)
            .status;
      } catch (const std::exception&) {
        return 0;  // no answer within the bound
      }
    }));
  }
  for (auto& a : answers) {
    const unsigned status = a.get();
    INFO("status " << status << " (0: no answer within 5 s)");
    CHECK((status == 200 || status == 502 || status == 503 || status == 504));
  }
  // The idle connections were the ones given up.
  for (auto& c : idle) CHECK(c->closed_by_peer(2s));

  // Descriptors come back: the gateway serves as before, and counted the failed accepts.
  limit.restore();
  sse_stream s(gw.port(), "/v1/chat/completions", chat_body("chat", true), test_key);
  REQUIRE(s.status() == 200);
  auto sum = summarize(s.rest());
  CHECK(sum.done);
  CHECK(sum.error_events == 0);
  require_chat_completion(
      post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key));
  auto metrics = get(gw.port(), "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(sample(metrics.body, "switchyard_accept_errors_total") >= 1);
}
