// Hot reload (SIGHUP): what a new config file may change while the gateway runs. Applied live:
// models (targets, prices, attempts), tenants and their keys, server.admin_key. Refused as a
// whole, the running config serving on: a file that does not load, or whose `providers:` differ
// (provider actors, pools and metrics are built at start). Kept until a restart, with a warning
// naming them: the other `server:` fields, `storage`, `counters`.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace switchyard::runtime {

/// The `providers:` section of the YAML file at `path`, normalized for comparison (as yaml-cpp
/// emits it). Empty when the file cannot be read or parsed (the loader reports why).
std::string providers_section(const std::string& path);

/// The verdict on a reload.
struct reload_check {
  std::string refusal;                ///< non-empty: nothing is applied, and why
  std::vector<std::string> warnings;  ///< changes that wait for a restart
};

/// Compares the running config (`running`, whose file had `running_providers`) with `next`.
reload_check check_reload(const config::snapshot& running, const std::string& running_providers,
                          const config::snapshot& next, const std::string& next_providers);

}  // namespace switchyard::runtime
