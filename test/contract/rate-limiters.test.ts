/**
 * One suite for every RateLimiter (memory, Redis): GCRA burst and steady rate, reset and retry-after values,
 * all-or-nothing checks across limits, concurrency slots (acquire, release, expiry). The clock is injected, so
 * nothing waits. Redis runs under a key prefix of its own, deleted afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryRateLimiter } from '../../src/limits/memory-limiter.js';
import { RedisRateLimiter } from '../../src/limits/redis-limiter.js';
import type { RateLimiter } from '../../src/limits/types.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';

interface Subject {
  limiter: RateLimiter;
  advance(ms: number): void;
}

const BASE = 1_800_000_000_000;
let unique = 0;
const name = (what: string) => `${what}:${++unique}`;

function contract(open: () => Subject, close: () => Promise<void> = () => Promise.resolve()): void {
  let subject: Subject;
  before(() => {
    subject = open();
  });
  after(async () => {
    await subject.limiter.close();
    await close();
  });
  const one = (key: string, limit: number, cost = 1) => subject.limiter.check([{ key, limit, cost }]);

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
    subject.advance(11_999);
    const early = await one(key, 5);
    assert.equal(early.allowed, false);
    assert.equal(early.decisions[0]!.retryAfterMs, 1);
    subject.advance(1);
    assert.equal((await one(key, 5)).allowed, true);
    assert.equal((await one(key, 5)).allowed, false);
    subject.advance(60_000);
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

  test('adjust gives back or adds to a charge without refusing (token reservations reconciled)', async () => {
    const key = name('key:tokens:tpm');
    assert.equal((await one(key, 1000, 600)).decisions[0]!.remaining, 400);
    await subject.limiter.adjust([{ key, limit: 1000, cost: -500 }]);
    assert.equal((await one(key, 1000, 600)).decisions[0]!.remaining, 300);
    await subject.limiter.adjust([{ key, limit: 1000, cost: 1000 }]);
    const refused = await one(key, 1000, 1);
    assert.equal(refused.allowed, false);
    assert.equal(refused.decisions[0]!.retryAfterMs, 42_060);
    await subject.limiter.adjust([{ key, limit: 1000, cost: -5000 }]);
    assert.equal((await one(key, 1000, 1)).decisions[0]!.remaining, 999, 'giving back more than was charged leaves the limit full');
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

describe('MemoryRateLimiter', () => {
  let now = BASE;
  contract(() => ({ limiter: new MemoryRateLimiter(() => now), advance: (ms) => void (now += ms) }));
});

describeRedis('RedisRateLimiter', () => {
  const { prefix, cleanup } = testPrefix();
  let now = BASE;
  contract(() => ({ limiter: new RedisRateLimiter({ url: REDIS_URL, prefix, now: () => now }), advance: (ms) => void (now += ms) }), cleanup);

  describe('on the Redis server\'s clock', () => {
    const own = testPrefix();
    let limiter: RedisRateLimiter;
    before(() => {
      limiter = new RedisRateLimiter({ url: REDIS_URL, prefix: own.prefix });
    });
    after(async () => {
      await limiter.close();
      await own.cleanup();
    });

    test('a burst passes, then the wait is at most one interval', async () => {
      const check = () => limiter.check([{ key: 'key:server-clock:rpm', limit: 3, cost: 1 }]);
      for (let i = 0; i < 3; i++) assert.equal((await check()).allowed, true);
      const refused = (await check()).decisions[0]!;
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 20_000, String(refused.retryAfterMs));
      assert.ok(refused.resetMs > 40_000 && refused.resetMs <= 60_000, String(refused.resetMs));
    });

    test('the scripts are loaded again after the server forgot them (EVAL fallback)', async () => {
      const { Redis } = await import('ioredis');
      const admin = new Redis(REDIS_URL);
      await admin.script('FLUSH');
      admin.disconnect();
      assert.equal((await limiter.check([{ key: 'key:flushed:rpm', limit: 1, cost: 1 }])).allowed, true);
      assert.equal((await limiter.acquire([{ key: 'key:flushed:concurrent', limit: 1 }], 'x', 1000)).allowed, true);
    });
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
