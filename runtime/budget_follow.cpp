// See budget_follow.hpp.
#include "runtime/budget_follow.hpp"

#include <chrono>

#include "runtime/process.hpp"

namespace switchyard::runtime {

admin_api::publish_hook follow_budgets(actors::budget_book& book) {
  return [&book](const config::snapshot& effective, admin_store& store) {
    book.reconfigure(effective, [&store](const actors::budget_book::seed_request& s) {
      const auto since_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(s.since.time_since_epoch()).count();
      double spent = 0;
      std::string error;
      if (!store.spend_since(s.tenant, s.key_id, since_ms, spent, error)) {
        log_line("error", "cannot read the spend of tenant `" + s.tenant +
                              "` for its new budget, which starts from zero: " + error);
        return 0.0;
      }
      return spent;
    });
  };
}

}  // namespace switchyard::runtime
