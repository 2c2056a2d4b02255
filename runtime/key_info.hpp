// GET /v1/key: the caller's key and tenant, their limits, spend and what remains, in the shape of
// OpenRouter's key endpoint (`{"data": {...}}`) with the gateway's own detail added.
#pragma once

#include <string>

#include "actors/budget_book.hpp"
#include "runtime/auth.hpp"

namespace switchyard::runtime {

/// The body of GET /v1/key for `who`, read from `book` now. Never contains the key itself.
std::string key_info_body(const principal& who, const actors::budget_book& book);

}  // namespace switchyard::runtime
