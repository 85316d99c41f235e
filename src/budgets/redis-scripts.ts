/**
 * The budget counters' Lua scripts: one per call, so a reservation across a key's and its tenant's budget is
 * atomic on the server. Per budget line three Redis keys: the hash `<k>` (spent, reserved, alerted, seeded),
 * the lease set `<k>:l` (lease id → expiry ms) and the lease amounts `<k>:a` (lease id → nano-dollars).
 * ARGV[1] is the caller's clock in ms, or '' for the Redis server's (every replica then agrees).
 */

/** Shared prelude: `now`, and `expire(k, now)`, which gives back the reservations of leases that expired. */
const PRELUDE = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function expire(k)
  local due = redis.call('ZRANGEBYSCORE', k .. ':l', '-inf', now)
  if #due == 0 then return end
  local freed = 0
  for _, id in ipairs(due) do freed = freed + (tonumber(redis.call('HGET', k .. ':a', id)) or 0) end
  redis.call('ZREMRANGEBYSCORE', k .. ':l', '-inf', now)
  redis.call('HDEL', k .. ':a', unpack(due))
  redis.call('HINCRBY', k, 'reserved', -freed)
end
local function keep(k, ttl)
  local left = redis.call('PTTL', k)
  if left < ttl then
    redis.call('PEXPIRE', k, ttl)
    redis.call('PEXPIRE', k .. ':l', ttl)
    redis.call('PEXPIRE', k .. ':a', ttl)
  end
end
`;

/**
 * KEYS: one per line. ARGV: now, lease id, lease ttl ms, then per line: limit, amount, must fit (1|0), ttl ms.
 * Reply: allowed (1|0), then per line spent and reserved (after when allowed, as found when refused).
 */
export const RESERVE_SCRIPT = `${PRELUDE}
local lease = ARGV[2]
local leaseExpiry = now + tonumber(ARGV[3])
local states = {}
local allowed = 1
for i, k in ipairs(KEYS) do
  local base = 4 + (i - 1) * 4
  expire(k)
  local spent = tonumber(redis.call('HGET', k, 'spent')) or 0
  local reserved = tonumber(redis.call('HGET', k, 'reserved')) or 0
  states[i] = { spent, reserved }
  if ARGV[base + 2] == '1' and spent + reserved + tonumber(ARGV[base + 1]) > tonumber(ARGV[base]) then allowed = 0 end
end
if allowed == 1 then
  for i, k in ipairs(KEYS) do
    local base = 4 + (i - 1) * 4
    local amount = tonumber(ARGV[base + 1])
    -- A counter made by live traffic is never seeded from the rollups later (that would count its spend twice).
    redis.call('HSETNX', k, 'seeded', 1)
    if amount > 0 then
      redis.call('HINCRBY', k, 'reserved', amount)
      redis.call('HINCRBY', k .. ':a', lease, amount)
      redis.call('ZADD', k .. ':l', leaseExpiry, lease)
      states[i][2] = states[i][2] + amount
    end
    keep(k, tonumber(ARGV[base + 3]))
  end
end
local reply = { allowed }
for i = 1, #KEYS do
  reply[#reply + 1] = states[i][1]
  reply[#reply + 1] = states[i][2]
end
return reply
`;

/**
 * KEYS: one per line. ARGV: now, lease id, threshold count n, n thresholds (ascending percents), then per line:
 * limit, spent (nano-dollars to add), ttl ms. Reply per line: spent after, alerted level before, level after.
 */
export const SETTLE_SCRIPT = `${PRELUDE}
local lease = ARGV[2]
local n = tonumber(ARGV[3])
local reply = {}
for i, k in ipairs(KEYS) do
  local base = 4 + n + (i - 1) * 3
  local limit = tonumber(ARGV[base])
  expire(k)
  local held = tonumber(redis.call('HGET', k .. ':a', lease))
  if held then
    redis.call('HDEL', k .. ':a', lease)
    redis.call('ZREM', k .. ':l', lease)
    redis.call('HINCRBY', k, 'reserved', -held)
  end
  redis.call('HSETNX', k, 'seeded', 1)
  local spent = redis.call('HINCRBY', k, 'spent', tonumber(ARGV[base + 1]))
  local alerted = tonumber(redis.call('HGET', k, 'alerted')) or 0
  local level = alerted
  for j = 1, n do
    local threshold = tonumber(ARGV[3 + j])
    if threshold > level and spent * 100 >= threshold * limit then level = threshold end
  end
  if level > alerted then redis.call('HSET', k, 'alerted', level) end
  keep(k, tonumber(ARGV[base + 2]))
  reply[#reply + 1] = spent
  reply[#reply + 1] = alerted
  reply[#reply + 1] = level
end
return reply
`;

/** KEYS: one per entry. ARGV: now, then per entry: spent, ttl ms. Seeds only counters never seen. */
export const SEED_SCRIPT = `${PRELUDE}
for i, k in ipairs(KEYS) do
  if redis.call('HSETNX', k, 'seeded', 1) == 1 then
    redis.call('HINCRBY', k, 'spent', tonumber(ARGV[2 * i]))
    keep(k, tonumber(ARGV[2 * i + 1]))
  end
end
return 1
`;

/** KEYS: one per line. ARGV: now. Reply per line: spent, reserved. */
export const READ_SCRIPT = `${PRELUDE}
local reply = {}
for _, k in ipairs(KEYS) do
  expire(k)
  reply[#reply + 1] = tonumber(redis.call('HGET', k, 'spent')) or 0
  reply[#reply + 1] = tonumber(redis.call('HGET', k, 'reserved')) or 0
end
return reply
`;
