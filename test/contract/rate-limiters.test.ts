/**
 * One suite for every RateLimiter (memory, Redis) under each algorithm (GCRA, sliding window): burst and steady
 * rate, reset and retry-after values, token reservations reconciled, all-or-nothing checks across limits,
 * concurrency slots (acquire, release, expiry). The clock is injected, so nothing waits. Redis runs under a key
 * prefix of its own, deleted afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryRateLimiter } from '../../src/limits/memory-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import type { RateAlgorithm, RateLimiter } from '../../src/limits/types.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';

interface Subject {
  limiter: RateLimiter;
  advance(ms: number): void;
}

const BASE = 1_800_000_000_000;
const ALGORITHMS: readonly RateAlgorithm[] = ['gcra', 'sliding_window'];
let unique = 0;
const name = (what: string) => `${what}:${++unique}`;

function contract(algorithm: RateAlgorithm, open: () => Subject, close: () => Promise<void> = () => Promise.resolve()): void {
  let subject: Subject;
  before(() => {
    subject = open();
  });
  after(async () => {
    await subject.limiter.close();
    await close();
  });
  const one = (key: string, limit: number, cost = 1) => subject.limiter.check([{ key, limit, cost }]);

  if (algorithm === 'gcra') gcraContract(() => subject);
  else slidingContract(() => subject);

  test('several limits in one check: all or nothing', async () => {
    const tight = name('key:tight:rpm');
    const loose = name('tenant:loose:rpm');
    const both = () => subject.limiter.check([{ key: tight, limit: 1, cost: 1 }, { key: loose, limit: 5, cost: 1 }]);
    assert.equal((await both()).allowed, true);
    const refused = await both();
    assert.equal(refused.allowed, false);
    assert.deepEqual(refused.decisions.map((d) => d.allowed), [false, true]);
    // The refusal took nothing from the looser limit: 4 of its 5 are left.
    const alone = await one(loose, 5);
    assert.equal(alone.decisions[0]!.remaining, 3);
  });

  test('limits are independent of each other', async () => {
    const a = name('key:a:rpm');
    const b = name('key:b:rpm');
    assert.equal((await one(a, 1)).allowed, true);
    assert.equal((await one(a, 1)).allowed, false);
    assert.equal((await one(b, 1)).allowed, true);
  });

  test('concurrency: slots up to the limit, refused beyond, free again on release (idempotent)', async () => {
    const key = name('key:c:concurrent');
    const acquire = (lease: string) => subject.limiter.acquire([{ key, limit: 2 }], lease, 60_000);
    assert.deepEqual(await acquire('a'), { allowed: true, decisions: [{ allowed: true, limit: 2, active: 1 }] });
    assert.deepEqual(await acquire('b'), { allowed: true, decisions: [{ allowed: true, limit: 2, active: 2 }] });
    assert.deepEqual(await acquire('c'), { allowed: false, decisions: [{ allowed: false, limit: 2, active: 2 }] });
    await subject.limiter.release([key], 'a');
    await subject.limiter.release([key], 'a');
    assert.equal((await acquire('c')).allowed, true);
    assert.equal((await acquire('d')).allowed, false);
  });

  test('releaseAndAdjust: frees the slots and corrects the charge together (what a request does when it ends)', async () => {
    const slot = name('key:ra:concurrent');
    const tpm = name('key:ra:tpm');
    assert.equal((await subject.limiter.acquire([{ key: slot, limit: 1 }], 'r', 60_000)).allowed, true);
    const charged = await one(tpm, 100, 80);
    assert.equal(charged.allowed, true);
    // Used 30 of the 80 reserved: 50 go back, and the slot is free again.
    await subject.limiter.releaseAndAdjust([slot], 'r', [{ key: tpm, limit: 100, cost: -50 }], charged.charge);
    assert.equal((await subject.limiter.acquire([{ key: slot, limit: 1 }], 's', 60_000)).allowed, true);
    assert.equal((await one(tpm, 100, 70)).allowed, true);
    assert.equal((await one(tpm, 100, 1)).allowed, false);
    // Either part alone, and releasing twice, are fine.
    await subject.limiter.releaseAndAdjust([slot], 's', []);
    await subject.limiter.releaseAndAdjust([slot], 's', []);
    await subject.limiter.releaseAndAdjust([], '', [{ key: tpm, limit: 100, cost: -70 }]);
    assert.equal((await subject.limiter.acquire([{ key: slot, limit: 1 }], 't', 60_000)).allowed, true);
  });

  test('admit: slots and rates in one step, all or nothing (what a request does when it arrives)', async () => {
    const slot = name('key:ad:concurrent');
    const rpm = name('key:ad:rpm');
    const tpm = name('key:ad:tpm');
    const admit = (lease: string, tokens: number) =>
      subject.limiter.admit([{ key: slot, limit: 1 }], lease, 60_000, [{ key: rpm, limit: 2, cost: 1 }, { key: tpm, limit: 100, cost: tokens }]);
    const first = await admit('a', 80);
    assert.equal(first.allowed, true);
    assert.deepEqual(first.slots, { allowed: true, decisions: [{ allowed: true, limit: 1, active: 1 }] });
    assert.deepEqual(first.rates.decisions.map((d) => [d.allowed, d.remaining]), [[true, 1], [true, 20]]);
    // Refused for the slot: the rates had room but are not charged.
    const noSlot = await admit('b', 10);
    assert.deepEqual([noSlot.allowed, noSlot.slots.allowed, noSlot.rates.allowed, noSlot.rates.charge], [false, false, true, undefined]);
    await subject.limiter.releaseAndAdjust([slot], 'a', []);
    // Refused for tokens (80 + 30 > 100): the free slot is not taken.
    const noTokens = await admit('c', 30);
    assert.deepEqual([noTokens.allowed, noTokens.slots.allowed, noTokens.rates.allowed], [false, true, false]);
    assert.deepEqual(noTokens.rates.decisions.map((d) => d.allowed), [true, false]);
    assert.equal((await subject.limiter.acquire([{ key: slot, limit: 1 }], 'd', 60_000)).allowed, true);
    // Neither refusal charged requests/min: one of its 2 is left, then none.
    assert.equal((await one(rpm, 2)).allowed, true);
    assert.equal((await one(rpm, 2)).allowed, false);
    // Nothing to take: allowed.
    assert.equal((await subject.limiter.admit([], '', 0, [])).allowed, true);
  });

  test('concurrency: the same lease acquiring again holds one slot', async () => {
    const key = name('key:same:concurrent');
    assert.equal((await subject.limiter.acquire([{ key, limit: 1 }], 'x', 60_000)).allowed, true);
    assert.deepEqual((await subject.limiter.acquire([{ key, limit: 1 }], 'x', 60_000)).decisions, [{ allowed: true, limit: 1, active: 1 }]);
  });

  test('concurrency: all or nothing across limits', async () => {
    const key = name('key:k:concurrent');
    const tenant = name('tenant:t:concurrent');
    const both = (lease: string) => subject.limiter.acquire([{ key, limit: 1 }, { key: tenant, limit: 3 }], lease, 60_000);
    assert.equal((await both('a')).allowed, true);
    const refused = await both('b');
    assert.equal(refused.allowed, false);
    assert.deepEqual(refused.decisions.map((d) => [d.allowed, d.active]), [[false, 1], [true, 1]]);
    // 'b' holds nothing in the tenant limit: two more fit there.
    const tenantOnly = (lease: string) => subject.limiter.acquire([{ key: tenant, limit: 3 }], lease, 60_000);
    assert.equal((await tenantOnly('c')).allowed, true);
    assert.equal((await tenantOnly('d')).allowed, true);
    assert.equal((await tenantOnly('e')).allowed, false);
  });

  test('concurrency: a slot never released expires after its ttl (a crashed replica)', async () => {
    const key = name('key:crash:concurrent');
    assert.equal((await subject.limiter.acquire([{ key, limit: 1 }], 'lost', 1000)).allowed, true);
    subject.advance(999);
    assert.equal((await subject.limiter.acquire([{ key, limit: 1 }], 'next', 1000)).allowed, false);
    subject.advance(1);
    assert.deepEqual((await subject.limiter.acquire([{ key, limit: 1 }], 'next', 1000)).decisions, [{ allowed: true, limit: 1, active: 1 }]);
  });
}

/** GCRA: N at once from full, then one every minute/N; adjust moves the theoretical arrival time. */
function gcraContract(current: () => Subject): void {
  const one = (key: string, limit: number, cost = 1) => current().limiter.check([{ key, limit, cost }]);
  test('a burst of `limit` passes, the next is refused with the wait for one more', async () => {
    const key = name('key:burst:rpm');
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await one(key, 5));
    assert.deepEqual(outcomes.map((o) => o.allowed), [true, true, true, true, true, false]);
    assert.deepEqual(outcomes.map((o) => o.decisions[0]!.remaining), [4, 3, 2, 1, 0, 0]);
    const refused = outcomes[5]!.decisions[0]!;
    assert.deepEqual(refused, { allowed: false, limit: 5, remaining: 0, resetMs: 60_000, retryAfterMs: 12_000 });
    assert.equal(outcomes[0]!.decisions[0]!.resetMs, 12_000);
  });

  test('after the burst the rate is steady: one request per minute/limit', async () => {
    const key = name('key:steady:rpm');
    for (let i = 0; i < 5; i++) assert.equal((await one(key, 5)).allowed, true);
    current().advance(11_999);
    const early = await one(key, 5);
    assert.equal(early.allowed, false);
    assert.equal(early.decisions[0]!.retryAfterMs, 1);
    current().advance(1);
    assert.equal((await one(key, 5)).allowed, true);
    assert.equal((await one(key, 5)).allowed, false);
    current().advance(60_000);
    for (let i = 0; i < 5; i++) assert.equal((await one(key, 5)).allowed, true, `after a full minute, request ${i}`);
  });

  test('costs above 1 take that many from the limit', async () => {
    const key = name('tenant:cost:tpm');
    assert.equal((await one(key, 10, 4)).decisions[0]!.remaining, 6);
    assert.equal((await one(key, 10, 4)).decisions[0]!.remaining, 2);
    const refused = await one(key, 10, 4);
    assert.equal(refused.allowed, false);
    assert.equal(refused.decisions[0]!.retryAfterMs, 12_000);
  });

  test('adjust gives back or adds to a charge without refusing (token reservations reconciled)', async () => {
    const key = name('key:tokens:tpm');
    assert.equal((await one(key, 1000, 600)).decisions[0]!.remaining, 400);
    await current().limiter.adjust([{ key, limit: 1000, cost: -500 }]);
    assert.equal((await one(key, 1000, 600)).decisions[0]!.remaining, 300);
    await current().limiter.adjust([{ key, limit: 1000, cost: 1000 }]);
    const refused = await one(key, 1000, 1);
    assert.equal(refused.allowed, false);
    assert.equal(refused.decisions[0]!.retryAfterMs, 42_060);
    await current().limiter.adjust([{ key, limit: 1000, cost: -5000 }]);
    assert.equal((await one(key, 1000, 1)).decisions[0]!.remaining, 999, 'giving back more than was charged leaves the limit full');
  });

}

/** Sliding window: at most N in any trailing minute; a charge leaves the window a minute after it was made. */
function slidingContract(current: () => Subject): void {
  const one = (key: string, limit: number, cost = 1) => current().limiter.check([{ key, limit, cost }]);

  test('a burst of `limit` passes, the next waits for the oldest to leave the window', async () => {
    const key = name('key:burst:rpm');
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await one(key, 5));
    assert.deepEqual(outcomes.map((o) => o.allowed), [true, true, true, true, true, false]);
    assert.deepEqual(outcomes.map((o) => o.decisions[0]!.remaining), [4, 3, 2, 1, 0, 0]);
    assert.deepEqual(outcomes[5]!.decisions[0], { allowed: false, limit: 5, remaining: 0, resetMs: 60_000, retryAfterMs: 60_000 });
    assert.equal(outcomes[0]!.decisions[0]!.resetMs, 60_000);
    assert.ok(outcomes[0]!.charge !== undefined && outcomes[5]!.charge === undefined, 'an admitted check names its charge, a refused one none');
  });

  test('charges leave exactly a minute after they were made, oldest first', async () => {
    const key = name('key:window:rpm');
    for (let i = 0; i < 3; i++) assert.equal((await one(key, 5)).allowed, true, `first three, ${i}`);
    current().advance(30_000);
    for (let i = 0; i < 2; i++) assert.equal((await one(key, 5)).allowed, true, `two more 30 s later, ${i}`);
    assert.deepEqual((await one(key, 5)).decisions[0], { allowed: false, limit: 5, remaining: 0, resetMs: 60_000, retryAfterMs: 30_000 });
    current().advance(29_999);
    assert.equal((await one(key, 5)).decisions[0]!.retryAfterMs, 1);
    current().advance(1);
    const next = [];
    for (let i = 0; i < 4; i++) next.push(await one(key, 5));
    assert.deepEqual(next.map((o) => o.allowed), [true, true, true, false], 'the first three left, room for three');
    assert.deepEqual(next[3]!.decisions[0], { allowed: false, limit: 5, remaining: 0, resetMs: 60_000, retryAfterMs: 30_000 });
  });

  test('no trailing minute ever holds more than the limit (a request every 250 ms for three minutes)', async () => {
    const key = name('key:steady:rpm');
    const admitted: number[] = [];
    for (let at = 0; at < 180_000; at += 250) {
      if ((await one(key, 10)).allowed) admitted.push(at);
      current().advance(250);
    }
    assert.deepEqual(admitted, [0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250].flatMap((at) => [at, at + 60_000, at + 120_000]).sort((a, b) => a - b));
    for (const at of admitted) {
      const inWindow = admitted.filter((other) => other > at - 60_000 && other <= at).length;
      assert.ok(inWindow <= 10, `the minute ending at ${at} holds ${inWindow}`);
    }
  });

  test('costs above 1: the wait is until enough has left', async () => {
    const key = name('tenant:cost:tpm');
    assert.equal((await one(key, 10, 4)).decisions[0]!.remaining, 6);
    current().advance(10_000);
    assert.equal((await one(key, 10, 4)).decisions[0]!.remaining, 2);
    assert.deepEqual((await one(key, 10, 4)).decisions[0], { allowed: false, limit: 10, remaining: 2, resetMs: 60_000, retryAfterMs: 50_000 });
    assert.deepEqual((await one(key, 10, 9)).decisions[0]!.retryAfterMs, 60_000, 'nine fit only once both charges left');
    current().advance(50_000);
    assert.equal((await one(key, 10, 4)).decisions[0]!.remaining, 2);
  });

  test('adjust corrects the named reservation, which still leaves the window when it would have', async () => {
    const key = name('key:tokens:tpm');
    const first = await one(key, 1000, 600);
    assert.equal(first.decisions[0]!.remaining, 400);
    await current().limiter.adjust([{ key, limit: 1000, cost: -500 }], first.charge);
    current().advance(10_000);
    const second = await one(key, 1000, 600);
    assert.equal(second.decisions[0]!.remaining, 300, '100 + 600 used');
    await current().limiter.adjust([{ key, limit: 1000, cost: 1000 }], second.charge);
    current().advance(5_000);
    const refused = await one(key, 1000, 1);
    assert.deepEqual(refused.decisions[0], { allowed: false, limit: 1000, remaining: 0, resetMs: 55_000, retryAfterMs: 55_000 });
    current().advance(45_000);
    assert.equal((await one(key, 1000, 1)).decisions[0]!.retryAfterMs, 10_000, 'the first left, the second still holds 1600');
    current().advance(10_000);
    assert.equal((await one(key, 1000, 1)).decisions[0]!.remaining, 999);
  });

  test('adjust: a reservation given back in full frees its room at once; one that already left is charged anew', async () => {
    const key = name('key:giveback:tpm');
    const reserved = await one(key, 100, 100);
    assert.equal((await one(key, 100, 1)).allowed, false, 'full');
    await current().limiter.adjust([{ key, limit: 100, cost: -5000 }], reserved.charge);
    assert.equal((await one(key, 100, 1)).decisions[0]!.remaining, 99, 'all of it is back, at once');
    const after = await one(key, 100, 99);
    assert.equal(after.decisions[0]!.remaining, 0);
    current().advance(60_000);
    await current().limiter.adjust([{ key, limit: 100, cost: -50 }], after.charge);
    await current().limiter.adjust([{ key, limit: 100, cost: 30 }], after.charge);
    assert.equal((await one(key, 100, 1)).decisions[0]!.remaining, 69, 'giving back is moot once it left; using more counts now');
  });

  test('adjust without a charge name charges a positive cost now', async () => {
    const key = name('key:unnamed:tpm');
    await current().limiter.adjust([{ key, limit: 100, cost: 40 }]);
    await current().limiter.adjust([{ key, limit: 100, cost: -40 }]);
    assert.equal((await one(key, 100, 1)).decisions[0]!.remaining, 59);
  });
}

for (const algorithm of ALGORITHMS) {
  describe(`MemoryRateLimiter (${algorithm})`, () => {
    let now = BASE;
    contract(algorithm, () => ({ limiter: new MemoryRateLimiter(() => now, algorithm), advance: (ms) => void (now += ms) }));
  });

  describeRedis(`RedisRateLimiter (${algorithm})`, () => {
    const { prefix, cleanup } = testPrefix();
    let now = BASE;
    contract(
      algorithm,
      () => ({ limiter: new RedisRateLimiter({ url: REDIS_URL, prefix, now: () => now, algorithm }), advance: (ms) => void (now += ms) }),
      cleanup,
    );
  });
}

describeRedis('RedisRateLimiter on the Redis server\'s clock', () => {
  const own = testPrefix();
  const limiters = new Map<RateAlgorithm, RedisRateLimiter>();
  before(() => {
    for (const algorithm of ALGORITHMS) limiters.set(algorithm, new RedisRateLimiter({ url: REDIS_URL, prefix: own.prefix, algorithm }));
  });
  after(async () => {
    for (const limiter of limiters.values()) await limiter.close();
    await own.cleanup();
  });

  // GCRA waits for one more (≤ 20 s at 3/min); the sliding window until the first of the burst leaves (~60 s).
  const waits: Record<RateAlgorithm, { retry: [number, number]; reset: [number, number] }> = {
    gcra: { retry: [0, 20_000], reset: [40_000, 60_000] },
    sliding_window: { retry: [55_000, 60_000], reset: [55_000, 60_000] },
  };
  for (const algorithm of ALGORITHMS) {
    test(`${algorithm}: a burst passes, then the refusal says how long to wait`, async () => {
      const check = () => limiters.get(algorithm)!.check([{ key: 'key:server-clock:rpm', limit: 3, cost: 1 }]);
      for (let i = 0; i < 3; i++) assert.equal((await check()).allowed, true, `request ${i} of the burst`);
      const refused = (await check()).decisions[0]!;
      const { retry, reset } = waits[algorithm];
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > retry[0] && refused.retryAfterMs <= retry[1], `retry after ${refused.retryAfterMs}`);
      assert.ok(refused.resetMs > reset[0] && refused.resetMs <= reset[1], `reset in ${refused.resetMs}`);
    });
  }

  test('the scripts are loaded again after the server forgot them (EVAL fallback)', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis(REDIS_URL);
    await admin.script('FLUSH');
    admin.disconnect();
    for (const [algorithm, limiter] of limiters) {
      const outcome = await limiter.check([{ key: `key:flushed-${algorithm}:tpm`, limit: 10, cost: 5 }]);
      assert.equal(outcome.allowed, true, `${algorithm} check`);
      await limiter.adjust([{ key: `key:flushed-${algorithm}:tpm`, limit: 10, cost: -5 }], outcome.charge);
      assert.equal((await limiter.check([{ key: `key:flushed-${algorithm}:tpm`, limit: 10, cost: 10 }])).allowed, true, `${algorithm} adjusted`);
    }
    assert.equal((await limiters.get('gcra')!.acquire([{ key: 'key:flushed:concurrent', limit: 1 }], 'x', 1000)).allowed, true);
  });
});

describe('RedisRateLimiter with no server', () => {
  test('a check fails within its timeout instead of waiting for a connection', async () => {
    const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:1', timeoutMs: 100 });
    const started = performance.now();
    await assert.rejects(limiter.check([{ key: 'key:x:rpm', limit: 1, cost: 1 }]));
    await assert.rejects(limiter.acquire([{ key: 'key:x:concurrent', limit: 1 }], 'x', 1000));
    assert.ok(performance.now() - started < 1000, 'both failed fast');
    await limiter.close();
  });
});
