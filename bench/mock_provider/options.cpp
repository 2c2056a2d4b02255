// Command-line parsing for the mock provider: strict, with errors that name the option.
#include "bench/mock_provider/options.hpp"

#include <charconv>
#include <cmath>

#include <boost/asio/ip/address.hpp>

namespace switchyard::mock {

namespace {

using protocols::result;

constexpr std::uint32_t max_ms = 3'600'000;

template <class T>
bool parse_uint(std::string_view s, T lo, T hi, T& out) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return false;
  if (v < lo || v > hi) return false;
  out = static_cast<T>(v);
  return true;
}

std::string range_error(std::string_view name, std::string_view value, std::uint64_t lo,
                        std::uint64_t hi) {
  return "--" + std::string(name) + ": \"" + std::string(value) + "\" is not an integer from " +
         std::to_string(lo) + " to " + std::to_string(hi);
}

// Splits "host:port" / "[v6]:port" and checks both halves.
std::optional<std::string> parse_listen(std::string_view s, options& o) {
  std::string_view host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return "--listen: \"" + std::string(s) + "\" is not [IPv6]:PORT";
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return "--listen: \"" + std::string(s) + "\" has no port; expected HOST:PORT";
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return "--listen: \"" + std::string(s) + "\": write an IPv6 address as [ADDR]:PORT";
    }
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return "--listen: \"" + std::string(host) + "\" is not an IP address (or localhost)";
  }
  if (!parse_uint<std::uint16_t>(port, 0, 65535, o.listen_port)) {
    return "--listen: port \"" + std::string(port) + "\" is not an integer from 0 to 65535";
  }
  o.listen_host = std::string(host);
  return std::nullopt;
}

std::optional<std::string> parse_models(std::string_view s, options& o) {
  std::vector<std::string> models;
  while (true) {
    auto comma = s.find(',');
    auto name = s.substr(0, comma);
    if (name.empty()) return std::string("--models: empty model name in the list");
    for (char c : name) {
      // A space, quote or control character in a model id is always a typo.
      if (static_cast<unsigned char>(c) < 0x21 || c == '"' || c == '\\') {
        return "--models: \"" + std::string(name) + "\" contains a space, quote or backslash";
      }
    }
    models.emplace_back(name);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  o.models = std::move(models);
  return std::nullopt;
}

bool takes_value(std::string_view name) {
  return name != "help" && name != "verbose";
}

}  // namespace

std::string format_endpoint(std::string_view host, std::uint16_t port) {
  std::string s;
  if (host.find(':') != std::string_view::npos) {
    s = "[" + std::string(host) + "]";
  } else {
    s = std::string(host);
  }
  s += ':';
  s += std::to_string(port);
  return s;
}

latency_model effective_latency(const options& o) {
  if (o.latency) return *o.latency;
  latency_model m;
  m.ms = o.latency_ms;
  return m;
}

result<options, std::string> parse_options(const std::vector<std::string_view>& args) {
  options o;
  bool have_listen = false;
  bool have_latency_ms = false;
  std::optional<std::pair<double, std::uint32_t>> tail;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      return "unexpected argument \"" + std::string(arg) + "\" (see --help)";
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    std::string_view value;
    if (takes_value(name)) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return "--" + std::string(name) + ": missing value";
      }
    } else if (inline_value) {
      return "--" + std::string(name) + ": takes no value";
    }

    if (name == "help") {
      o.help = true;
    } else if (name == "verbose") {
      o.verbose = true;
    } else if (name == "listen") {
      if (auto err = parse_listen(value, o)) return *err;
      have_listen = true;
    } else if (name == "threads") {
      if (!parse_uint<unsigned>(value, 1, 256, o.threads)) return range_error(name, value, 1, 256);
    } else if (name == "latency-ms") {
      if (!parse_uint<std::uint32_t>(value, 0, max_ms, o.latency_ms)) {
        return range_error(name, value, 0, max_ms);
      }
      have_latency_ms = true;
    } else if (name == "latency") {
      auto m = parse_latency_spec(value);
      if (!m) return "--latency: " + m.error();
      o.latency = m.value();
    } else if (name == "tail") {
      // SHARE:MS, e.g. 0.01:1000 slows 1% of the requests by one second.
      auto colon = value.find(':');
      double share = -1;
      std::uint32_t ms = 0;
      if (colon != std::string_view::npos) {
        auto s = value.substr(0, colon);
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), share);
        if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) share = -1;
      }
      if (colon == std::string_view::npos || !(share >= 0 && share <= 1) ||
          !parse_uint<std::uint32_t>(value.substr(colon + 1), 0, max_ms, ms)) {
        return "--tail: \"" + std::string(value) +
               "\" is not SHARE:MS (a share from 0 to 1 and milliseconds from 0 to 3600000)";
      }
      tail.emplace(share, ms);
    } else if (name == "phase") {
      auto phases = parse_phases(value);
      if (!phases) return "--phase: " + phases.error();
      for (auto& p : phases.value()) o.phases.push_back(std::move(p));
    } else if (name == "max-concurrency") {
      if (!parse_uint<std::uint32_t>(value, 0, 1'000'000, o.max_concurrency)) {
        return range_error(name, value, 0, 1'000'000);
      }
    } else if (name == "ttft-ms") {
      if (!parse_uint<std::uint32_t>(value, 0, max_ms, o.ttft_ms)) {
        return range_error(name, value, 0, max_ms);
      }
    } else if (name == "tokens-per-second") {
      double r = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), r);
      if (value.empty() || ec != std::errc{} || p != value.data() + value.size() ||
          !std::isfinite(r) || r < 0 || r > 1e6) {
        return "--tokens-per-second: \"" + std::string(value) +
               "\" is not a number from 0 (unpaced) to 1000000";
      }
      o.tokens_per_second = r;
    } else if (name == "reply-tokens") {
      if (!parse_uint<std::uint32_t>(value, 0, 1'000'000, o.reply_tokens)) {
        return range_error(name, value, 0, 1'000'000);
      }
    } else if (name == "record-requests") {
      if (!parse_uint<std::uint32_t>(value, 0, 10'000, o.record_requests)) {
        return range_error(name, value, 0, 10'000);
      }
    } else if (name == "embedding-dimensions") {
      if (!parse_uint<std::uint32_t>(value, 1, 8192, o.embedding_dimensions)) {
        return range_error(name, value, 1, 8192);
      }
    } else if (name == "models") {
      if (auto err = parse_models(value, o)) return *err;
    } else if (name == "fault") {
      auto r = parse_fault_rule(value);
      if (!r) return "--fault: " + r.error();
      o.faults.push_back(r.value());
    } else if (name == "api-key") {
      if (value.empty()) return std::string("--api-key: must not be empty");
      o.api_key = std::string(value);
    } else if (name == "seed") {
      if (!parse_uint<std::uint64_t>(value, 0, UINT64_MAX, o.seed)) {
        return "--seed: \"" + std::string(value) + "\" is not an unsigned 64-bit integer";
      }
    } else if (name == "max-body-bytes") {
      if (!parse_uint<std::size_t>(value, 1, std::size_t{1} << 30, o.max_body_bytes)) {
        return range_error(name, value, 1, std::size_t{1} << 30);
      }
    } else if (name == "max-header-bytes") {
      if (!parse_uint<std::size_t>(value, 1024, std::size_t{1} << 20, o.max_header_bytes)) {
        return range_error(name, value, 1024, std::size_t{1} << 20);
      }
    } else if (name == "idle-timeout-ms") {
      if (!parse_uint<std::uint32_t>(value, 1, 86'400'000, o.idle_timeout_ms)) {
        return range_error(name, value, 1, 86'400'000);
      }
    } else {
      return "unknown option --" + std::string(name) + " (see --help)";
    }
  }
  if (!have_listen && !o.help) return std::string("--listen HOST:PORT is required (port 0 = any)");
  if (have_latency_ms && o.latency) {
    return std::string(
        "--latency-ms and --latency both set the latency; give one (--latency fixed:MS)");
  }
  if (tail) {
    latency_model m = effective_latency(o);
    m.tail_share = tail->first;
    m.tail_ms = tail->second;
    o.latency = m;
  }
  return o;
}

result<options, std::string> parse_options(int argc, const char* const* argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_options(args);
}

std::string usage_text() {
  return R"(usage: mock_provider --listen HOST:PORT [options]

A fast mock upstream speaking the OpenAI, Anthropic and Gemini dialects, with injected faults:
POST /v1/chat/completions, /v1/embeddings, /v1/messages, .../models/M:generateContent and
.../models/M:streamGenerateContent?alt=sse.
Prints "mock_provider listening on HOST:PORT" as its first stdout line; logs go to stderr.

  --listen HOST:PORT         address to bind (IPv4, [IPv6] or localhost); port 0 = any free port
  --threads N                I/O threads (default 1)
  --latency-ms N             delay before the first byte of every model-route answer (default 0)
  --latency SPEC             latency distribution instead of --latency-ms: fixed:MS or
                             lognormal:MEDIAN_MS:SIGMA (e.g. lognormal:50:0.5)
  --tail SHARE:MS            heavy tail: SHARE of the requests (0..1) wait MS more, e.g. 0.01:1000
  --phase JSON               a timed phase (or an array of them), seconds from the scenario clock:
                             {"from_s":10,"to_s":20,"status":503}, {"from_s":15,"to_s":25,
                             "down":true}, or latency / tokens_per_second / faults for a window;
                             repeatable. POST /_mock/clock restarts the clock.
  --max-concurrency N        answer at most N model-route requests at once; the others wait in
                             arrival order, as at a saturated provider (default 0 = no limit)
  --ttft-ms N                extra delay before the first byte of a stream (default 0)
  --tokens-per-second R      pace of stream token chunks; 0 = all at once (default 0)
  --reply-tokens N           tokens per reply, capped by the request's max_tokens (default 16)
  --embedding-dimensions N   floats per embedding when the request has no dimensions (default 64)
  --models A,B,...           ids listed by GET /v1/models (default mock-model)
  --fault JSON               a fault rule, e.g. '{"kind":"status","status":503,"count":2}';
                             repeat for more rules (tried in order)
  --seed N                   seed for fault probabilities and embeddings (default 1)
  --api-key KEY              require KEY in each dialect's header: "Authorization: Bearer KEY"
                             (OpenAI), x-api-key + anthropic-version (Anthropic), x-goog-api-key
                             or ?key= (Gemini)
  --max-body-bytes N         request body limit, 413 beyond (default 8388608)
  --max-header-bytes N       request header limit, 431 beyond (default 16384)
  --idle-timeout-ms N        close idle or stalled connections after N ms (default 60000)
  --record-requests N        keep the last N model-route requests for /_mock/requests
                             (default 16; 0 = off)
  --verbose                  log one line per request to stderr
  --help                     this text

Fault rule keys: kind (status|hang|reset|cut|slow_first_token|delay), status, retry_after,
probability, count, after_tokens (cut), ms (delay, slow_first_token), stream.
Admin API: POST/GET/DELETE /_mock/faults, GET/DELETE /_mock/stats, GET/DELETE /_mock/requests,
GET /_mock/last_request, GET/POST /_mock/clock. See bench/README.md.
)";
}

}  // namespace switchyard::mock
