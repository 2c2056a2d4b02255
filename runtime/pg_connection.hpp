// A small libpq wrapper for the PostgreSQL storage (`storage: postgres://…`): one connection,
// used from one thread at a time, that reconnects when it finds itself broken; parameterized
// statements only (values never spliced into SQL); errors that are safe to log (the URL's
// password never appears in them).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace switchyard::runtime {

/// True for a `postgres://` or `postgresql://` storage URL.
bool is_postgres_url(std::string_view storage_url);

/// `url` with its password (if any) replaced by "***": what a log line may show.
std::string redact_postgres_url(std::string_view url);

/// One statement parameter: text, or SQL NULL when empty.
using pg_param = std::optional<std::string>;

/// The rows of one statement; every value as text (PostgreSQL's text format).
class pg_rows {
 public:
  pg_rows() = default;
  explicit pg_rows(pg_result* res) : res_(res, &clear) {}

  int size() const;
  bool is_null(int row, int col) const;
  /// The value as text; "" for NULL.
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  bool boolean(int row, int col) const;

 private:
  static void clear(pg_result* res);
  std::shared_ptr<pg_result> res_;
};

class pg_connection {
 public:
  /// How long a connection attempt may take.
  static constexpr int connect_timeout_s = 5;

  /// Connects to `url` (a postgres:// URL). Null with a log-safe `error` when it cannot.
  static std::unique_ptr<pg_connection> open(const std::string& url, std::string& error);
  ~pg_connection();
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  /// Reconnects when the connection is broken (server restarted, network cut). False with a
  /// log-safe `error` while the server cannot be reached.
  bool ensure(std::string& error);

  /// Runs `sql` with `$1…$n` bound to `params`. Nullopt with a log-safe `error` on failure (a
  /// broken connection is re-established by the next `ensure`, which `query` and `run` call).
  std::optional<pg_rows> query(const std::string& sql, const std::vector<pg_param>& params,
                               std::string& error);
  /// `query` for a statement whose rows are not needed.
  bool run(const std::string& sql, const std::vector<pg_param>& params, std::string& error);
  /// One or more statements without parameters (schema, BEGIN/COMMIT).
  bool run(const std::string& sql, std::string& error) { return run(sql, {}, error); }

  /// BEGIN. Until `commit` or `rollback`, a lost connection fails every statement instead of
  /// being re-established (the rest of the transaction would run outside it).
  bool begin(std::string& error);
  /// COMMIT; false when it failed or the connection was lost (then nothing was applied).
  bool commit(std::string& error);
  /// ROLLBACK (nothing to send when the connection is gone: the server rolled back).
  void rollback();

  /// True while the last attempt found the connection usable.
  bool healthy() const;
  /// The libpq handle, for LISTEN (see pg_listener.hpp). Null while disconnected.
  pg_conn* raw() const { return conn_; }
  /// The URL with its password hidden.
  const std::string& display_url() const { return display_url_; }

 private:
  pg_connection(std::string url, std::string password)
      : url_(std::move(url)), password_(std::move(password)) {}
  bool connect(std::string& error);
  /// libpq's message with the password (if any) scrubbed, prefixed with where.
  std::string describe(std::string_view message) const;

  std::string url_;
  std::string password_;
  std::string display_url_;
  pg_conn* conn_ = nullptr;
  bool in_transaction_ = false;  // between begin and commit/rollback: no silent reconnect
};

/// Holds a transaction on `conn`: `begin` on construction, `rollback` unless committed.
class pg_transaction {
 public:
  explicit pg_transaction(pg_connection& conn);
  ~pg_transaction();
  pg_transaction(const pg_transaction&) = delete;
  pg_transaction& operator=(const pg_transaction&) = delete;
  bool started(std::string& error) const;
  bool commit(std::string& error);

 private:
  pg_connection& conn_;
  std::string begin_error_;
  bool open_ = false;
};

}  // namespace switchyard::runtime
