// Records of requests the ingress refused.
#include "runtime/ingress_rejections.hpp"

namespace switchyard::runtime {

bool is_logged_api_route(route which) noexcept {
  return which == route::chat_completions || which == route::embeddings || which == route::messages;
}

actors::request_record rejected_request_record(std::string request_id, route which,
                                               const protocols::error_info& error,
                                               std::chrono::steady_clock::time_point received,
                                               std::string tenant, std::string key_prefix) {
  actors::request_record r;
  r.request_id = std::move(request_id);
  r.tenant = std::move(tenant);
  r.key_prefix = std::move(key_prefix);
  r.kind = which == route::embeddings ? protocols::api_kind::embeddings
                                      : protocols::api_kind::chat_completions;
  r.client = which == route::messages ? protocols::dialect::anthropic : protocols::dialect::openai;
  r.status = protocols::http_status(error.code);
  r.error = error.message;
  r.finished_at = std::chrono::system_clock::now();
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - received);
  return r;
}

}  // namespace switchyard::runtime
