// The usage writer: batches by size and by time, keeps what a failing store refused and writes
// it later, bounds its spool, and hands every record to the store before the gateway stops.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <thread>

#include <caf/all.hpp>

#include "actors/fakes.hpp"
#include "actors/usage_writer.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

class fake_store final : public usage_store {
 public:
  bool append(std::span<const request_record> records, std::string& error) override {
    std::lock_guard<std::mutex> g(mutex_);
    if (failing_) {
      error = "disk full";
      ++failures_;
      return false;
    }
    batches_.push_back(records.size());
    for (const auto& r : records) {
      ids_.push_back(r.request_id);
      stored_.push_back(r);
    }
    return true;
  }
  std::optional<request_record> find(const std::string& id, const std::string& key_id,
                                     std::string&) override {
    std::lock_guard<std::mutex> g(mutex_);
    for (auto it = stored_.rbegin(); it != stored_.rend(); ++it)
      if (it->request_id == id && it->key_id == key_id) return *it;
    return std::nullopt;
  }
  void set_failing(bool f) {
    std::lock_guard<std::mutex> g(mutex_);
    failing_ = f;
  }
  std::vector<std::string> ids() {
    std::lock_guard<std::mutex> g(mutex_);
    return ids_;
  }
  std::vector<std::size_t> batches() {
    std::lock_guard<std::mutex> g(mutex_);
    return batches_;
  }
  int failures() {
    std::lock_guard<std::mutex> g(mutex_);
    return failures_;
  }

 private:
  std::mutex mutex_;
  bool failing_ = false;
  int failures_ = 0;
  std::vector<std::size_t> batches_;
  std::vector<std::string> ids_;
  std::vector<request_record> stored_;
};

request_record record(int i) {
  request_record r;
  r.request_id = "req-" + std::to_string(i);
  return r;
}

template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 5s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool flush(caf::actor_system& sys, const caf::actor& writer) {
  caf::scoped_actor self{sys};
  bool all = false;
  self->request(writer, 5s, flush_atom::value)
      .receive([&](bool b) { all = b; }, [](const caf::error&) {});
  return all;
}

struct writer_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<fake_store> store = std::make_shared<fake_store>();
  std::shared_ptr<usage_writer_stats> stats = std::make_shared<usage_writer_stats>();
  caf::actor writer;

  explicit writer_fixture(usage_writer_options o) { writer = spawn_usage_writer(sys, store, stats, o); }
  ~writer_fixture() { caf::anon_send_exit(writer, caf::exit_reason::user_shutdown); }
};

}  // namespace

TEST_CASE("records are written in batches as soon as a batch is full") {
  writer_fixture f{{4, 1h, 100}};
  for (int i = 0; i < 8; ++i) caf::anon_send(f.writer, record(i));
  REQUIRE(eventually([&] { return f.store->ids().size() == 8; }));
  CHECK(f.store->batches() == std::vector<std::size_t>{4, 4});
  CHECK(f.stats->written_total == 8);
  CHECK(f.stats->pending == 0);
}

TEST_CASE("a partial batch is written after the flush interval") {
  writer_fixture f{{100, 50ms, 1000}};
  const auto sent = std::chrono::steady_clock::now();
  caf::anon_send(f.writer, record(1));
  caf::anon_send(f.writer, record(2));
  REQUIRE(eventually([&] { return f.store->ids().size() == 2; }));
  CHECK(std::chrono::steady_clock::now() - sent >= 50ms);
  CHECK(f.store->ids() == std::vector<std::string>{"req-1", "req-2"});  // in arrival order
}

TEST_CASE("what a failing store refused is kept and written once it recovers") {
  writer_fixture f{{2, 20ms, 1000}};
  f.store->set_failing(true);
  for (int i = 0; i < 5; ++i) caf::anon_send(f.writer, record(i));
  REQUIRE(eventually([&] { return f.store->failures() >= 3; }));  // retried on every tick
  CHECK(f.stats->pending == 5);
  CHECK(f.stats->write_errors_total >= 3);
  CHECK(f.store->ids().empty());
  CHECK_FALSE(flush(f.sys, f.writer));  // a flush says the records are not stored yet
  f.store->set_failing(false);
  REQUIRE(eventually([&] { return f.store->ids().size() == 5; }));
  CHECK(f.store->ids().front() == "req-0");
  CHECK(f.stats->pending == 0);
  CHECK(f.stats->dropped_total == 0);
}

TEST_CASE("a full spool drops and counts, never grows without bound") {
  writer_fixture f{{100, 1h, 3}};
  f.store->set_failing(true);
  for (int i = 0; i < 5; ++i) caf::anon_send(f.writer, record(i));
  REQUIRE(eventually([&] { return f.stats->dropped_total == 2; }));
  CHECK(f.stats->pending == 3);
  f.store->set_failing(false);
  CHECK(flush(f.sys, f.writer));
  CHECK(f.store->ids() == std::vector<std::string>{"req-0", "req-1", "req-2"});
}

TEST_CASE("every finished request's record is stored before the gateway stops") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto transport = std::make_shared<test::fake_transport>();
  auto observer = std::make_shared<test::fake_observer>();
  auto store = std::make_shared<fake_store>();
  auto config = test::config_builder{}.provider("a").model("m", {"a"}).tenant("t").build();
  gateway gw{sys, config, gateway::ports{transport, observer, nullptr, store}};
  for (int i = 0; i < 3; ++i) {
    auto sink = std::make_shared<test::fake_sink>();
    request_context ctx;
    ctx.request_id = "req-" + std::to_string(i);
    ctx.tenant = &gw.config()->tenants[0];
    ctx.key_prefix = "sk-t…";
    ctx.request = test::make_request("m");
    ctx.sink = sink;
    ctx.received = std::chrono::steady_clock::now();
    gw.submit(std::move(ctx));
    auto a = transport->wait_attempt(static_cast<std::size_t>(i));
    REQUIRE(a);
    protocols::usage u;
    u.prompt_tokens = 10;
    u.completion_tokens = 5;
    u.reported = true;
    a->succeed(u);
    REQUIRE(observer->wait_record(static_cast<std::size_t>(i)));
  }
  // As the runtime does: every request actor has ended (and so handed over its record) first.
  REQUIRE(eventually([&] { return gw.requests().in_flight.load() == 0; }));
  CHECK(gw.stop());  // flushes the writer first
  auto ids = store->ids();
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"req-0", "req-1", "req-2"});
  CHECK(gw.usage_stats().written_total == 3);
}

namespace {

usage_lookup lookup(caf::actor_system& sys, const caf::actor& writer, const std::string& id,
                    const std::string& key_id) {
  caf::scoped_actor self{sys};
  usage_lookup out;
  self->request(writer, 5s, lookup_atom::value, id, key_id)
      .receive([&](usage_lookup& r) { out = std::move(r); }, [](const caf::error&) {});
  return out;
}

}  // namespace

TEST_CASE("a lookup finds a record whether still waiting or stored, for its own key only") {
  writer_fixture f{{100, 1h, 1000}};
  auto waiting = record(1);
  waiting.key_id = "k1";
  waiting.status = 200;
  caf::anon_send(f.writer, waiting);
  auto r = lookup(f.sys, f.writer, "req-1", "k1");
  REQUIRE(r.found);  // not written yet: found in the spool
  CHECK(r.record.status == 200);
  CHECK(f.store->ids().empty());
  CHECK_FALSE(lookup(f.sys, f.writer, "req-1", "k2").found);  // another key's record

  REQUIRE(flush(f.sys, f.writer));
  r = lookup(f.sys, f.writer, "req-1", "k1");
  REQUIRE(r.found);  // now from the store
  CHECK(r.record.request_id == "req-1");
  CHECK_FALSE(lookup(f.sys, f.writer, "req-9", "k1").found);
}

namespace {

// Hears which tickets the writer hands back, and in which order.
class fake_journal final : public usage_journal {
 public:
  journal_ticket append(const request_record&) noexcept override { return {++appended_}; }
  void append_provisional(const request_record&) noexcept override {}
  void stored(std::span<const journal_ticket> tickets) noexcept override {
    std::lock_guard<std::mutex> g(mutex_);
    for (auto t : tickets) stored_.push_back(t.segment);
  }
  std::vector<journaled_record> take_leftovers() override { return {}; }
  /// What `keep_on_disk` holds and no `stored` has named yet.
  std::vector<journaled_record> reread_unstored() override {
    std::lock_guard<std::mutex> g(mutex_);
    ++rereads_;
    std::vector<journaled_record> out;
    for (const auto& r : on_disk_)
      if (std::find(stored_.begin(), stored_.end(), r.ticket.segment) == stored_.end())
        out.push_back(r);
    return out;
  }
  void keep_on_disk(journaled_record r) {
    std::lock_guard<std::mutex> g(mutex_);
    on_disk_.push_back(std::move(r));
  }
  int rereads() {
    std::lock_guard<std::mutex> g(mutex_);
    return rereads_;
  }
  const journal_stats& stats() const noexcept override { return stats_; }
  std::vector<std::uint64_t> stored_segments() {
    std::lock_guard<std::mutex> g(mutex_);
    return stored_;
  }

 private:
  std::uint64_t appended_ = 0;
  std::mutex mutex_;
  std::vector<std::uint64_t> stored_;
  std::vector<journaled_record> on_disk_;
  int rereads_ = 0;
  journal_stats stats_;
};

}  // namespace

TEST_CASE("a journaled record's ticket goes back to the journal only once it is stored") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto store = std::make_shared<fake_store>();
  auto stats = std::make_shared<usage_writer_stats>();
  auto journal = std::make_shared<fake_journal>();
  auto writer = spawn_usage_writer(sys, store, stats, {2, 20ms, 3}, journal);
  store->set_failing(true);
  for (std::uint64_t i = 1; i <= 3; ++i)
    caf::anon_send(writer, journaled_record{record(static_cast<int>(i)), journal_ticket{i * 10}});
  caf::anon_send(writer, record(4));  // not journaled (the journal could not write it)
  REQUIRE(eventually([&] { return store->failures() >= 2; }));
  CHECK(journal->stored_segments().empty());  // nothing stored: every ticket stays out
  // The spool was full for the fourth record: with no journal entry behind it, it is lost.
  CHECK(stats->dropped_total == 1);
  caf::anon_send(writer, journaled_record{record(5), journal_ticket{50}});
  // Journaled, it is not lost: its entry stays on disk for the next start. Not counted as lost.
  CHECK_FALSE(flush(sys, writer));  // answered after the record before it was handled
  CHECK(stats->pending == 3);
  CHECK(stats->dropped_total == 1);
  store->set_failing(false);
  REQUIRE(eventually([&] { return journal->stored_segments().size() == 3; }));
  CHECK(journal->stored_segments() == std::vector<std::uint64_t>{10, 20, 30});
  CHECK(store->ids() == std::vector<std::string>{"req-1", "req-2", "req-3"});
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST_CASE("records let go past the bound come back from the journal once there is room") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto store = std::make_shared<fake_store>();
  auto stats = std::make_shared<usage_writer_stats>();
  auto journal = std::make_shared<fake_journal>();
  auto writer = spawn_usage_writer(sys, store, stats, {10, 20ms, 2}, journal);
  store->set_failing(true);
  for (std::uint64_t i = 1; i <= 5; ++i) {
    journaled_record r{record(static_cast<int>(i)), journal_ticket{i}};
    journal->keep_on_disk(r);
    caf::anon_send(writer, std::move(r));
  }
  CHECK_FALSE(flush(sys, writer));
  CHECK(stats->pending == 2);        // the bound
  CHECK(stats->dropped_total == 0);  // the other three are on disk, not lost
  CHECK(journal->rereads() == 0);
  store->set_failing(false);
  // Once memory is written, the journal is read back and stored straight from there.
  REQUIRE(eventually([&] { return journal->stored_segments().size() == 5; }));
  CHECK(store->ids() == std::vector<std::string>{"req-1", "req-2", "req-3", "req-4", "req-5"});
  CHECK(journal->rereads() == 1);
  CHECK(stats->pending == 0);
  CHECK(stats->written_total == 5);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
}
