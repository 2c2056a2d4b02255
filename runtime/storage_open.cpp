// See storage_open.hpp.
#include "runtime/storage_open.hpp"

#include <unistd.h>

#include <array>

#include "runtime/pg_admin_store.hpp"
#include "runtime/pg_usage_store.hpp"
#include "runtime/request_id.hpp"
#include "runtime/sqlite_admin_store.hpp"
#include "runtime/sqlite_usage_store.hpp"

namespace switchyard::runtime {

protocols::result<std::shared_ptr<actors::usage_store>, std::string> open_usage_store(
    const std::string& storage) {
  if (is_postgres_url(storage)) {
    std::string error;
    auto store = pg_usage_store::open(storage, error);
    if (!store) return error;
    return std::shared_ptr<actors::usage_store>{std::move(store)};
  }
  const std::string path = sqlite_path_of(storage);
  if (path.empty()) return std::string{"storage: must be sqlite://… or postgres://…"};
  auto store = sqlite_usage_store::open(path);
  if (!store.ok()) return std::move(store).error();
  return std::shared_ptr<actors::usage_store>{std::move(store).value()};
}

std::unique_ptr<admin_store> open_admin_store(const std::string& storage, const std::string& origin,
                                              std::string& error) {
  if (is_postgres_url(storage)) return pg_admin_store::open(storage, origin, error);
  const std::string path = sqlite_path_of(storage);
  if (path.empty()) {
    error = "storage: must be sqlite://… or postgres://…";
    return nullptr;
  }
  return sqlite_admin_store::open(path, error);
}

std::string node_origin() {
  // Once per process; the random part keeps two nodes apart even where hostname and pid repeat
  // (containers that all run as pid 1 under one hostname).
  static const std::string origin = [] {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    return std::string{host.data()} + "-" + std::to_string(::getpid()) + "-" +
           generate_request_id().substr(0, 8);
  }();
  return origin;
}

}  // namespace switchyard::runtime
