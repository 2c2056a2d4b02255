// The usage journal: framing round trip, torn tails ignored, damaged entries reported and
// skipped, segments rotated and deleted once stored, the latest entry per record id replayed
// after a crash, one gateway per directory, and replay into an idempotent store.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "actors/journal_replay.hpp"
#include "runtime/journal_codec.hpp"
#include "runtime/sqlite_usage_store.hpp"
#include "runtime/usage_journal.hpp"

using namespace switchyard;
using runtime::file_journal;
using runtime::journal_options;
namespace journal = runtime::journal;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path dir;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "sy-journal-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

actors::request_record full_record(int i) {
  actors::request_record r;
  r.request_id = "req-" + std::to_string(i);
  r.record_id = std::string(31, 'a') + std::to_string(i % 10);
  r.tenant = "team-a";
  r.key_prefix = "sk-team-…";
  r.key_id = "k1";
  r.model = "chat";
  r.provider = "openai";
  r.upstream_model = "gpt-4o-mini";
  r.kind = protocols::api_kind::embeddings;
  r.client = protocols::dialect::gemini;
  r.stream = true;
  r.status = 200 + static_cast<unsigned>(i);
  r.stream_broken = true;
  r.client_gone = false;
  r.attempts = 3;
  r.hedged = true;
  r.usage = {100, 20, 30, 5, true, 7};
  r.cost_usd = 0.0125 * i;
  r.finished_at =
      std::chrono::system_clock::time_point{std::chrono::microseconds{1'700'000'000'123'456 + i}};
  r.duration = std::chrono::microseconds{1500};
  r.time_to_first_byte = std::chrono::microseconds{400};
  r.upstream_time = std::chrono::microseconds{1200};
  r.error = "after commit: reset";
  return r;
}

actors::request_record small_record(const std::string& id) {
  actors::request_record r;
  r.record_id = id;
  r.request_id = "req-" + id;
  r.status = 200;
  return r;
}

bool same(const actors::request_record& a, const actors::request_record& b) {
  return a.request_id == b.request_id && a.record_id == b.record_id && a.tenant == b.tenant &&
         a.key_prefix == b.key_prefix && a.key_id == b.key_id && a.model == b.model &&
         a.provider == b.provider && a.upstream_model == b.upstream_model && a.kind == b.kind &&
         a.client == b.client && a.stream == b.stream && a.status == b.status &&
         a.stream_broken == b.stream_broken && a.client_gone == b.client_gone &&
         a.attempts == b.attempts && a.hedged == b.hedged &&
         a.usage.prompt_tokens == b.usage.prompt_tokens &&
         a.usage.completion_tokens == b.usage.completion_tokens &&
         a.usage.cached_tokens == b.usage.cached_tokens &&
         a.usage.reasoning_tokens == b.usage.reasoning_tokens &&
         a.usage.cache_creation_tokens == b.usage.cache_creation_tokens &&
         a.usage.reported == b.usage.reported && a.cost_usd == b.cost_usd &&
         a.finished_at == b.finished_at && a.duration == b.duration &&
         a.time_to_first_byte == b.time_to_first_byte && a.upstream_time == b.upstream_time &&
         a.error == b.error;
}

std::string frames(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i)
    REQUIRE(journal::append_frame(out, full_record(i), journal::entry_kind::final));
  return out;
}

std::shared_ptr<file_journal> open_journal(const fs::path& dir,
                                           std::uint64_t segment_bytes = 1u << 20) {
  journal_options o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  auto j = file_journal::open(o);
  if (!j.ok()) FAIL(j.error());
  return j.value();
}

std::uintmax_t bytes_of(const std::vector<fs::path>& files) {
  std::uintmax_t total = 0;
  for (const auto& f : files) total += fs::file_size(f);
  return total;
}

}  // namespace

TEST_CASE("journal: CRC-32 is the IEEE one", "[journal]") {
  CHECK(journal::crc32("123456789") == 0xCBF43926u);
  CHECK(journal::crc32("") == 0u);
}

TEST_CASE("journal: every field of a record survives a frame", "[journal]") {
  const std::string bytes = frames(3);
  auto scanned = journal::scan(bytes);
  CHECK(scanned.problems.empty());
  CHECK(scanned.corrupt == 0);
  CHECK(scanned.torn_bytes == 0);
  REQUIRE(scanned.entries.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(scanned.entries[i].kind == journal::entry_kind::final);
    CHECK(same(scanned.entries[i].record, full_record(i + 1)));
  }
  std::string provisional;
  REQUIRE(journal::append_frame(provisional, actors::request_record{},
                                journal::entry_kind::provisional));
  auto p = journal::scan(provisional);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].kind == journal::entry_kind::provisional);
  CHECK(same(p.entries[0].record, actors::request_record{}));
}

TEST_CASE("journal: a torn last entry is ignored, whatever its length", "[journal]") {
  const std::string two = frames(2);
  const std::string three = frames(3);
  const std::size_t last = three.size() - two.size();
  for (std::size_t cut = 1; cut < last; ++cut) {
    auto scanned = journal::scan(std::string_view{three}.substr(0, two.size() + cut));
    INFO("bytes of the last entry written: " << cut);
    CHECK(scanned.entries.size() == 2);
    CHECK(scanned.torn_bytes == cut);
    CHECK(scanned.corrupt == 0);
    CHECK(scanned.problems.empty());
  }
}

TEST_CASE("journal: a checksum mismatch is reported and only that entry skipped", "[journal]") {
  std::string bytes = frames(3);
  const std::size_t second = frames(1).size();
  bytes[second + journal::frame_header_bytes + 5] ^= 0x40;  // inside the second payload
  auto scanned = journal::scan(bytes);
  REQUIRE(scanned.entries.size() == 2);
  CHECK(scanned.entries[0].record.request_id == "req-1");
  CHECK(scanned.entries[1].record.request_id == "req-3");
  CHECK(scanned.corrupt == 1);
  REQUIRE(scanned.problems.size() == 1);
  CHECK(scanned.problems[0] ==
        "offset " + std::to_string(second) + ": checksum mismatch; entry skipped");
}

TEST_CASE("journal: an impossible length ends the scan, reported", "[journal]") {
  std::string bytes = frames(1);
  const std::size_t good = bytes.size();
  SECTION("a zero-filled tail") {
    bytes.append(64, '\0');
  }
  SECTION("a length past the limit") {
    bytes += std::string{"\xff\xff\xff\x7f", 4} + std::string(60, 'x');
  }
  auto scanned = journal::scan(bytes);
  CHECK(scanned.entries.size() == 1);
  CHECK(scanned.corrupt == 1);
  REQUIRE(scanned.problems.size() == 1);
  CHECK(scanned.problems[0].find("offset " + std::to_string(good) + ": impossible entry length") ==
        0);
}

TEST_CASE("journal: a payload of another format is reported, not misread", "[journal]") {
  std::string bytes = frames(1);
  // A valid frame around a payload of an unknown version.
  std::string payload = "\x09rest";
  std::string frame;
  for (std::uint32_t v : {static_cast<std::uint32_t>(payload.size()), journal::crc32(payload)})
    for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  bytes += frame + payload;
  auto scanned = journal::scan(bytes);
  CHECK(scanned.entries.size() == 1);
  CHECK(scanned.corrupt == 1);
  REQUIRE(scanned.problems.size() == 1);
  CHECK(scanned.problems[0].find("unknown format") != std::string::npos);
}

TEST_CASE("journal: a record too large to frame is refused", "[journal]") {
  auto r = small_record("big");
  r.error.assign(journal::max_payload_bytes, 'e');
  std::string out = "keep";
  CHECK_FALSE(journal::append_frame(out, r, journal::entry_kind::final));
  CHECK(out == "keep");
}

TEST_CASE("journal: records not stored when the node dies are read back at its next start",
          "[journal]") {
  temp_dir tmp;
  {
    auto j = open_journal(tmp.dir);
    CHECK(j->take_leftovers().empty());
    std::vector<actors::journal_ticket> tickets;
    for (int i = 1; i <= 3; ++i) tickets.push_back(j->append(full_record(i)));
    CHECK(j->stats().records == 3);
    j->stored(std::span{tickets}.first(1));  // the first one reached the store
    CHECK(j->stats().records == 2);
  }  // dies with two records unstored: the files stay
  auto again = open_journal(tmp.dir);
  auto left = again->take_leftovers();
  // Stored or not, what the segment holds comes back (the store ignores a record id it has).
  REQUIRE(left.size() == 3);
  CHECK(same(left[2].record, full_record(3)));
  CHECK(again->take_leftovers().empty());
  CHECK(again->stats().records == 3);
  std::vector<actors::journal_ticket> tickets;
  for (const auto& l : left) tickets.push_back(l.ticket);
  again->stored(tickets);
  CHECK(again->stats().records == 0);
  CHECK(again->stats().replayed_total == 3);
  // The old segment is gone once its records are stored; only the new, empty one remains.
  auto files = again->segment_files();
  CHECK(files.size() == 1);
  CHECK(bytes_of(files) == 0);
}

TEST_CASE("journal: a clean stop with everything stored leaves no file to replay", "[journal]") {
  temp_dir tmp;
  {
    auto j = open_journal(tmp.dir);
    auto t = j->append(small_record("x"));
    j->stored(std::span{&t, 1});
  }
  {
    auto again = open_journal(tmp.dir);
    CHECK(again->take_leftovers().empty());
    CHECK(again->segment_files().size() == 1);  // its own, empty
  }
  std::vector<fs::path> left;
  for (const auto& e : fs::directory_iterator{tmp.dir})
    if (e.path().filename() != "lock") left.push_back(e.path());
  CHECK(left.empty());
}

TEST_CASE("journal: segments rotate by size and go once every record in them is stored",
          "[journal]") {
  temp_dir tmp;
  auto j = open_journal(tmp.dir, 512);  // a few records per segment
  std::vector<actors::journal_ticket> tickets;
  for (int i = 0; i < 40; ++i) tickets.push_back(j->append(small_record("r" + std::to_string(i))));
  const auto before = j->segment_files();
  REQUIRE(before.size() >= 4);
  for (const auto& f : before) CHECK(fs::file_size(f) <= 512);
  // The oldest segment's records stored (out of order, as batches may be): it is deleted.
  std::vector<actors::journal_ticket> oldest;
  for (auto t : tickets)
    if (t.segment == tickets.front().segment) oldest.push_back(t);
  std::reverse(oldest.begin(), oldest.end());
  j->stored(std::span{oldest}.first(oldest.size() - 1));
  CHECK(j->segment_files().size() == before.size());  // one record still waits
  j->stored(std::span{oldest}.last(1));
  CHECK(j->segment_files().size() == before.size() - 1);
  CHECK_FALSE(fs::exists(before.front()));
  // Everything stored: sealed segments deleted, the active one emptied.
  std::vector<actors::journal_ticket> rest(
      tickets.begin() + static_cast<std::ptrdiff_t>(oldest.size()), tickets.end());
  j->stored(rest);
  CHECK(j->stats().records == 0);
  auto after = j->segment_files();
  CHECK(after.size() == 1);
  CHECK(bytes_of(after) == 0);
}

TEST_CASE("journal: replay keeps the latest entry per record id", "[journal]") {
  temp_dir tmp;
  {
    auto j = open_journal(tmp.dir);  // one segment: replay sees both entries of "done"
    auto provisional = small_record("done");
    provisional.usage.completion_tokens = 10;
    j->append_provisional(provisional);
    j->append(small_record("other"));
    auto final_record = small_record("done");
    final_record.usage.completion_tokens = 12;
    final_record.cost_usd = 0.5;
    j->append(final_record);
    auto only_provisional = small_record("cut");  // the node died before its final record
    only_provisional.usage.completion_tokens = 7;
    j->append_provisional(only_provisional);
    CHECK(j->stats().records == 2);  // provisional entries do not wait for the store
  }
  auto again = open_journal(tmp.dir);
  auto left = again->take_leftovers();
  REQUIRE(left.size() == 3);
  std::map<std::string, actors::request_record> by_id;
  for (auto& l : left) by_id[l.record.record_id] = l.record;
  REQUIRE(by_id.size() == 3);
  CHECK(by_id["done"].usage.completion_tokens == 12);
  CHECK(by_id["done"].cost_usd == 0.5);
  CHECK(by_id.count("other") == 1);
  CHECK(by_id["cut"].usage.completion_tokens == 7);
  CHECK(left[0].record.record_id == "done");  // where its first entry was
}

TEST_CASE("journal: a provisional entry keeps its segment until its final record is journaled",
          "[journal]") {
  temp_dir tmp;
  auto j = open_journal(tmp.dir);
  j->append_provisional(small_record("p"));
  auto t = j->append(small_record("q"));
  j->stored(std::span{&t, 1});
  // "q" is stored, but "p" was only announced: the active segment is not emptied.
  CHECK(bytes_of(j->segment_files()) > 0);
  auto f = j->append(small_record("p"));
  j->stored(std::span{&f, 1});
  CHECK(bytes_of(j->segment_files()) == 0);
}

TEST_CASE("journal: a damaged entry in a leftover segment is counted and skipped", "[journal]") {
  temp_dir tmp;
  {
    auto j = open_journal(tmp.dir);
    j->append(small_record("a"));
    j->append(small_record("b"));
  }
  auto files = open_journal(tmp.dir)->segment_files();  // that run replayed nothing it stored
  REQUIRE_FALSE(files.empty());
  // The leftover segment is the oldest one; damage its first payload, tear its tail.
  {
    std::fstream f{files.front(), std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(journal::frame_header_bytes + 3));
    f.put('\x7f');
  }
  {
    std::ofstream f{files.front(), std::ios::app | std::ios::binary};
    f.write("\x20\x00\x00", 3);
  }
  auto again = open_journal(tmp.dir);
  auto left = again->take_leftovers();
  REQUIRE(left.size() == 1);
  CHECK(left[0].record.record_id == "b");
  CHECK(again->stats().corrupt_total == 1);
  // A copy of the damaged segment stays for inspection, whatever becomes of the segment.
  auto copy = files.front();
  copy += ".damaged";
  CHECK(fs::file_size(copy) == fs::file_size(files.front()));
  again->stored(std::span{&left[0].ticket, 1});
  CHECK_FALSE(fs::exists(files.front()));
  CHECK(fs::exists(copy));
}

TEST_CASE("journal: unstored records are read back with new tickets; old ones are ignored",
          "[journal]") {
  temp_dir tmp;
  auto j = open_journal(tmp.dir);
  CHECK(j->reread_unstored().empty());  // nothing waits: nothing to read
  std::vector<actors::journal_ticket> old;
  for (int i = 0; i < 5; ++i) old.push_back(j->append(small_record("r" + std::to_string(i))));
  j->stored(std::span{old}.first(2));
  CHECK(j->stats().records == 3);
  auto back = j->reread_unstored();
  // The whole (sealed) segment comes back, stored records too: the store ignores those.
  REQUIRE(back.size() == 5);
  CHECK(back[4].record.record_id == "r4");
  CHECK(back[0].ticket.segment != old[0].segment);
  CHECK(j->stats().records == 5);
  j->append(small_record("new"));  // goes to a fresh active segment
  CHECK(j->stats().records == 6);
  j->stored(std::span{old}.last(3));  // late tickets of the old segment: ignored
  CHECK(j->stats().records == 6);
  const auto files = j->segment_files();
  REQUIRE(files.size() == 2);
  std::vector<actors::journal_ticket> fresh;
  for (const auto& b : back) fresh.push_back(b.ticket);
  j->stored(fresh);
  CHECK(j->stats().records == 1);
  CHECK_FALSE(fs::exists(files.front()));  // every record in it stored: deleted
}

TEST_CASE("journal: one gateway per directory", "[journal]") {
  temp_dir tmp;
  auto first = open_journal(tmp.dir);
  journal_options o;
  o.dir = tmp.dir;
  auto second = file_journal::open(o);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().find("another running gateway uses this directory") != std::string::npos);
  first.reset();
  CHECK(file_journal::open(o).ok());
}

TEST_CASE("journal: a directory that cannot be created is explained", "[journal]") {
  temp_dir tmp;
  std::ofstream{tmp.dir / "file"} << "x";
  journal_options o;
  o.dir = tmp.dir / "file" / "spool";
  auto j = file_journal::open(o);
  REQUIRE_FALSE(j.ok());
  CHECK(j.error().find("spool_dir " + o.dir.string() + ": cannot create it") == 0);
}

TEST_CASE("journal: replay at start stores each leftover record once", "[journal]") {
  temp_dir tmp;
  auto store = runtime::sqlite_usage_store::open((tmp.dir / "usage.db").string());
  REQUIRE(store.ok());
  std::vector<actors::request_record> already{small_record("s1")};
  std::string error;
  REQUIRE(store.value()->append(already, error));  // stored before the node died
  {
    auto j = open_journal(tmp.dir / "spool");
    for (const char* id : {"s1", "s2", "s3"}) j->append(small_record(id));
  }
  auto j = open_journal(tmp.dir / "spool");
  auto unstored = actors::replay_leftovers(*j, *store.value(), 2, error);
  CHECK(unstored.empty());
  CHECK(j->stats().replayed_total == 3);
  CHECK(j->stats().records == 0);
  for (const char* id : {"s1", "s2", "s3"}) {
    auto found = store.value()->find(std::string{"req-"} + id, "", error);
    REQUIRE(found);
    CHECK(found->record_id == id);
  }
}

// Not a check: prints the cost per append (run with `test_runtime "[bench]"`).
TEST_CASE("journal: cost of an append", "[.][bench]") {
  temp_dir tmp;
  auto measure = [&](bool fsync, int n) {
    journal_options o;
    o.dir = tmp.dir / (fsync ? "fsync" : "plain");
    o.fsync = fsync;
    auto j = file_journal::open(o);
    REQUIRE(j.ok());
    auto r = full_record(1);
    r.record_id = "0123456789abcdef0123456789abcdef";
    std::string frame;
    REQUIRE(journal::append_frame(frame, r, journal::entry_kind::final));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) j.value()->append(r);
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf("journal append (%s): %.0f ns per record, %zu-byte frames, %d records\n",
                fsync ? "fdatasync" : "page cache", ns / n, frame.size(), n);
  };
  measure(false, 200'000);
  measure(true, 500);
}
