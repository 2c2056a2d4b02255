// Kept in its own file, compiled without UBSan's vptr check (see actors/CMakeLists.txt): CAF
// 0.17's intrusive task queue casts its sentinel node, which is not a mailbox element, to one
// while it walks the queue. That is CAF's own idiom, harmless in practice, but UBSan's vptr check
// stops the process on it; only this file's instantiations walk the queue from our code.
#include "actors/mailbox_size.hpp"

#include <caf/scheduled_actor.hpp>

namespace switchyard::actors {

std::size_t mailbox_size(caf::scheduled_actor* self) { return self->mailbox().size(); }

}  // namespace switchyard::actors
