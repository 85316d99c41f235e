/**
 * The sliding-window Lua scripts (the maths of `sliding-window.ts`), one per check, atomic on the server: a
 * limit is a sorted set of charge names scored by the time they were admitted (ms, Redis server clock unless the
 * caller passes one). A charge counts 1 unless the hash `<key>:amounts` says otherwise: it holds the amount of
 * every charge that is not 1 (token reservations) and, in its field `extra`, the sum of (amount - 1) over them,
 * so what a limit holds is ZCARD + extra, a running sum, never a scan. Requests/min never create the hash.
 * Both keys always get the same expiry (a minute after the newest charge or adjustment), so they go together.
 * The hash key is derived from KEYS[i]: all keys must be on one node (no Redis Cluster), like the other scripts.
 */
import { NOW, RELEASE } from './redis-scripts.js';

/** Shared by every script here: dropping the charges that left the window, and the running sum. */
export const LOG = `
local window = 60000
local cutoff = now - window

-- Drops the charges made at or before now - window; returns what the charges left add up to.
local function used(key, amounts)
  if redis.call('EXISTS', amounts) == 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    return redis.call('ZCARD', key)
  end
  local gone = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)
  if #gone > 0 then
    local drop = 0
    for first = 1, #gone, 512 do
      local last = math.min(first + 511, #gone)
      for _, value in ipairs(redis.call('HMGET', amounts, unpack(gone, first, last))) do
        if value then drop = drop + tonumber(value) - 1 end
      end
      redis.call('HDEL', amounts, unpack(gone, first, last))
    end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    if drop ~= 0 then redis.call('HINCRBY', amounts, 'extra', -drop) end
  end
  local count = redis.call('ZCARD', key)
  if count == 0 then
    redis.call('DEL', amounts)
    return 0
  end
  return count + (tonumber(redis.call('HGET', amounts, 'extra')) or 0)
end

-- Records a charge of amount > 0 named member, at now; the newest charge, so both keys expire a window later.
local function add(key, amounts, member, amount)
  redis.call('ZADD', key, now, member)
  if amount ~= 1 then
    redis.call('HSET', amounts, member, amount)
    redis.call('HINCRBY', amounts, 'extra', amount - 1)
  end
  redis.call('PEXPIRE', key, window)
  redis.call('PEXPIRE', amounts, window)
end`;

/**
 * The check's first half: what each limit KEYS[first + i] holds (charges that left the window dropped), and
 * whether every one has room: `allowed`. ARGV[base + 1]: the charge's name, ARGV[base + 2i] and ARGV[base + 2i + 1]:
 * limit and cost (whole numbers) of KEYS[first + i]. Expects `first` and `base`.
 */
export const SLIDING_DECIDE = `
local member = ARGV[base + 1]
local usedBy, allowed = {}, 1
for i = 1, #KEYS - first do
  local key = KEYS[first + i]
  usedBy[i] = used(key, key .. ':amounts')
  if usedBy[i] + tonumber(ARGV[base + 2 * i + 1]) > tonumber(ARGV[base + 2 * i]) then allowed = 0 end
end`;

/**
 * The check's second half, after SLIDING_DECIDE: charges every limit when `charging` is 1 (the caller decides:
 * `allowed`, and anything else that must hold with it), and appends to `reply`, per limit: 1/0 (had room),
 * remaining, ms until the limit is empty again, ms until this cost would fit (0 when it had room).
 */
export const SLIDING_CHARGE = `
-- ms until the oldest charges that hold excess have left (all of them, when even that is not enough).
local function waitFor(key, amounts, excess)
  if redis.call('EXISTS', amounts) == 0 then
    local at = redis.call('ZRANGE', key, excess - 1, excess - 1, 'WITHSCORES')
    if #at == 0 then at = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES') end
    if #at == 0 then return window end
    return tonumber(at[2]) + window - now
  end
  local freed, start, last = 0, 0, nil
  while true do
    local page = redis.call('ZRANGE', key, start, start + 127, 'WITHSCORES')
    if #page == 0 then break end
    for j = 1, #page, 2 do
      freed = freed + (tonumber(redis.call('HGET', amounts, page[j])) or 1)
      last = tonumber(page[j + 1])
      if freed >= excess then return last + window - now end
    end
    start = start + 128
  end
  if last then return last + window - now end
  return window
end

for i = 1, #KEYS - first do
  local key = KEYS[first + i]
  local amounts = key .. ':amounts'
  local limit, cost = tonumber(ARGV[base + 2 * i]), tonumber(ARGV[base + 2 * i + 1])
  local fits = usedBy[i] + cost <= limit
  local after, reset, retry = usedBy[i], 0, 0
  if charging == 1 and cost > 0 then
    add(key, amounts, member, cost)
    after = after + cost
    reset = window
  else
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if #newest > 0 then reset = math.max(0, tonumber(newest[2]) + window - now) end
  end
  if not fits then retry = math.max(1, waitFor(key, amounts, usedBy[i] + cost - limit)) end
  reply[#reply + 1] = fits and 1 or 0
  reply[#reply + 1] = math.max(0, limit - after)
  reply[#reply + 1] = reset
  reply[#reply + 1] = retry
end`;

/**
 * All of KEYS at once, all or nothing. ARGV[2]: the charge's name (unique), ARGV[2i+1], ARGV[2i+2]: limit and
 * cost (whole numbers) of KEYS[i]. Replies 1/0 (allowed), then per key: 1/0 (had room), remaining, ms until
 * the limit is empty again, ms until this cost would fit (0 when it had room).
 */
export const SLIDING_CHECK_SCRIPT = `${NOW}${LOG}
local first, base = 0, 1
${SLIDING_DECIDE}
local charging = allowed
local reply = { allowed }
${SLIDING_CHARGE}
return reply`;

/**
 * The adjustment loop of both adjust scripts: adds ARGV[base + 2i + 1] (may be negative) to the charge
 * ARGV[base + 1] in KEYS[first + i] without refusing; it keeps its time (ARGV[base + 2i] is unused: the limit's
 * place in the other scripts). When that charge has left the window, a positive cost is charged now under the
 * same name and a negative one is dropped. A charge given back entirely is removed. Expects `first` and `base`.
 */
const ADJUST_LOOP = `
local member = ARGV[base + 1]
for i = 1, #KEYS - first do
  local key = KEYS[first + i]
  local amounts = key .. ':amounts'
  local cost = tonumber(ARGV[base + 2 * i + 1])
  used(key, amounts)
  if redis.call('ZSCORE', key, member) then
    local old = tonumber(redis.call('HGET', amounts, member)) or 1
    local new = math.max(0, old + cost)
    if new == 0 then
      redis.call('ZREM', key, member)
      if old ~= 1 then
        redis.call('HDEL', amounts, member)
        redis.call('HINCRBY', amounts, 'extra', 1 - old)
      end
    elseif new ~= old then
      if new == 1 then redis.call('HDEL', amounts, member) else redis.call('HSET', amounts, member, new) end
      redis.call('HINCRBY', amounts, 'extra', new - old)
    end
    -- Both keys keep one expiry (pushing it later is harmless: charges leave by their score, not by expiry).
    if redis.call('EXISTS', key) == 1 then
      redis.call('PEXPIRE', key, window)
      redis.call('PEXPIRE', amounts, window)
    else
      redis.call('DEL', amounts)
    end
  elseif cost > 0 then
    add(key, amounts, member, cost)
  end
end`;

/** Adjusts the charge ARGV[2] in every KEYS[i] by ARGV[2i+2] (ADJUST_LOOP). */
export const SLIDING_ADJUST_SCRIPT = `${NOW}${LOG}
local first, base = 0, 1
${ADJUST_LOOP}
return 1`;

/**
 * RELEASE (redis-scripts.ts: the lease ARGV[3]'s slots in KEYS[1..ARGV[2]]), then the adjustment of the charge
 * ARGV[4] in the keys after them, by ARGV[2i+4] for KEYS[ARGV[2] + i]. One atomic call when a request ends.
 */
export const SLIDING_RELEASE_ADJUST_SCRIPT = `${NOW}${LOG}${RELEASE}
local base = 3
${ADJUST_LOOP}
return 1`;
