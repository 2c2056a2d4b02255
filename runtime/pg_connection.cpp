// libpq wrapper (see pg_connection.hpp).
#include "runtime/pg_connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace switchyard::runtime {

namespace {

// Where the password sits in a postgres:// URL: in the user info (`user:PASSWORD@host`) or as a
// `password=` query parameter. Each span is [begin, end) in `url`; absent spans are empty.
struct password_spans {
  std::size_t info_begin = 0, info_end = 0;
  std::size_t query_begin = 0, query_end = 0;
};

password_spans find_password(std::string_view url) {
  password_spans out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return out;
  const auto start = scheme_end + 3;
  const auto authority_end = std::min(url.find('/', start), url.find('?', start));
  const auto authority =
      url.substr(start, authority_end == std::string_view::npos ? std::string_view::npos
                                                                : authority_end - start);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    if (const auto colon = authority.find(':'); colon < at) {
      out.info_begin = start + colon + 1;
      out.info_end = start + at;
    }
  }
  if (const auto q = url.find('?'); q != std::string_view::npos) {
    std::size_t pos = q + 1;
    while (pos < url.size()) {
      auto amp = url.find('&', pos);
      if (amp == std::string_view::npos) amp = url.size();
      constexpr std::string_view key = "password=";
      if (url.substr(pos, key.size()) == key) {
        out.query_begin = pos + key.size();
        out.query_end = amp;
      }
      pos = amp + 1;
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding, as libpq applies it to URL components.
std::string decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

void replace_all(std::string& text, const std::string& secret, std::string_view with) {
  if (secret.empty()) return;
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + with.size()))
    text.replace(pos, secret.size(), with);
}

// One line: libpq messages end with a newline and may span several, indented with tabs.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!space)
      out.push_back(c);
    else if (!out.empty() && out.back() != ' ')
      out.push_back(' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

bool is_postgres_url(std::string_view storage_url) {
  return storage_url.rfind("postgres://", 0) == 0 || storage_url.rfind("postgresql://", 0) == 0;
}

std::string redact_postgres_url(std::string_view url) {
  const auto spans = find_password(url);
  std::string out{url};
  // The later span first, so the earlier one's offsets stay valid.
  if (spans.query_end > spans.query_begin)
    out.replace(spans.query_begin, spans.query_end - spans.query_begin, "***");
  if (spans.info_end > spans.info_begin)
    out.replace(spans.info_begin, spans.info_end - spans.info_begin, "***");
  return out;
}

// pg_rows

void pg_rows::clear(pg_result* res) {
  PQclear(res);
}

int pg_rows::size() const {
  return res_ ? PQntuples(res_.get()) : 0;
}

bool pg_rows::is_null(int row, int col) const {
  return PQgetisnull(res_.get(), row, col) != 0;
}

std::string pg_rows::text(int row, int col) const {
  if (is_null(row, col)) return {};
  return {PQgetvalue(res_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}

std::int64_t pg_rows::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

double pg_rows::real(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::strtod(PQgetvalue(res_.get(), row, col), nullptr);
}

bool pg_rows::boolean(int row, int col) const {
  return !is_null(row, col) && PQgetvalue(res_.get(), row, col)[0] == 't';
}

// pg_connection

std::unique_ptr<pg_connection> pg_connection::open(const std::string& url, std::string& error) {
  const auto spans = find_password(url);
  std::string password;
  if (spans.info_end > spans.info_begin)
    password = url.substr(spans.info_begin, spans.info_end - spans.info_begin);
  else if (spans.query_end > spans.query_begin)
    password = url.substr(spans.query_begin, spans.query_end - spans.query_begin);
  std::unique_ptr<pg_connection> conn{new pg_connection(url, std::move(password))};
  conn->display_url_ = redact_postgres_url(url);
  if (!conn->connect(error)) return nullptr;
  return conn;
}

pg_connection::~pg_connection() {
  if (conn_) PQfinish(conn_);
}

std::string pg_connection::describe(std::string_view message) const {
  std::string text = one_line(message);
  replace_all(text, password_, "***");
  replace_all(text, decode(password_), "***");
  return "PostgreSQL " + display_url_ + ": " + text;
}

bool pg_connection::connect(std::string& error) {
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  // Defaults first: what the URL itself sets overrides them (libpq applies later keywords over
  // earlier ones, and the expanded URL sits last). Keepalives detect a server that vanished
  // without closing the connection.
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"connect_timeout",
                        "application_name",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        nullptr};
  const char* values[] = {timeout.c_str(), "switchyard", "10", "5", "3", url_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr) {
    error = describe("out of memory");
    return false;
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    error = describe(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    return false;
  }
  // Notices (e.g. "relation already exists, skipping") would go to stderr unformatted.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return true;
}

bool pg_connection::ensure(std::string& error) {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
  return connect(error);
}

bool pg_connection::healthy() const {
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

std::optional<pg_rows> pg_connection::query(const std::string& sql,
                                            const std::vector<pg_param>& params,
                                            std::string& error) {
  // Inside a transaction a new connection would run the rest of it outside, in autocommit.
  if (in_transaction_ && !healthy()) {
    error = describe("the connection was lost during the transaction, which was not applied");
    return std::nullopt;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  // libpq learns that a server restarted only when a statement fails on the old connection:
  // outside a transaction that statement is tried once more on a new one (the only statements
  // run outside one are reads and BEGIN).
  for (int attempt = 0;; ++attempt) {
    const bool was_connected = healthy();
    if (!ensure(error)) return std::nullopt;
    PGresult* res = params.empty()
                        ? PQexec(conn_, sql.c_str())
                        : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                       values.data(), nullptr, nullptr, 0);
    pg_rows rows{res};
    const auto status = PQresultStatus(res);
    if (res != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return rows;
    error = describe(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (attempt > 0 || in_transaction_ || healthy() || !was_connected) return std::nullopt;
  }
}

bool pg_connection::run(const std::string& sql, const std::vector<pg_param>& params,
                        std::string& error) {
  return query(sql, params, error).has_value();
}

bool pg_connection::begin(std::string& error) {
  in_transaction_ = run("BEGIN", error);
  return in_transaction_;
}

bool pg_connection::commit(std::string& error) {
  // Still marked in a transaction, so a lost connection fails the COMMIT instead of running it
  // on a fresh connection (where it would "succeed" with nothing to commit). A failed COMMIT
  // rolls back on its own; nothing more to undo.
  const bool committed = run("COMMIT", error);
  in_transaction_ = false;
  return committed;
}

void pg_connection::rollback() {
  in_transaction_ = false;
  std::string ignored;
  // On a broken connection the server already rolled back; do not reconnect just for this.
  if (healthy()) run("ROLLBACK", ignored);
}

// pg_transaction

pg_transaction::pg_transaction(pg_connection& conn) : conn_(conn) {
  open_ = conn_.begin(begin_error_);
}

pg_transaction::~pg_transaction() {
  if (open_) conn_.rollback();
}

bool pg_transaction::started(std::string& error) const {
  if (!open_) error = begin_error_;
  return open_;
}

bool pg_transaction::commit(std::string& error) {
  if (!open_) {
    error = begin_error_.empty() ? "no transaction" : begin_error_;
    return false;
  }
  open_ = false;
  return conn_.commit(error);
}

}  // namespace switchyard::runtime
