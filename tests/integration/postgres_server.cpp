// The test PostgreSQL server: initdb, postgres as a child process (through setpriv when the test
// runs as root, so the pid we signal is the postmaster itself), readiness by libpq ping.
#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <libpq-fe.h>

namespace switchyard::itest {

namespace fs = std::filesystem;

namespace {

// The server binaries: `pg_config --bindir`, else Debian's PostgreSQL 15 location.
fs::path find_bindir() {
  if (FILE* pipe = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    std::array<char, 512> buf{};
    std::string out;
    while (std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
    ::pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (!out.empty() && fs::exists(fs::path(out) / "postgres")) return out;
  }
  fs::path debian = "/usr/lib/postgresql/15/bin";
  if (fs::exists(debian / "postgres")) return debian;
  throw std::runtime_error("no PostgreSQL server binaries (pg_config --bindir, " + debian.string() +
                           ")");
}

// The `postgres` account when we are root (PostgreSQL refuses to run as root), else nothing.
const passwd* server_account() {
  if (::geteuid() != 0) return nullptr;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw) throw std::runtime_error("running as root but there is no `postgres` user to run as");
  return pw;
}

// `argv` run as the server account: setpriv execs in place, so the child pid is the program.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (!server_account()) return argv;
  std::vector<std::string> out = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                  "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void chown_tree(const fs::path& root, const passwd* pw) {
  if (::chown(root.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("cannot chown " + root.string());
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (::lchown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("cannot chown " + entry.path().string());
}

std::string read_text(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return {};
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  std::fclose(f);
  return out;
}

// Runs `sql` over a fresh connection; every row, each column as text ("" for NULL). Throws with
// the server's message.
std::vector<std::vector<std::string>> run_sql(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = ::PQconnectdb(conninfo.c_str());
  if (::PQstatus(conn) != CONNECTION_OK) {
    std::string why = ::PQerrorMessage(conn);
    ::PQfinish(conn);
    throw std::runtime_error("cannot connect to the test PostgreSQL: " + why);
  }
  PGresult* res = ::PQexec(conn, sql.c_str());
  auto status = ::PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string why = ::PQerrorMessage(conn);
    ::PQclear(res);
    ::PQfinish(conn);
    throw std::runtime_error(sql + ": " + why);
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < ::PQntuples(res); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < ::PQnfields(res); ++c)
      row.emplace_back(::PQgetisnull(res, r, c) ? "" : ::PQgetvalue(res, r, c));
  }
  ::PQclear(res);
  ::PQfinish(conn);
  return rows;
}

}  // namespace

postgres_server::postgres_server() : bindir_(find_bindir()), port_(free_loopback_port()) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/switchyard-pg-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  dir_ = templ;
  try {
    if (const passwd* pw = server_account()) chown_tree(dir_, pw);
    // --no-sync and the settings in start() trade durability against power loss for speed: a
    // test server only has to survive its own stop() and start().
    process initdb("initdb",
                   as_server_user({(bindir_ / "initdb").string(), "-D", (dir_ / "data").string(),
                                   "-U", user, "--auth=trust", "--encoding=UTF8", "--no-locale",
                                   "--no-sync", "--no-instructions"}),
                   dir_ / "initdb.log");
    auto rc = initdb.wait_exit(120s);
    if (!rc || *rc != 0)
      throw std::runtime_error("initdb failed: " + read_text(dir_ / "initdb.log"));
    start();
    run_sql("host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " dbname=postgres",
            std::string("CREATE DATABASE ") + database);
  } catch (...) {
    proc_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

postgres_server::~postgres_server() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string postgres_server::url() const {
  return std::string("postgres://") + user + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string postgres_server::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " dbname=" + database +
         " connect_timeout=5";
}

void postgres_server::start() {
  if (running()) return;
  ++generation_;
  fs::path log = dir_ / ("postgres-" + std::to_string(generation_) + ".log");
  proc_ = std::make_unique<process>(
      "postgres",
      as_server_user({(bindir_ / "postgres").string(), "-D", (dir_ / "data").string(), "-p",
                      std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c",
                      "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off",
                      "-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c",
                      "max_connections=100"}),
      log);
  wait_ready();
}

void postgres_server::wait_ready() {
  const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user +
                           " dbname=postgres connect_timeout=2";
  // Generous: crash recovery after a SIGKILL on a loaded two-core machine takes a while.
  bool up = eventually([&] { return !proc_->running() || ::PQping(ping.c_str()) == PQPING_OK; },
                       60s, 50ms);
  if (up && proc_->running()) return;
  std::string log = proc_->stderr_text();
  proc_->stop();
  throw std::runtime_error(std::string("PostgreSQL did not start on port ") +
                           std::to_string(port_) + ": " + log);
}

void postgres_server::stop() {
  if (!proc_) return;
  // SIGINT is PostgreSQL's fast shutdown; SIGTERM (smart) would wait for every client — a
  // gateway keeps its connections open — and a SIGKILLed postmaster leaves its backends behind.
  proc_->signal(SIGINT);
  if (!proc_->wait_exit(30s)) proc_->stop(1s);
  proc_.reset();
}

std::vector<std::vector<std::string>> postgres_server::query(const std::string& sql) const {
  return run_sql(conninfo(), sql);
}

}  // namespace switchyard::itest
