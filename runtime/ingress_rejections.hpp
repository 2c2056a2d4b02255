// API requests the ingress refuses before the control plane sees them (a bad key, a body that
// does not decode): they never get a request actor, so the access log hears of them from here.
#pragma once

#include <chrono>
#include <string>

#include "actors/ports/request_observer.hpp"
#include "protocols/error.hpp"
#include "runtime/routes.hpp"

namespace switchyard::runtime {

/// True for the routes whose requests the access log records: chat, embeddings, messages.
bool is_logged_api_route(route which) noexcept;

/// The record of a request to `which` refused with `error`: no model, provider or attempt;
/// `tenant` and `key_prefix` are empty when the key was not recognised.
actors::request_record rejected_request_record(std::string request_id, route which,
                                               const protocols::error_info& error,
                                               std::chrono::steady_clock::time_point received,
                                               std::string tenant, std::string key_prefix);

}  // namespace switchyard::runtime
