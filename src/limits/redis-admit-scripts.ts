/**
 * Admission in one script: a request's concurrency slots and its requests/tokens charge, decided together and
 * taken together or not at all (one command and one round trip where `acquire` and `check` were two). Built from
 * the same pieces as ACQUIRE_SCRIPT, GCRA_SCRIPT and SLIDING_CHECK_SCRIPT, so each part decides exactly as its
 * own script does.
 *
 * KEYS: the slot keys (ARGV[2] of them), then the rate keys. ARGV[2]: slot count, ARGV[3]: lease id, ARGV[4]: lease
 * ttl ms, ARGV[4 + i]: limit of slot key i; then the rate part's arguments as its own script takes them after
 * ARGV[1] (GCRA: limit and cost per key; sliding window: the charge's name, then limit and cost per key).
 * Replies 1/0 (slots allowed), 1/0 (rates allowed), then per slot key 1/0 (had room) and slots in use (after
 * taking, when all was taken), then the rate part's reply after its "allowed" (GCRA: now, then each stored tat
 * as found; sliding window: four values per key).
 */
import { GCRA_CHARGE, GCRA_DECIDE, NOW, SLOTS_DECIDE, SLOTS_TAKE } from './redis-scripts.js';
import { LOG, SLIDING_CHARGE, SLIDING_DECIDE } from './redis-sliding-scripts.js';

const HEAD = `${NOW}
local slots, lease, ttl = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local limitAt, first = 4, slots
-- The rate part's own ARGV[k] is ARGV[k + shift] here.
local shift = 3 + slots
${SLOTS_DECIDE}`;

const SLOT_REPLY = `
local reply = { slotsAllowed, allowed }
for i = 1, slots do
  reply[#reply + 1] = roomy[i]
  reply[#reply + 1] = held[i]
end`;

export const ADMIT_SCRIPT = `${HEAD}
local base = shift
${GCRA_DECIDE}
if slotsAllowed == 1 and allowed == 1 then
  ${SLOTS_TAKE}
  ${GCRA_CHARGE}
end
${SLOT_REPLY}
reply[#reply + 1] = string.format('%.3f', now)
for i = 1, #KEYS - first do reply[#reply + 1] = found[i] end
return reply`;

export const SLIDING_ADMIT_SCRIPT = `${HEAD}${LOG}
local base = shift + 1
${SLIDING_DECIDE}
local charging = (slotsAllowed == 1 and allowed == 1) and 1 or 0
if charging == 1 then ${SLOTS_TAKE} end
${SLOT_REPLY}
${SLIDING_CHARGE}
return reply`;
