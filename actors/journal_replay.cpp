// Replay of the usage journal at start (see journal_replay.hpp).
#include "actors/journal_replay.hpp"

#include <algorithm>
#include <iterator>
#include <span>

namespace switchyard::actors {

std::vector<journaled_record> replay_leftovers(usage_journal& journal, usage_store& store,
                                               std::size_t batch_size, std::string& error) {
  return store_journaled(journal.take_leftovers(), journal, store, batch_size, error);
}

std::vector<journaled_record> store_journaled(std::vector<journaled_record> left,
                                              usage_journal& journal, usage_store& store,
                                              std::size_t batch_size, std::string& error) {
  batch_size = std::max<std::size_t>(batch_size, 1);
  std::vector<request_record> records;
  std::vector<journal_ticket> tickets;
  std::size_t done = 0;
  while (done < left.size()) {
    const std::size_t n = std::min(batch_size, left.size() - done);
    records.clear();
    tickets.clear();
    for (std::size_t i = done; i < done + n; ++i) {
      records.push_back(left[i].record);
      tickets.push_back(left[i].ticket);
    }
    if (!store.append(records, error)) break;
    journal.stored(tickets);
    done += n;
  }
  left.erase(left.begin(), left.begin() + static_cast<std::ptrdiff_t>(done));
  return left;
}

}  // namespace switchyard::actors
