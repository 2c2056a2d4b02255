// `switchyard admin …`: the admin API's operations from the command line, offline, over the store
// the config's `storage:` names (the same code as /admin/*, with "cli" as the audit actor). A
// running gateway sees CLI changes after its next SIGHUP or restart.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace switchyard::runtime {

/// Runs the admin command in `args` (everything after `admin`). Prints results to `out` and
/// errors to `err`. Returns 0 on success, 1 when the operation was refused or failed (a 4xx/5xx
/// of the admin API, an unreadable config or store), 2 for a bad command line.
int run_admin_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `switchyard admin`.
void print_admin_usage(std::ostream& os);

}  // namespace switchyard::runtime
