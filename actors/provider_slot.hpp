// An in-flight slot of one provider actor, released when its last reference goes away. Holding
// slots by reference count (not by actor bookkeeping) means a crashed request actor, a dropped
// reply or a dead mailbox can never leak provider capacity.
#pragma once

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"

namespace switchyard::actors {

/// One admitted slot; see `slot_ptr`.
class provider_slot {
 public:
  explicit provider_slot(caf::actor owner) : owner_(std::move(owner)) {}
  ~provider_slot() { caf::anon_send(owner_, release_atom::value); }
  provider_slot(const provider_slot&) = delete;
  provider_slot& operator=(const provider_slot&) = delete;

 private:
  caf::actor owner_;
};

}  // namespace switchyard::actors
