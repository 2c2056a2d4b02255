// Keeps the gateway's budget book on the effective configuration the admin API publishes (admin
// changes and SIGHUP reloads), so budgets and rate limits apply to tenants and keys created or
// changed at run time.
#pragma once

#include "actors/budget_book.hpp"
#include "runtime/admin_api.hpp"

namespace switchyard::runtime {

/// A publish hook that reconfigures `book` (which must outlive the admin API's use of it),
/// seeding every budget that starts a period from zero with the usage records of that period, read
/// through the admin store on the admin worker (never an I/O thread). A read that fails is logged
/// and that budget starts from zero.
admin_api::publish_hook follow_budgets(actors::budget_book& book);

}  // namespace switchyard::runtime
