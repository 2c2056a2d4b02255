// The shared state of a cluster: a private Redis (counters) and PostgreSQL (storage), and the
// cluster options that point every node at them.
#pragma once

#include "cluster.hpp"
#include "postgres_server.hpp"
#include "redis_server.hpp"

namespace switchyard::ctest {

struct shared_backends {
  explicit shared_backends(const itest::temp_dir& dir) : redis(dir) {}

  itest::redis_server redis;
  itest::postgres_server pg;

  /// Three nodes on this Redis and PostgreSQL.
  cluster_options options() const {
    cluster_options o;
    o.counters_url = redis.url();
    o.storage_url = pg.url();
    return o;
  }
};

}  // namespace switchyard::ctest
