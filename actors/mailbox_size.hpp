// How many messages wait in an actor's mailbox, for the metrics. Only the actor itself may ask
// (CAF 0.17's mailbox is safe to size from its owner only).
#pragma once

#include <cstddef>

namespace caf {
class scheduled_actor;
}

namespace switchyard::actors {

/// Messages waiting in `self`'s mailbox; call only from `self`'s own handlers.
std::size_t mailbox_size(caf::scheduled_actor* self);

}  // namespace switchyard::actors
