#include "runtime/lease_scripts.hpp"

#include <chrono>

namespace switchyard::runtime {

namespace {

// Shared by every script: Redis' clock (nodes' clocks may disagree), a number format that keeps
// every digit of a double, the seed of `spent`, and reporting spend against a lease.
constexpr const char* prelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(x) return string.format('%.17g', x) end
local function spent_of(seed)
  local s = redis.call('GET', KEYS[1])
  if not s then
    redis.call('SET', KEYS[1], seed)
    return tonumber(seed)
  end
  return tonumber(s)
end
local function own_of(node)
  return tonumber(redis.call('HGET', KEYS[2], node) or '0')
end
-- Sums of doubles leave residues (0.3 - 0.1 - 0.2 = -2.8e-17): a lease under a nano-dollar is
-- no lease, so that a node that returned everything leaves no entry behind.
local function set_own(node, own, ttl_ms, now)
  if own > 1e-9 then
    redis.call('HSET', KEYS[2], node, fmt(own))
    redis.call('ZADD', KEYS[3], now + ttl_ms, node)
  else
    redis.call('HDEL', KEYS[2], node)
    redis.call('ZREM', KEYS[3], node)
  end
end
local function report(node, spent, reported)
  if reported > 0 then
    spent = spent + reported
    redis.call('SET', KEYS[1], fmt(spent))
  end
  return spent
end
local function keep(key_ttl_s)
  if key_ttl_s > 0 then
    for i = 1, 3 do redis.call('EXPIRE', KEYS[i], key_ttl_s) end
  end
end
)lua";

constexpr const char* acquire_body = R"lua(
local node = ARGV[1]
local want, need, floor, k = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ttl_ms, limit, key_ttl_s = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[9])
local reported = tonumber(ARGV[10])
local now = now_ms()
local spent = report(node, spent_of(ARGV[8]), reported)
-- Leases whose node stopped renewing them (it died, or lost Redis for a TTL) return to the pool.
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)) do
  if dead ~= node then
    redis.call('HDEL', KEYS[2], dead)
    redis.call('ZREM', KEYS[3], dead)
  end
end
local own = math.max(0, own_of(node) - reported)
local outstanding = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do outstanding = outstanding + tonumber(v) end
outstanding = outstanding - own_of(node) + own
local remaining = limit - spent - outstanding
local live = redis.call('ZCARD', KEYS[3])
if not redis.call('ZSCORE', KEYS[3], node) then live = live + 1 end
-- The slice shrinks as the budget runs out, so the last dollars spread over the live nodes.
local grant = math.min(want, math.max(floor, remaining / (k * live)))
grant = math.max(grant, need)
grant = math.min(grant, remaining)
if grant < 0 then grant = 0 end
own = own + grant
set_own(node, own, ttl_ms, now)
keep(key_ttl_s)
return {fmt(grant), fmt(own), fmt(spent), fmt(remaining - grant), tostring(live)}
)lua";

constexpr const char* report_body = R"lua(
local node, reported = ARGV[1], tonumber(ARGV[2])
local ttl_ms, key_ttl_s = tonumber(ARGV[3]), tonumber(ARGV[5])
local now = now_ms()
local spent = report(node, spent_of(ARGV[4]), reported)
local own = math.max(0, own_of(node) - reported)
set_own(node, own, ttl_ms, now)
keep(key_ttl_s)
return {fmt(own), fmt(spent)}
)lua";

constexpr const char* release_body = R"lua(
local node, reported, released = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local key_ttl_s, ttl_ms = tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()
local spent = report(node, spent_of(ARGV[4]), reported)
-- What stays (reservations still in flight on the node) is renewed like a report's.
local own = math.max(0, own_of(node) - reported - released)
set_own(node, own, ttl_ms, now)
keep(key_ttl_s)
return {fmt(own), fmt(spent)}
)lua";

}  // namespace

const redis_script& acquire_script() {
  static const redis_script s{"acquire", std::string{prelude} + acquire_body};
  return s;
}

const redis_script& report_script() {
  static const redis_script s{"report", std::string{prelude} + report_body};
  return s;
}

const redis_script& release_script() {
  static const redis_script s{"release", std::string{prelude} + release_body};
  return s;
}

std::string budget_key_base(const std::string& counter_id, config::wall_time period_start) {
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(period_start.time_since_epoch()).count();
  return "switchyard:budget:{" + counter_id + ":" + std::to_string(secs) + "}";
}

}  // namespace switchyard::runtime
