// switchyard-bench's command line: every flag, its default and its validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/schedule.hpp"
#include "protocols/result.hpp"

namespace switchyard::loadgen {

/// A parsed `--base-url`: `http[s]://host[:port][/path]`.
struct base_url {
  bool tls = false;
  std::string host;  ///< name or address, without brackets
  std::uint16_t port = 0;
  std::string path;  ///< the path prefix without a trailing slash ("" or "/v1")
  /// The `Host` header value: host, bracketed when IPv6, plus `:port` unless the default.
  std::string host_header() const;
  /// `scheme://host:port/path`, as echoed in the report.
  std::string to_string() const;
};

/// Parses `http[s]://host[:port][/path]`; errors say what is wrong.
protocols::result<base_url, std::string> parse_base_url(std::string_view s);

/// A model name and its share of the requests.
struct weighted_model {
  std::string name;
  double weight = 1;
};

/// A prompt size in bytes and its share of the requests.
struct weighted_size {
  std::size_t bytes = 0;
  double weight = 1;
};

/// Everything a run is configured with.
struct options {
  base_url target;
  /// Sent as `Authorization: Bearer <api_key>` when not empty.
  std::string api_key;
  /// Extra request headers, each "Name: value".
  std::vector<std::string> headers;

  /// Open loop: target requests per second (whole generator). Unset in closed-loop mode.
  std::optional<double> rate;
  arrival_kind arrival = arrival_kind::constant;
  /// Closed loop: number of workers that each send the next request when the previous ends.
  std::optional<unsigned> closed;

  /// Measured seconds (after the warm-up).
  double duration_s = 10;
  /// Seconds run first and left out of the statistics.
  double warmup_s = 0;
  /// Open loop: most keep-alive connections open at once (whole generator).
  unsigned connections = 512;
  /// A request that has not completed this long after its scheduled start fails as a timeout.
  std::uint32_t timeout_ms = 60'000;

  /// Chat mode: models with weights (at least one).
  std::vector<weighted_model> models;
  /// Chat mode: prompt sizes with weights.
  std::vector<weighted_size> prompt_sizes = {{200, 1}};
  /// Chat mode: share of requests sent with `"stream": true`.
  double stream_share = 0;
  /// Chat mode: `max_tokens` of every request; 0 leaves the field out.
  std::uint32_t max_tokens = 16;
  /// Chat mode: ask streams for a final usage chunk (`stream_options.include_usage`).
  bool include_usage = false;
  /// Chat mode: put a unique tag at the start of each prompt so no cache can answer it.
  bool unique_prompts = true;

  /// Raw mode (set when `--path` is given): the path after the base URL's path.
  std::optional<std::string> path;
  /// Raw mode: the HTTP method (GET when there is no body, else POST unless given).
  std::string method;
  /// Raw mode: the body file's name and contents.
  std::string body_file;
  std::string body;
  /// Raw mode: Content-Type of the body.
  std::string content_type = "application/json";

  /// The JSON report goes here; stdout when empty.
  std::string out;
  /// No progress line.
  bool quiet = false;
  /// Seed of the arrival schedule and of the request mix.
  std::uint64_t seed = 1;
  /// Generator threads, each with its own event loop and share of the load.
  unsigned threads = 1;
  /// https: do not verify the server's certificate.
  bool insecure = false;
  /// `--help` was given.
  bool help = false;

  /// True in raw (`--path`) mode.
  bool raw() const noexcept { return path.has_value(); }
};

/// A file's whole contents.
struct file_contents {
  std::string bytes;
};

/// Reads a file's whole contents (for `--body-file`); errors name the file.
using file_reader = protocols::result<file_contents, std::string> (*)(const std::string& path);

/// Reads a file from disk.
protocols::result<file_contents, std::string> read_whole_file(const std::string& path);

/// Looks up an environment variable (for `--api-key-env`); nullopt when unset.
using env_reader = std::optional<std::string> (*)(const std::string& name);

/// Parses the arguments after the program name (`--name value` or `--name=value`).
/// Errors name the flag and say what is expected.
protocols::result<options, std::string> parse_options(const std::vector<std::string_view>& args,
                                                      file_reader read_file = &read_whole_file,
                                                      env_reader getenv = nullptr);

/// The `--help` text.
std::string usage_text();

}  // namespace switchyard::loadgen
