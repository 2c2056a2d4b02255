// The PostgreSQL connection's pure parts and its failure path, without a server: which URLs are
// PostgreSQL's, and that no message ever shows the URL's password.
#include <catch2/catch.hpp>

#include "runtime/pg_connection.hpp"

using namespace switchyard::runtime;

TEST_CASE("pg connection: postgres URLs are recognized, passwords are redacted", "[pg]") {
  CHECK(is_postgres_url("postgres://u@h/d"));
  CHECK(is_postgres_url("postgresql://u@h/d"));
  CHECK_FALSE(is_postgres_url("sqlite://var/x.db"));
  CHECK_FALSE(is_postgres_url("Postgres://u@h/d"));

  CHECK(redact_postgres_url("postgres://u:secret@h:5432/d") == "postgres://u:***@h:5432/d");
  CHECK(redact_postgres_url("postgresql://u:p%40ss@h/d?sslmode=require&password=x") ==
        "postgresql://u:***@h/d?sslmode=require&password=***");
  CHECK(redact_postgres_url("postgres://h/d?password=only&sslmode=disable") ==
        "postgres://h/d?password=***&sslmode=disable");
  // A '@' in the password (unencoded) still ends at the last '@' of the authority.
  CHECK(redact_postgres_url("postgres://u:a@b@h/d") == "postgres://u:***@h/d");
  // Nothing to hide: unchanged, including a ':' in the host part.
  CHECK(redact_postgres_url("postgres://u@h:5432/d") == "postgres://u@h:5432/d");
  CHECK(redact_postgres_url("postgres://h") == "postgres://h");
  CHECK(redact_postgres_url("postgres://") == "postgres://");
}

TEST_CASE("pg connection: a refused connection names the server, never the password", "[pg]") {
  std::string error;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto conn =
      pg_connection::open("postgres://alice:s3cr%2Ft@127.0.0.1:1/db?connect_timeout=2", error);
  CHECK(conn == nullptr);
  INFO(error);
  CHECK(error.rfind("PostgreSQL postgres://alice:***@127.0.0.1:1/db", 0) == 0);
  CHECK(error.find("s3cr") == std::string::npos);
  CHECK(error.find_first_of("\n\t") == std::string::npos);
}
