// Names and classifications of attempt outcomes.
#include "actors/messages.hpp"

namespace switchyard::actors {

const char* to_string(attempt_failure f) noexcept {
  switch (f) {
    case attempt_failure::none: return "none";
    case attempt_failure::connect: return "connect";
    case attempt_failure::connect_timeout: return "connect_timeout";
    case attempt_failure::first_byte_timeout: return "first_byte_timeout";
    case attempt_failure::idle_timeout: return "idle_timeout";
    case attempt_failure::total_timeout: return "total_timeout";
    case attempt_failure::upstream_status: return "upstream_status";
    case attempt_failure::reset: return "reset";
    case attempt_failure::protocol: return "protocol";
    case attempt_failure::empty_stream: return "empty_stream";
    case attempt_failure::cancelled: return "cancelled";
    case attempt_failure::lost_race: return "lost_race";
  }
  return "unknown";
}

bool is_timeout(attempt_failure f) noexcept {
  return f == attempt_failure::connect_timeout || f == attempt_failure::first_byte_timeout ||
         f == attempt_failure::idle_timeout || f == attempt_failure::total_timeout;
}

bool is_retryable_status(unsigned status) noexcept {
  switch (status) {
    case 401:  // the gateway's credential for this provider is wrong: another target may work
    case 403:
    case 404:  // this provider does not know the model
    case 408:
    case 409:
    case 429:
      return true;
    default:
      return status >= 500 && status <= 599;
  }
}

}  // namespace switchyard::actors
