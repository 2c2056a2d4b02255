// Access-log formatting (RapidJSON, so every string is escaped) and the writer thread.
#include "runtime/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::runtime {

namespace {

// Client-chosen strings (the model name, error texts quoting it) are cut to this many bytes.
constexpr std::size_t max_field_bytes = 256;
constexpr std::size_t max_error_bytes = 1024;
constexpr std::size_t chunk_bytes = 4096;  // PIPE_BUF on Linux

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xE  ? 3
                  : (b >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// Writes `s` cut to `max` bytes on a character boundary, invalid UTF-8 bytes replaced by '?', so
// that a line is always valid JSON and bounded whatever a client sent.
void safe_string(json_writer& w, std::string_view s, std::size_t max = max_field_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (out.size() + std::max<std::size_t>(n, 1) > max) break;
    if (n == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  w.String(out.data(), static_cast<rapidjson::SizeType>(out.size()));
}

double millis(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

// RFC 3339 UTC with milliseconds: 2026-11-24T06:00:00.123Z.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

const char* route_name(const actors::request_record& r) {
  if (r.kind == protocols::api_kind::embeddings) return "embeddings";
  return r.client == protocols::dialect::anthropic ? "messages" : "chat";
}

// write(2) until done; false on an error other than EINTR.
bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string format_access_log_line(const actors::request_record& r) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  w.Key("id");
  safe_string(w, r.request_id);
  w.Key("time");
  w.String(rfc3339(r.finished_at).c_str());
  w.Key("tenant");
  safe_string(w, r.tenant);
  w.Key("key_prefix");
  safe_string(w, r.key_prefix);
  w.Key("route");
  w.String(route_name(r));
  w.Key("model");
  safe_string(w, r.model);
  w.Key("provider");
  safe_string(w, r.provider);
  w.Key("upstream_model");
  safe_string(w, r.upstream_model);
  w.Key("stream");
  w.Bool(r.stream);
  w.Key("status");
  w.Uint(r.status);
  w.Key("attempts");
  w.Uint(r.attempts);
  w.Key("hedged");
  w.Bool(r.hedged);
  w.Key("tokens_in");
  w.Uint64(r.usage.prompt_tokens);
  w.Key("tokens_out");
  w.Uint64(r.usage.completion_tokens);
  w.Key("tokens_cached");
  w.Uint64(r.usage.cached_tokens);
  w.Key("cost_usd");
  w.Double(r.cost_usd);
  w.Key("duration_ms");
  w.Double(millis(r.duration));
  w.Key("ttfb_ms");
  w.Double(millis(r.time_to_first_byte));
  w.Key("upstream_ms");
  w.Double(millis(r.upstream_time));
  w.Key("client_gone");
  w.Bool(r.client_gone);
  w.Key("stream_broken");
  w.Bool(r.stream_broken);
  w.Key("error");
  safe_string(w, r.error, max_error_bytes);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

protocols::result<std::shared_ptr<access_log>, std::string> access_log::open(
    const config::observability_config& config) {
  using config::access_log_target;
  switch (config.access_log) {
    case access_log_target::off:
      return std::shared_ptr<access_log>{};
    case access_log_target::stderr_stream:
      return std::make_shared<access_log>(STDERR_FILENO, false);
    case access_log_target::stdout_stream:
      return std::make_shared<access_log>(STDOUT_FILENO, false);
    case access_log_target::file:
      break;
  }
  int fd = ::open(config.access_log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return "cannot open the access log " + config.access_log_path + ": " + std::strerror(errno);
  return std::make_shared<access_log>(fd, true);
}

access_log::access_log(int fd, bool owned) : fd_(fd), owned_(owned) {
  writer_ = std::thread([this] { run(); });
}

access_log::~access_log() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  if (owned_) ::close(fd_);
}

void access_log::on_request_done(const actors::request_record& record) {
  std::string line = format_access_log_line(record);
  line.push_back('\n');
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= max_queued_lines) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(line));
  }
  wake_.notify_one();
}

bool access_log::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return queue_.empty() && !writing_; });
}

void access_log::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    // Take the whole backlog and write it with as few syscalls as lines allow.
    std::deque<std::string> batch;
    batch.swap(queue_);
    writing_ = true;
    lock.unlock();
    std::string chunk;
    std::uint64_t lines = 0, lost = 0;
    auto write_chunk = [&] {
      if (chunk.empty()) return;
      if (write_all(fd_, chunk))
        written_.fetch_add(lines, std::memory_order_relaxed);
      else
        lost += lines;
      chunk.clear();
      lines = 0;
    };
    for (auto& line : batch) {
      // Writes of at most PIPE_BUF bytes are atomic on a pipe: lines shared with the process's
      // other stderr lines never interleave.
      if (chunk.size() + line.size() > chunk_bytes) write_chunk();
      chunk += line;
      ++lines;
    }
    write_chunk();
    if (lost) dropped_.fetch_add(lost, std::memory_order_relaxed);
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace switchyard::runtime
