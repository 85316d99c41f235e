/**
 * The Lua scripts the Redis limiter runs for GCRA and concurrency (the sliding window's are in
 * `redis-sliding-scripts.ts`): one per check, atomic on the server, so replicas sharing one Redis
 * are exact. `now` comes from the Redis server's clock (one clock for every replica) unless the caller passes
 * one (tests). All keys of one call must live on one node (no Redis Cluster slot spreading).
 */

/** The server's time in ms, or the caller's (ARGV[1]); shared with `redis-sliding-scripts.ts`. */
export const NOW = `
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end`;

/**
 * GCRA's decision over KEYS[first + i], nothing written yet: the step in gcra.ts (same operations, same order, so
 * the TypeScript decision computed from the reply matches). ARGV[base + 2i], ARGV[base + 2i + 1]: limit and cost
 * of KEYS[first + i]. Sets `allowed` (every limit had room), `found` (each stored tat, '' when none) and `nexts`.
 */
export const GCRA_DECIDE = `
local period = 60000
local found, nexts = {}, {}
local allowed = 1
for i = 1, #KEYS - first do
  local key = KEYS[first + i]
  local limit = tonumber(ARGV[base + 2 * i])
  local cost = tonumber(ARGV[base + 2 * i + 1])
  local tat = tonumber(redis.call('GET', key))
  found[i] = tat and string.format('%.3f', tat) or ''
  local start = math.max(tat or now, now)
  nexts[i] = start + cost * (period / limit)
  if now < nexts[i] - period then allowed = 0 end
end`;

/** After GCRA_DECIDE, when the caller decided to charge: stores every limit's new tat. */
export const GCRA_CHARGE = `
for i = 1, #KEYS - first do
  redis.call('SET', KEYS[first + i], string.format('%.3f', nexts[i]), 'PX', math.max(1, math.ceil(nexts[i] - now)))
end`;

/**
 * GCRA over every KEYS[i] at once, all or nothing. ARGV[2i], ARGV[2i+1]: limit and cost of KEYS[i].
 * Replies 1/0 (allowed), now, then each key's stored tat as found ('' when none).
 */
export const GCRA_SCRIPT = `${NOW}
local first, base = 0, 0
${GCRA_DECIDE}
if allowed == 1 then ${GCRA_CHARGE} end
local reply = { allowed, string.format('%.3f', now) }
for i = 1, #KEYS do reply[#reply + 1] = found[i] end
return reply`;

/**
 * The adjustment loop of ADJUST_SCRIPT and RELEASE_ADJUST_SCRIPT: adds ARGV[base + 2i] (cost, may be negative)
 * to KEYS[first + i] (limit ARGV[base + 2i - 1]) without refusing, gcraAdjust in gcra.ts. Expects the locals
 * `now`, `first` and `base`.
 */
const ADJUST_LOOP = `
local period = 60000
for i = 1, #KEYS - first do
  local key = KEYS[first + i]
  local limit = tonumber(ARGV[base + 2 * i - 1])
  local cost = tonumber(ARGV[base + 2 * i])
  local tat = tonumber(redis.call('GET', key))
  local nextTat = math.max(tat or now, now) + cost * (period / limit)
  if nextTat > now then
    redis.call('SET', key, string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
  else
    redis.call('DEL', key)
  end
end`;

/** Adds ARGV[2i+1] (cost, may be negative) to KEYS[i] (limit ARGV[2i]) without refusing. */
export const ADJUST_SCRIPT = `${NOW}
local first, base = 0, 1
${ADJUST_LOOP}
return 1`;

/**
 * What a request does when it ends, in one call: gives back the lease ARGV[3]'s slots in KEYS[1..ARGV[2]]
 * (concurrency sorted sets; ZREM, so releasing twice is harmless). Shared with the sliding window's variant;
 * defines `first` (the slot keys) for the adjustment that follows.
 */
export const RELEASE = `
local first = tonumber(ARGV[2])
for i = 1, first do redis.call('ZREM', KEYS[i], ARGV[3]) end`;

/**
 * RELEASE, then ADJUST_SCRIPT's adjustment of the keys after the slots: ARGV[2i+2] and ARGV[2i+3] are the limit
 * and cost of KEYS[ARGV[2] + i]. Atomic, so a reconciliation never lands without its release or the reverse.
 */
export const RELEASE_ADJUST_SCRIPT = `${NOW}${RELEASE}
local base = 3
${ADJUST_LOOP}
return 1`;

/**
 * Concurrency slots, nothing written yet but expired leases dropped: KEYS[1..slots] are sorted sets of lease ids
 * scored by expiry; ARGV[limitAt + i] is the limit of KEYS[i]. Sets `roomy` (per key 1/0: had a slot for
 * `lease`), `held` (slots in use), `mine` (1 when `lease` holds one already) and `slotsAllowed`. Expects `slots`,
 * `lease` and `limitAt`.
 */
export const SLOTS_DECIDE = `
local held, mine, roomy = {}, {}, {}
local slotsAllowed = 1
for i = 1, slots do
  local key = KEYS[i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  held[i] = redis.call('ZCARD', key)
  mine[i] = redis.call('ZSCORE', key, lease) and 1 or 0
  roomy[i] = (held[i] + 1 - mine[i] <= tonumber(ARGV[limitAt + i])) and 1 or 0
  if roomy[i] == 0 then slotsAllowed = 0 end
end`;

/** After SLOTS_DECIDE, when the caller decided to take them: `lease` holds a slot in every set for `ttl` ms. */
export const SLOTS_TAKE = `
for i = 1, slots do
  local key = KEYS[i]
  redis.call('ZADD', key, now + ttl, lease)
  held[i] = held[i] + 1 - mine[i]
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(last[2]) - now)))
end`;

/**
 * Concurrency slots: a slot is taken in every KEYS[i] or in none. ARGV[2]: lease id, ARGV[3]: ttl ms, ARGV[3+i]:
 * limit of KEYS[i]. Replies 1/0 (allowed), then per key 1/0 (had room) and slots in use (after taking, when
 * allowed).
 */
export const ACQUIRE_SCRIPT = `${NOW}
local lease, ttl = ARGV[2], tonumber(ARGV[3])
local slots, limitAt = #KEYS, 3
${SLOTS_DECIDE}
if slotsAllowed == 1 then ${SLOTS_TAKE} end
local reply = { slotsAllowed }
for i = 1, slots do
  reply[#reply + 1] = roomy[i]
  reply[#reply + 1] = held[i]
end
return reply`;
