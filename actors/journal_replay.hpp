// Replay at start: what the usage journal still holds from an earlier run (the node was killed,
// or its store was down when it stopped) is stored before the gateway serves, so that the spend
// budgets read back from the store includes it. Stores ignore a record id they already hold.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "actors/ports/usage_journal.hpp"
#include "actors/ports/usage_store.hpp"

namespace switchyard::actors {

/// Stores `records` in batches of `batch_size`, telling the journal what was stored. Returns
/// what the store refused (from the first failed batch on), with `error` set.
std::vector<journaled_record> store_journaled(std::vector<journaled_record> records,
                                              usage_journal& journal, usage_store& store,
                                              std::size_t batch_size, std::string& error);

/// Stores the journal's leftovers (see store_journaled). What the store refused, the usage
/// writer keeps retrying.
std::vector<journaled_record> replay_leftovers(usage_journal& journal, usage_store& store,
                                               std::size_t batch_size, std::string& error);

}  // namespace switchyard::actors
