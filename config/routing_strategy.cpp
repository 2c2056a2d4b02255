// Spelling of the routing strategies (config.hpp), shared by the loader's messages and the docs.
#include "config/config.hpp"

namespace switchyard::config {

std::string_view to_string(routing_strategy s) noexcept {
  switch (s) {
    case routing_strategy::ordered:
      return "ordered";
    case routing_strategy::weighted:
      return "weighted";
    case routing_strategy::cost:
      return "cost";
    case routing_strategy::latency:
      return "latency";
    case routing_strategy::least_busy:
      return "least-busy";
  }
  return "unknown";
}

}  // namespace switchyard::config
