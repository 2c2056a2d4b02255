// Private Redis and PostgreSQL servers for a benchmarked cluster.
#include "bench/runner/shared_state.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace switchyard::bench {

namespace fs = std::filesystem;

namespace {

// PostgreSQL's server binaries: Debian keeps them out of $PATH.
std::string postgres_bindir() {
  for (const char* v : {"16", "15", "14", "13"}) {
    auto dir = std::string("/usr/lib/postgresql/") + v + "/bin";
    if (fs::exists(dir + "/postgres")) return dir;
  }
  return {};
}

// PostgreSQL refuses to run as root: then run it as Debian's `postgres` account.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {"setpriv", "--reuid=postgres", "--regid=postgres",
                                  "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Runs `argv` to its end; empty when it exited 0, else its stderr's tail.
std::string run_to_end(const std::vector<std::string>& argv, const std::string& log) {
  child c;
  auto err = c.start(argv, log, log + ".err");
  if (!err.empty()) return err;
  int status = c.wait();
  if (status != 0) return "exit " + std::to_string(status) + ": " + tail_of_file(log + ".err", 3);
  return {};
}

}  // namespace

shared_state::~shared_state() {
  // SIGTERM is PostgreSQL's "smart" shutdown (it waits for clients): the nodes are stopped first.
  postgres_.stop();
  redis_.stop();
  std::error_code ec;
  if (!data_dir_.empty()) fs::remove_all(data_dir_, ec);
}

std::string shared_state::start(const std::string& dir) {
  fs::create_directories(dir);
  if (auto err = start_redis(dir + "/redis"); !err.empty()) return "redis-server: " + err;
  if (auto err = start_postgres(dir + "/postgres"); !err.empty()) return "PostgreSQL: " + err;
  return {};
}

std::string shared_state::start_redis(const std::string& dir) {
  fs::create_directories(dir);
  auto port = free_port();
  if (!port) return "no free port";
  redis_port_ = *port;
  // No persistence: a benchmark measures the counters' round trips, not Redis' disk.
  auto err = redis_.start({"redis-server", "--port", std::to_string(redis_port_), "--bind",
                           "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"},
                          dir + "/stdout.log", dir + "/stderr.log");
  if (!err.empty()) return err;
  if (!wait_connectable(redis_port_, std::chrono::seconds(10)))
    return "did not listen: " + tail_of_file(dir + "/stdout.log");
  return {};
}

std::string shared_state::start_postgres(const std::string& dir) {
  auto bin = postgres_bindir();
  if (bin.empty()) return "no server binaries under /usr/lib/postgresql (run 'make deps')";
  fs::create_directories(dir);
  // The data lives under /tmp: the `postgres` account may not reach into the checkout.
  std::string templ = (fs::temp_directory_path() / "bench-postgres-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) return "mkdtemp failed";
  data_dir_ = templ;
  const auto data = data_dir_ + "/data";
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) return "running as root and there is no `postgres` account to run it as";
    if (::chown(data_dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "cannot chown " + data_dir_;
  }
  auto err = run_to_end(as_postgres({bin + "/initdb", "-D", data, "-U", "switchyard",
                                     "--auth=trust", "--no-sync", "-E", "UTF8"}),
                        dir + "/initdb.log");
  if (!err.empty()) return "initdb: " + err;
  auto port = free_port();
  if (!port) return "no free port";
  postgres_port_ = *port;
  // Durability off: the benchmark measures the gateway's inserts, not this disk's fsync.
  err = postgres_.start(as_postgres({bin + "/postgres", "-D", data, "-p",
                                     std::to_string(postgres_port_), "-h", "127.0.0.1", "-k",
                                     data_dir_, "-c", "fsync=off", "-c", "synchronous_commit=off"}),
                        dir + "/stdout.log", dir + "/server.log");
  if (!err.empty()) return err;
  if (!wait_connectable(postgres_port_, std::chrono::seconds(20)))
    return "did not listen: " + tail_of_file(dir + "/server.log");
  // The database the nodes use (the cluster's nodes create their schema in it).
  for (int attempt = 0;; ++attempt) {
    err = run_to_end({bin + "/createdb", "-h", "127.0.0.1", "-p", std::to_string(postgres_port_),
                      "-U", "switchyard", "switchyard"},
                     dir + "/createdb.log");
    if (err.empty()) return {};
    // Listening comes a moment before accepting logins ("the database system is starting up").
    if (attempt == 20) return "createdb: " + err;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string shared_state::counters_url() const {
  return "redis://127.0.0.1:" + std::to_string(redis_port_);
}

std::string shared_state::storage_url() const {
  return "postgres://switchyard@127.0.0.1:" + std::to_string(postgres_port_) + "/switchyard";
}

}  // namespace switchyard::bench
