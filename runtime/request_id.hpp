// Request ids: the `x-request-id` a client sent when it is safe to echo and log, else a fresh
// random 128-bit id. Every response carries one.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::runtime {

/// Longest client-supplied id accepted.
inline constexpr std::size_t max_request_id_length = 128;

/// True when `id` is 1..128 characters of [A-Za-z0-9._-] (safe in headers, logs and metrics).
bool is_valid_request_id(std::string_view id) noexcept;

/// A fresh random id: 32 lowercase hex digits (128 bits) from a per-thread PRNG.
std::string generate_request_id();

/// `client_value` when it is valid, else a generated id.
std::string accept_or_generate_request_id(std::string_view client_value);

}  // namespace switchyard::runtime
