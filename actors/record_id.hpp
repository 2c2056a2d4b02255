// Record ids: the idempotency key of a usage record. A request id may come from the client (and
// repeat), so every record gets its own id when the gateway accepts the request; every store and
// the on-disk journal key on it, so a record written twice (replayed after a crash) counts once.
#pragma once

#include <string>

namespace switchyard::actors {

/// A fresh record id: 128 random bits as 32 lowercase hex digits. Unique, not secret: drawn from
/// a per-thread PRNG seeded once from std::random_device, so generation takes no lock.
std::string new_record_id();

}  // namespace switchyard::actors
