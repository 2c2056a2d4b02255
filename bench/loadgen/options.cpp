// Command-line parsing for switchyard-bench: strict, with errors that name the flag.
#include "bench/loadgen/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace switchyard::loadgen {

namespace {

using protocols::result;
using error = std::optional<std::string>;

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

template <class T>
bool parse_uint(std::string_view s, T lo, T hi, T& out) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return false;
  if (v < lo || v > hi) return false;
  out = static_cast<T>(v);
  return true;
}

bool parse_double(std::string_view s, double lo, double hi, double& out) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) {
    return false;
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

std::string uint_error(std::string_view flag, std::string_view v, std::uint64_t lo,
                       std::uint64_t hi) {
  return "--" + std::string(flag) + ": " + quote(v) + " is not an integer from " +
         std::to_string(lo) + " to " + std::to_string(hi);
}

bool is_tchar(char c) {
  // RFC 9110 token characters.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "name[=weight]": the weight after the last '='.
error split_weight(std::string_view flag, std::string_view item, std::string_view& name,
                   double& weight) {
  weight = 1;
  name = item;
  if (auto eq = item.rfind('='); eq != std::string_view::npos) {
    name = item.substr(0, eq);
    auto w = item.substr(eq + 1);
    if (!parse_double(w, 0, 1e9, weight) || weight <= 0) {
      return "--" + std::string(flag) + ": weight " + quote(w) + " in " + quote(item) +
             " is not a number above 0";
    }
  }
  return std::nullopt;
}

error parse_model(std::string_view v, options& o) {
  std::string_view name;
  double weight = 1;
  if (auto e = split_weight("model", v, name, weight)) return e;
  if (name.empty()) return "--model: empty model name in " + quote(v) + "; expected NAME[=WEIGHT]";
  if (has_control(name)) return "--model: " + quote(name) + " contains a control character";
  for (const auto& m : o.models) {
    if (m.name == name) return "--model: " + quote(name) + " is given twice";
  }
  o.models.push_back({std::string(name), weight});
  return std::nullopt;
}

error parse_prompt_bytes(std::string_view v, options& o) {
  constexpr std::size_t max_prompt = std::size_t{16} << 20;
  std::vector<weighted_size> sizes;
  std::set<std::size_t> seen;
  while (true) {
    const auto comma = v.find(',');
    const auto item = v.substr(0, comma);
    std::string_view size_text;
    double weight = 1;
    if (auto e = split_weight("prompt-bytes", item, size_text, weight)) return e;
    std::size_t bytes = 0;
    if (!parse_uint<std::size_t>(size_text, 1, max_prompt, bytes)) {
      return "--prompt-bytes: size " + quote(size_text) + " is not an integer from 1 to " +
             std::to_string(max_prompt) + " (expected BYTES or BYTES=WEIGHT,...)";
    }
    if (!seen.insert(bytes).second) {
      return "--prompt-bytes: size " + std::to_string(bytes) + " is listed twice";
    }
    sizes.push_back({bytes, weight});
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  o.prompt_sizes = std::move(sizes);
  return std::nullopt;
}

error parse_header(std::string_view v, options& o) {
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) {
    return "--header: " + quote(v) + " is not \"Name: value\"";
  }
  const auto name = v.substr(0, colon);
  auto value = v.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!is_token(name)) return "--header: " + quote(name) + " is not a valid header name";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return "--header: the value of " + std::string(name) + " contains a control character";
    }
  }
  static const std::set<std::string> managed = {"host", "content-length", "transfer-encoding",
                                                "connection", "authorization"};
  const auto lname = lower(name);
  if (managed.count(lname) != 0) {
    return "--header: " + std::string(name) + " is set by switchyard-bench itself" +
           (lname == "authorization" ? std::string(" (use --api-key)") : std::string());
  }
  o.headers.push_back(std::string(name) + ": " + std::string(value));
  return std::nullopt;
}

error parse_path(std::string_view v, options& o) {
  if (v.empty() || v.front() != '/') return "--path: " + quote(v) + " must start with '/'";
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') {
      return "--path: " + quote(v) + " contains a space, control, '#' or non-ASCII character " +
             "(percent-encode it)";
    }
  }
  o.path = std::string(v);
  return std::nullopt;
}

// Flags that take no value.
bool is_switch(std::string_view name) {
  return name == "help" || name == "quiet" || name == "include-usage" || name == "insecure" ||
         name == "fixed-prompt";
}

std::optional<std::string> real_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

std::string base_url::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::string base_url::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https" : "http") + "://" + h + ":" + std::to_string(port) + path;
}

result<base_url, std::string> parse_base_url(std::string_view s) {
  const std::string_view original = s;
  auto bad = [&](std::string_view why) {
    return "--base-url: " + quote(original) + " " + std::string(why);
  };
  base_url u;
  if (s.substr(0, 7) == "http://") {
    s.remove_prefix(7);
  } else if (s.substr(0, 8) == "https://") {
    u.tls = true;
    s.remove_prefix(8);
  } else {
    return bad("must start with http:// or https://");
  }
  u.port = u.tls ? 443 : 80;
  const auto slash = s.find('/');
  auto authority = s.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad("contains user info; pass the key with --api-key");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed '[' in the host");
    u.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("has text after the IPv6 address");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("has an empty port");
    }
  } else {
    const auto colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("has an empty port");
    }
  }
  if (u.host.empty()) return bad("has no host");
  for (char c : u.host) {
    auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc >= 0x7f || c == '/' || c == '?' || c == '#') {
      return bad("has an invalid character in the host");
    }
  }
  if (!port_text.empty() && !parse_uint<std::uint16_t>(port_text, 1, 65535, u.port)) {
    return bad("has a port that is not an integer from 1 to 65535");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return bad("has a query or fragment; give only the path prefix (e.g. /v1)");
  }
  for (char c : path) {
    auto uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc >= 0x7f) return bad("has a space, control or non-ASCII character");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.path = std::string(path);
  return u;
}

result<file_contents, std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open " + quote(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return "cannot read " + quote(path);
  return file_contents{ss.str()};
}

result<options, std::string> parse_options(const std::vector<std::string_view>& args,
                                           file_reader read_file, env_reader getenv) {
  if (getenv == nullptr) getenv = &real_getenv;
  options o;
  std::set<std::string> given;
  std::optional<std::string> base_url_text;

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      return "unexpected argument " + quote(arg) + " (flags start with --; see --help)";
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const std::string flag(name);
    std::string_view v;
    if (!is_switch(name)) {
      if (inline_value) {
        v = *inline_value;
      } else if (i + 1 < args.size()) {
        v = args[++i];
      } else {
        return "--" + flag + ": missing value";
      }
    } else if (inline_value) {
      return "--" + flag + ": takes no value";
    }
    const bool repeatable = name == "model" || name == "header";
    if (!repeatable && !given.insert(flag).second) return "--" + flag + ": given twice";
    if (repeatable) given.insert(flag);

    if (name == "help") {
      o.help = true;
    } else if (name == "base-url") {
      base_url_text = std::string(v);
    } else if (name == "api-key") {
      if (v.empty()) return std::string("--api-key: must not be empty");
      if (has_control(v)) return std::string("--api-key: contains a control character");
      o.api_key = std::string(v);
    } else if (name == "api-key-env") {
      auto value = getenv(std::string(v));
      if (!value || value->empty()) {
        return "--api-key-env: environment variable " + std::string(v) + " is not set or empty";
      }
      if (has_control(*value)) {
        return "--api-key-env: " + std::string(v) + " contains a control character";
      }
      o.api_key = *value;
    } else if (name == "header") {
      if (auto e = parse_header(v, o)) return *e;
    } else if (name == "rate") {
      double r = 0;
      if (!parse_double(v, 0, 10'000'000, r) || r <= 0) {
        return "--rate: " + quote(v) + " is not a number of requests per second above 0 and " +
               "at most 10000000";
      }
      o.rate = r;
    } else if (name == "arrival") {
      if (v == "constant") {
        o.arrival = arrival_kind::constant;
      } else if (v == "poisson") {
        o.arrival = arrival_kind::poisson;
      } else {
        return "--arrival: " + quote(v) + " is not constant or poisson";
      }
    } else if (name == "closed") {
      unsigned n = 0;
      if (!parse_uint<unsigned>(v, 1, 100'000, n)) return uint_error(name, v, 1, 100'000);
      o.closed = n;
    } else if (name == "duration") {
      if (!parse_double(v, 0, 86'400, o.duration_s) || o.duration_s <= 0) {
        return "--duration: " + quote(v) + " is not a number of seconds above 0 and at most " +
               "86400";
      }
    } else if (name == "warmup") {
      if (!parse_double(v, 0, 86'400, o.warmup_s)) {
        return "--warmup: " + quote(v) + " is not a number of seconds from 0 to 86400";
      }
    } else if (name == "connections") {
      if (!parse_uint<unsigned>(v, 1, 100'000, o.connections)) {
        return uint_error(name, v, 1, 100'000);
      }
    } else if (name == "timeout-ms") {
      if (!parse_uint<std::uint32_t>(v, 1, 86'400'000, o.timeout_ms)) {
        return uint_error(name, v, 1, 86'400'000);
      }
    } else if (name == "model") {
      if (auto e = parse_model(v, o)) return *e;
    } else if (name == "prompt-bytes") {
      if (auto e = parse_prompt_bytes(v, o)) return *e;
    } else if (name == "stream-share") {
      if (!parse_double(v, 0, 1, o.stream_share)) {
        return "--stream-share: " + quote(v) + " is not a number from 0 to 1";
      }
    } else if (name == "max-tokens") {
      if (!parse_uint<std::uint32_t>(v, 0, 10'000'000, o.max_tokens)) {
        return uint_error(name, v, 0, 10'000'000) + " (0 leaves max_tokens out)";
      }
    } else if (name == "include-usage") {
      o.include_usage = true;
    } else if (name == "fixed-prompt") {
      o.unique_prompts = false;
    } else if (name == "path") {
      if (auto e = parse_path(v, o)) return *e;
    } else if (name == "method") {
      if (!is_token(v)) return "--method: " + quote(v) + " is not an HTTP method";
      o.method = std::string(v);
      for (auto& c : o.method) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
    } else if (name == "body-file") {
      if (v.empty()) return std::string("--body-file: missing file name");
      auto body = read_file(std::string(v));
      if (!body) return "--body-file: " + body.error();
      o.body_file = std::string(v);
      o.body = std::move(body).value().bytes;
    } else if (name == "content-type") {
      if (v.empty() || has_control(v)) {
        return "--content-type: " + quote(v) + " is empty or has a control character";
      }
      o.content_type = std::string(v);
    } else if (name == "out") {
      if (v.empty()) return std::string("--out: missing file name");
      o.out = std::string(v);
    } else if (name == "quiet") {
      o.quiet = true;
    } else if (name == "seed") {
      if (!parse_uint<std::uint64_t>(v, 0, UINT64_MAX, o.seed)) {
        return "--seed: " + quote(v) + " is not an unsigned 64-bit integer";
      }
    } else if (name == "threads") {
      if (!parse_uint<unsigned>(v, 1, 64, o.threads)) return uint_error(name, v, 1, 64);
    } else if (name == "insecure") {
      o.insecure = true;
    } else {
      return "unknown flag --" + flag + " (see --help)";
    }
  }
  if (o.help) return o;

  // Cross-flag rules: every combination that would silently do something else is an error.
  if (!base_url_text) {
    return std::string("--base-url is required (e.g. --base-url http://127.0.0.1:8080/v1)");
  }
  auto url = parse_base_url(*base_url_text);
  if (!url) return url.error();
  o.target = std::move(url).value();

  if (o.rate && o.closed) {
    return std::string("--rate (open loop) and --closed (closed loop) exclude each other");
  }
  if (!o.rate && !o.closed) {
    return std::string(
        "choose the load: --rate R (open loop, requests per second) or --closed N (closed loop, "
        "N concurrent workers)");
  }
  if (o.closed && given.count("arrival")) {
    return std::string("--arrival applies to open loop (--rate) only");
  }
  if (o.closed && given.count("connections")) {
    return std::string(
        "--connections applies to open loop (--rate) only; --closed N uses N "
        "connections");
  }
  const unsigned lanes = o.closed ? *o.closed : o.connections;
  if (o.threads > lanes) {
    return "--threads " + std::to_string(o.threads) + " is more than the " +
           (o.closed ? std::string("--closed workers (") : std::string("--connections (")) +
           std::to_string(lanes) + "); every thread needs at least one";
  }

  static const char* const chat_only[] = {"model",      "prompt-bytes",  "stream-share",
                                          "max-tokens", "include-usage", "fixed-prompt"};
  static const char* const raw_only[] = {"method", "body-file", "content-type"};
  if (o.raw()) {
    for (const char* f : chat_only) {
      if (given.count(f)) {
        return "--" + std::string(f) + " applies to chat mode and cannot be combined with --path";
      }
    }
    const bool has_body = given.count("body-file") != 0;
    if (o.method.empty()) o.method = has_body ? "POST" : "GET";
    if (has_body && (o.method == "GET" || o.method == "HEAD")) {
      return "--body-file: a " + o.method + " request carries no body; use --method POST or PUT";
    }
    if (!has_body && given.count("content-type")) {
      return std::string("--content-type needs --body-file");
    }
  } else {
    for (const char* f : raw_only) {
      if (given.count(f)) {
        return "--" + std::string(f) + " needs --path (raw mode); chat mode always POSTs JSON";
      }
    }
    if (o.models.empty()) {
      return std::string(
          "chat mode needs at least one --model NAME[=WEIGHT] (or --path for a raw request)");
    }
    if (o.include_usage && o.stream_share == 0) {
      return std::string("--include-usage only affects streaming requests; set --stream-share");
    }
  }
  return o;
}

std::string usage_text() {
  return R"(switchyard-bench: an open-loop load generator for OpenAI-compatible endpoints.

usage: switchyard-bench --base-url URL (--rate R | --closed N) [flags]

target
  --base-url URL        http[s]://host[:port][/prefix], e.g. http://127.0.0.1:8080/v1 (required)
  --api-key KEY         sent as "Authorization: Bearer KEY"
  --api-key-env NAME    read the key from environment variable NAME (keeps it out of ps)
  --header "N: V"       extra request header (repeatable), e.g. "x-portkey-config: pc-..."
  --insecure            https: do not verify the server certificate

load
  --rate R              open loop: R requests/s on a fixed schedule (latency is measured from
                        each request's scheduled start)
  --arrival KIND        constant (default) or poisson (exponential gaps)
  --closed N            closed loop: N workers, each sends the next request when the last ends
  --duration S          measured seconds (default 10; decimals allowed)
  --warmup S            seconds run first and excluded from the statistics (default 0)
  --connections N       open loop: most keep-alive connections (default 512)
  --timeout-ms MS       a request not complete this long after its scheduled start fails
                        (default 60000)
  --threads N           generator threads (default 1)
  --seed N              seed of the schedule and the request mix (default 1)

chat requests (POST {base-url}/chat/completions)
  --model NAME[=W]      model and its weight (repeatable; at least one)
  --prompt-bytes SPEC   prompt size in bytes, or a weighted list: 200 or 100=3,4000=1
                        (default 200)
  --stream-share F      share of requests sent with "stream": true, 0..1 (default 0)
  --max-tokens N        max_tokens of every request; 0 leaves it out (default 16)
  --include-usage       streams ask for a final usage chunk
  --fixed-prompt        send identical prompts (default: a unique tag starts each prompt so no
                        cache can answer it)

raw requests (any path, e.g. to measure the generator against nginx)
  --path P              request {base-url path}P instead of chat completions
  --method M            HTTP method (default GET, or POST with --body-file)
  --body-file F         send F's bytes as the body
  --content-type T      Content-Type of the body (default application/json)

output
  --out FILE            write the JSON report to FILE (default stdout)
  --quiet               no progress line on stderr
  --help                this text

exit status: 0 valid result, 1 the run finished but is not a valid result (the generator fell
behind its schedule or was interrupted), 2 bad arguments, 3 target unreachable (no report).
)";
}

}  // namespace switchyard::loadgen
