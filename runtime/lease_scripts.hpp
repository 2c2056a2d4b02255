// The Lua scripts behind budget leases, run atomically by Redis. One shared budget (an account
// in one period) is three keys with a common hash tag:
//   <base>:spent   the period's settled spend, USD (seeded from the usage store on first use)
//   <base>:leases  hash node id -> USD leased to that node and not yet reported as spent
//   <base>:expiry  sorted set node id -> when its lease lapses (ms, Redis' own clock)
// Invariant (every script keeps it): spent + Σ leases <= limit, except for spend reported beyond
// a lease (a reservation in flight when its lease lapsed; see docs/architecture.md).
#pragma once

#include <string>

#include "config/budget_period.hpp"
#include "runtime/redis_client.hpp"

namespace switchyard::runtime {

/// `acquire` KEYS spent, leases, expiry; ARGV node, want, need, floor, k, ttl_ms, limit, seed,
/// key_ttl_s, reported. Seeds `spent` when absent; adds `reported` to spent and takes it off
/// the node's lease; returns expired leases of other nodes to the pool; grants
/// min(want, max(floor, remaining / (k · live nodes))), at least `need` when that much remains,
/// never more than remains. Answers {granted, own lease, spent, remaining after, live nodes}.
const redis_script& acquire_script();

/// `report` KEYS as acquire; ARGV node, reported, ttl_ms, seed, key_ttl_s. spent += reported,
/// the node's lease shrinks by as much (not below 0) and is renewed. Answers {own, spent}.
const redis_script& report_script();

/// `release` KEYS as acquire; ARGV node, reported, released, seed, key_ttl_s, ttl_ms. Reports,
/// then returns `released` of the node's lease to the pool. Answers {own, spent}.
const redis_script& release_script();

/// The key prefix of a shared budget: "switchyard:budget:{<counter id>:<period start, unix s>}".
std::string budget_key_base(const std::string& counter_id, config::wall_time period_start);

}  // namespace switchyard::runtime
