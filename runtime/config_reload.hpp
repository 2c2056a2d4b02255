// Hot reload (SIGHUP): what a new config file may change while the gateway runs. Applied live:
// providers (added, changed, re-pointed, removed; see actors/provider_diff.hpp), models (targets,
// prices, attempts), tenants and their keys, server.admin_key. Refused, the running config
// serving on: a file that does not load or validate (config/loader.hpp says why). Kept until a
// restart, with a warning naming them: the other `server:` fields, `storage`, `counters`.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace switchyard::runtime {

/// What a reload will do, for the log.
struct reload_check {
  std::vector<std::string> warnings;  ///< changes that wait for a restart
  std::vector<std::string> changes;   ///< provider changes applied now, one line each
};

/// Compares `next` with the config the process started with (`started`: the fields only a
/// restart applies) and with the one routed now (`routed`: its providers).
reload_check check_reload(const config::snapshot& started, const config::snapshot& routed,
                          const config::snapshot& next);

}  // namespace switchyard::runtime
