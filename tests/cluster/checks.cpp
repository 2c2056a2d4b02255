// Records against answers.
#include "checks.hpp"

#include <catch2/catch.hpp>

#include "cluster.hpp"

namespace switchyard::ctest {

std::size_t check_records_match_answers(const recorded_usage& stored,
                                        const std::vector<answer>& answers) {
  INFO("answers " << status_summary(answers) << "; records " << stored.records << " ("
                  << stored.distinct_record_ids << " distinct record ids)");
  CHECK(stored.distinct_record_ids == stored.records);  // nothing stored twice
  std::size_t ok = 0, missing = 0, doubled = 0;
  for (const auto& a : answers) {
    if (a.status != 200) continue;
    ++ok;
    auto it = stored.per_request.find(a.request_id);
    if (it == stored.per_request.end()) {
      ++missing;
      UNSCOPED_INFO("no record of completed request " << a.request_id);
    } else if (it->second != 1) {
      ++doubled;
      UNSCOPED_INFO(it->second << " records of request " << a.request_id);
    } else {
      CHECK(stored.status.at(a.request_id) == 200);
    }
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  std::size_t recorded_ok = 0;
  for (const auto& [id, status] : stored.status) recorded_ok += status == 200 ? 1 : 0;
  CHECK(recorded_ok == ok);  // a 200 record without a 200 answer was never delivered
  return ok;
}

double cluster_metric(cluster& c, std::string_view name, std::string_view labels) {
  double sum = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.at(i).running()) sum += metric_sum(c.at(i).metrics(), name, labels);
  return sum;
}

}  // namespace switchyard::ctest
