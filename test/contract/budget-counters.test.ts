/**
 * One contract for BudgetCounter on memory and Redis: all-or-nothing reservations across lines, forced
 * reservations, settlement replacing the reservation with the cost, alert thresholds reported once, expired
 * leases given back, seeding only unseen counters, and exactness under concurrent reservations.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MemoryBudgetCounter } from '../../src/budgets/memory-counter.js';
import { RedisBudgetCounter } from '../../src/budgets/redis-counter.js';
import type { BudgetCounter, Reservation } from '../../src/budgets/types.js';
import { describeRedis, REDIS_URL, testPrefix } from '../helpers/redis.js';

const HOUR = 3_600_000;
let lineCounter = 0;
const fresh = () => `key:k${++lineCounter}-${randomUUID().slice(0, 8)}:2025-06`;
const line = (key: string, limit: number, amount: number, mustFit = true): Reservation => ({ key, limit, amount, mustFit, ttlMs: HOUR });

function counterContract(open: (clock: { now: number }) => BudgetCounter, cleanup: () => Promise<void> = async () => undefined): void {
  const clock = { now: Date.UTC(2025, 5, 14, 12) };
  let counter: BudgetCounter;
  before(() => {
    counter = open(clock);
  });
  after(async () => {
    await counter.close();
    await cleanup();
  });

  test('a reservation fits or is refused whole; a refused one holds nothing', async () => {
    const [key, tenant] = [fresh(), fresh()];
    const first = await counter.reserve([line(key, 100, 60), line(tenant, 1000, 60)], 'lease-1', HOUR);
    assert.equal(first.allowed, true);
    assert.deepEqual(first.states, [{ spent: 0, reserved: 60 }, { spent: 0, reserved: 60 }]);
    const second = await counter.reserve([line(key, 100, 60), line(tenant, 1000, 60)], 'lease-2', HOUR);
    assert.equal(second.allowed, false, '60 + 60 > 100 on the key');
    assert.deepEqual(second.states, [{ spent: 0, reserved: 60 }, { spent: 0, reserved: 60 }], 'states as found; the tenant was not charged');
    assert.equal((await counter.reserve([line(key, 100, 40)], 'lease-3', HOUR)).allowed, true, 'exactly up to the limit fits');
  });

  test('a forced reservation goes over the limit', async () => {
    const key = fresh();
    await counter.settle([{ key, limit: 100, ttlMs: HOUR, spent: 150 }], 'none', []);
    const forced = await counter.reserve([line(key, 100, 10, false)], 'lease-f', HOUR);
    assert.equal(forced.allowed, true);
    assert.deepEqual(forced.states, [{ spent: 150, reserved: 10 }]);
  });

  test('settling replaces the reservation with the cost; settling twice does not release twice', async () => {
    const key = fresh();
    await counter.reserve([line(key, 1000, 100)], 'lease-s', HOUR);
    const [outcome] = await counter.settle([{ key, limit: 1000, ttlMs: HOUR, spent: 130 }], 'lease-s', []);
    assert.equal(outcome!.spent, 130);
    assert.deepEqual(await counter.read([key]), [{ spent: 130, reserved: 0 }]);
    await counter.settle([{ key, limit: 1000, ttlMs: HOUR, spent: 0 }], 'lease-s', []);
    assert.deepEqual(await counter.read([key]), [{ spent: 130, reserved: 0 }]);
  });

  test('thresholds are reported once each, the first time spend reaches them', async () => {
    const key = fresh();
    const settle = async (spent: number) => (await counter.settle([{ key, limit: 100, ttlMs: HOUR, spent }], randomUUID(), [80, 100]))[0]!.crossed;
    assert.deepEqual(await settle(50), []);
    assert.deepEqual(await settle(30), [80]);
    assert.deepEqual(await settle(5), []);
    assert.deepEqual(await settle(0), []);
    assert.deepEqual(await settle(20), [100]);
    assert.deepEqual(await settle(20), []);
    const jump = fresh();
    assert.deepEqual((await counter.settle([{ key: jump, limit: 10, ttlMs: HOUR, spent: 12 }], 'x', [80, 100]))[0]!.crossed, [80, 100]);
  });

  test("an expired lease's reservation is given back", async () => {
    const key = fresh();
    await counter.reserve([line(key, 100, 90)], 'lease-dead', 1000);
    assert.equal((await counter.reserve([line(key, 100, 20)], 'lease-b', HOUR)).allowed, false);
    clock.now += 1001;
    assert.equal((await counter.reserve([line(key, 100, 20)], 'lease-b', HOUR)).allowed, true, 'the dead lease no longer holds 90');
    assert.deepEqual(await counter.read([key]), [{ spent: 0, reserved: 20 }]);
  });

  test('seeding sets unseen counters only', async () => {
    const [unseen, live] = [fresh(), fresh()];
    await counter.reserve([line(live, 1000, 5)], 'lease-live', HOUR);
    await counter.seed([
      { key: unseen, spent: 70, ttlMs: HOUR },
      { key: live, spent: 70, ttlMs: HOUR },
    ]);
    await counter.seed([{ key: unseen, spent: 70, ttlMs: HOUR }]);
    assert.deepEqual(await counter.read([unseen, live]), [
      { spent: 70, reserved: 0 },
      { spent: 0, reserved: 5 },
    ]);
  });

  test('concurrent reservations never exceed the limit together', async () => {
    const key = fresh();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, index) => counter.reserve([line(key, 1000, 70)], `burst-${index}`, HOUR)));
    assert.equal(outcomes.filter((outcome) => outcome.allowed).length, 14, 'floor(1000 / 70) fit');
    assert.deepEqual(await counter.read([key]), [{ spent: 0, reserved: 980 }]);
  });
}

describe('memory budget counter', () => counterContract((clock) => new MemoryBudgetCounter(() => clock.now)));

const redis = testPrefix();
describeRedis('Redis budget counter', () =>
  counterContract(
    (clock) => new RedisBudgetCounter({ url: REDIS_URL, prefix: redis.prefix, timeoutMs: 2000, now: () => clock.now }),
    () => redis.cleanup(),
  ),
);
