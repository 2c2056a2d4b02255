// A small synchronous Redis client over hiredis: connect and command timeouts, reconnection with
// exponential backoff, EVALSHA with a SCRIPT LOAD fallback on NOSCRIPT, and pipelines (several
// commands, one round trip). Blocking: use it only from a thread of its own, never from an I/O
// or actor thread. Not thread-safe. Errors name the server's host:port, never its password.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/redis_url.hpp"

struct redisContext;
struct redisReply;

namespace switchyard::runtime {

/// A reply, copied out of hiredis.
struct redis_value {
  enum class kind : std::uint8_t { nil, integer, string, status, error, array };
  kind type = kind::nil;
  long long integer = 0;
  std::string text;  ///< string, status or error
  std::vector<redis_value> elements;

  bool is_error() const noexcept { return type == kind::error; }
  /// The element `i` of an array as a number (string or integer reply); nullopt otherwise.
  std::optional<double> number_at(std::size_t i) const;
};

/// A Lua script, sent by its SHA-1 (EVALSHA) and loaded once per connection when the server
/// does not know it.
struct redis_script {
  redis_script(std::string name, std::string source);
  std::string name;    ///< the `op` label of the operations counter
  std::string source;  ///< Lua
  std::string sha1;    ///< lowercase hex of SHA-1(source)
};

/// One EVALSHA of a pipeline.
struct redis_eval {
  const redis_script* script = nullptr;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

struct redis_client_options {
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
  std::chrono::milliseconds backoff_min{50};    ///< after the first failure
  std::chrono::milliseconds backoff_max{2000};  ///< doubling up to this
};

/// Connects to `ep` with `timeout`, then AUTH and SELECT as the endpoint says. Null with `error`
/// set (host:port and hiredis' reason) when it cannot. The caller owns the context (redisFree).
redisContext* redis_connect(const redis_endpoint& ep, std::chrono::milliseconds timeout,
                            std::string& error);

/// Copies a hiredis reply.
redis_value to_value(const redisReply* r);

class redis_client {
 public:
  /// Called once per command sent, with its `op` label (the operations metric).
  using op_counter = std::function<void(std::string_view op)>;

  redis_client(redis_endpoint ep, redis_client_options options = {}, op_counter count = {});
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  /// One command. Nullopt when the server could not be reached or did not answer in time (or
  /// the client is backing off after such a failure); `error` says why. An error reply is a
  /// value of kind `error`, not a failure.
  std::optional<redis_value> command(std::string_view op, const std::vector<std::string>& args,
                                     std::string& error);

  /// The scripts in `calls`, in one round trip; one reply per call, in order. A script the
  /// server does not know is loaded and its calls sent again. Nullopt on a connection failure.
  std::optional<std::vector<redis_value>> eval(const std::vector<redis_eval>& calls,
                                               std::string& error);

  /// True after the last exchange succeeded (false before the first one).
  bool up() const noexcept { return up_; }
  /// Where it connects (host:port), for logs.
  std::string where() const { return ep_.where(); }

 private:
  bool ensure_connected(std::string& error);
  void fail(std::string& error, std::string why);
  // Sends `argvs` and reads as many replies; nullopt (and a dropped connection) on an I/O error.
  std::optional<std::vector<redis_value>> round_trip(
      const std::vector<std::vector<std::string>>& argvs, std::string& error);

  redis_endpoint ep_;
  redis_client_options options_;
  op_counter count_;
  redisContext* ctx_ = nullptr;
  bool up_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point retry_at_{};
};

}  // namespace switchyard::runtime
