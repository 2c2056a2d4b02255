#include "runtime/rate_script.hpp"

namespace switchyard::runtime {

namespace {

constexpr const char* rate_take_source = R"lua(
local want, need, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local back_second, back_amount = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now_ms = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
local oldest = now_s - 59
if back_amount > 0 and back_second >= oldest then
  local had = tonumber(redis.call('HGET', KEYS[1], back_second) or '0')
  local left = math.max(0, had - back_amount)
  if left > 0 then
    redis.call('HSET', KEYS[1], back_second, left)
  else
    redis.call('HDEL', KEYS[1], back_second)
  end
end
-- The window: seconds oldest .. now. Older buckets leave (and are deleted).
local used = 0
local buckets = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local second, count = tonumber(flat[i]), tonumber(flat[i + 1])
  if second < oldest then
    redis.call('HDEL', KEYS[1], flat[i])
  else
    used = used + count
    buckets[#buckets + 1] = {second, count}
  end
end
local free = limit - used
local grant = 0
local wait_ms = 0
if free >= need and free > 0 then
  grant = math.max(need, math.min(want, free))
  redis.call('HINCRBY', KEYS[1], now_s, grant)
  used = used + grant
else
  -- Until enough of the oldest buckets have left for `need` to fit.
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  local freed = free
  wait_ms = 60000
  for _, b in ipairs(buckets) do
    freed = freed + b[2]
    if freed >= need then
      wait_ms = math.max(1, (b[1] + 60) * 1000 - now_ms)
      break
    end
  end
end
redis.call('EXPIRE', KEYS[1], 61)
return {grant, now_s, used, wait_ms}
)lua";

}  // namespace

const redis_script& rate_take_script() {
  static const redis_script s{"rate_take", rate_take_source};
  return s;
}

std::string rate_window_key(const std::string& counter_id, const std::string& kind) {
  return "switchyard:rate:{" + counter_id + ":" + kind + "}";
}

}  // namespace switchyard::runtime
