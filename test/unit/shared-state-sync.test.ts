/**
 * The pure parts of sharing state across replicas: a late-heard breaker opening is dated when it happened, kill
 * switches follow the shared set and survive a store outage, and PostgreSQL failures are told apart (outage →
 * 503 store_unavailable, anything else unchanged).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { circuitBreakerSchema } from '../../src/config/resilience-schema.js';
import { GatewayError } from '../../src/core/errors.js';
import { CircuitBreaker, circuitBreakerOptionsFromConfig } from '../../src/reliability/circuit-breaker.js';
import { DeploymentStats, targetKey, type KillSwitchTarget } from '../../src/routing/deployment-stats.js';
import { KillSwitchSharing } from '../../src/routing/kill-switch-sharing.js';
import type { KillSwitchStore } from '../../src/routing/kill-switch-store.js';
import { guardAvailability, isUnavailable } from '../../src/stores/sql/unavailable.js';
import { StoreError } from '../../src/stores/types.js';

const options = { ...circuitBreakerOptionsFromConfig(circuitBreakerSchema.parse({})), openMs: 30_000 };
const clock = () => ({ t: 100_000, now() { return this.t; } });

describe('CircuitBreaker.applyRemote with an age', () => {
  test('an opening heard 20 s late stays open only for the rest of open_ms', () => {
    const time = clock();
    const breaker = new CircuitBreaker(options, time, () => undefined);
    assert.equal(breaker.applyRemote('open', 20_000), true, 'applied');
    assert.equal(breaker.state().state, 'open');
    time.t += 10_000;
    assert.equal(breaker.allowRequest().allowed, true, 'half-open 30 s after the real opening, not after hearing it');
  });

  test('an opening whose open period is over is ignored', () => {
    const breaker = new CircuitBreaker(options, clock(), () => undefined);
    assert.equal(breaker.applyRemote('open', 30_000), false, 'not applied');
    assert.equal(breaker.state().state, 'closed');
  });
});

/** A store in memory that can be made to fail, like Redis going away. */
function fakeStore(): KillSwitchStore & { shared: Map<string, KillSwitchTarget>; down: boolean; notify(): void } {
  const listeners = new Set<() => void>();
  const store = {
    shared: new Map<string, KillSwitchTarget>(),
    down: false,
    async write(target: KillSwitchTarget, disabled: boolean) {
      if (store.down) throw new Error('store down');
      if (disabled) store.shared.set(targetKey(target), target);
      else store.shared.delete(targetKey(target));
    },
    async readAll() {
      if (store.down) throw new Error('store down');
      return [...store.shared.values()];
    },
    onChange(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    notify() {
      for (const listener of listeners) listener();
    },
  };
  return store;
}

describe('KillSwitchSharing', () => {
  test('adopts the shared set, writes local changes, and keeps them through an outage', async () => {
    const store = fakeStore();
    store.shared.set(targetKey({ provider: 'openai' }), { provider: 'openai' });
    const stats = new DeploymentStats();
    const errors: unknown[] = [];
    const sharing = new KillSwitchSharing(stats, store, { syncMs: 60_000, onError: (error) => errors.push(error) });
    try {
      await sharing.sync();
      assert.deepEqual(stats.killSwitches(), [{ provider: 'openai' }], 'the shared switch applies here');

      stats.disable({ model: 'gpt-4o' });
      await sharing.sync();
      assert.ok(store.shared.has('model:gpt-4o'), 'a local switch is written to the store');

      store.down = true;
      stats.enable({ provider: 'openai' });
      await sharing.sync();
      assert.deepEqual(stats.killSwitches(), [{ model: 'gpt-4o' }], 'while the store is down the local change holds');
      assert.ok(errors.length > 0, 'the failure is reported');

      store.down = false;
      store.shared.set(targetKey({ deployment: 'x/y' }), { deployment: 'x/y' });
      store.notify();
      await sharing.sync();
      assert.ok(!store.shared.has('provider:openai'), 'the change kept during the outage is written once the store is back');
      assert.deepEqual(
        stats.killSwitches().map(targetKey).sort(),
        ['deployment:x/y', 'model:gpt-4o'],
        'then the shared set (with what others did meanwhile) applies',
      );
    } finally {
      sharing.close();
    }
  });
});

describe('PostgreSQL outage classification', () => {
  const sqlError = (code: string) => Object.assign(new Error(`sql ${code}`), { code });

  test('connection failures, timeouts and server shutdown are outages', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      sqlError('57014'),
      sqlError('57P01'),
      sqlError('08006'),
      new Error('Failed query', { cause: new Error('Connection terminated due to connection timeout') }),
    ]) {
      assert.equal(isUnavailable(error), true, error.message);
    }
  });

  test('constraint violations, store errors and bugs are not', () => {
    for (const error of [sqlError('23505'), sqlError('42P01'), new StoreError('conflict', 'taken'), new TypeError('x is undefined')]) {
      assert.equal(isUnavailable(error), false, error.message);
    }
  });

  test('a guarded store turns outages into 503 store_unavailable and passes the rest through', async () => {
    const store = guardAvailability(
      {
        async down(): Promise<void> {
          throw new Error('Connection terminated unexpectedly');
        },
        async taken(): Promise<void> {
          throw new StoreError('conflict', 'tenant "acme" already exists');
        },
        sync: () => 42,
      },
      'postgres',
    );
    await assert.rejects(store.down(), (error: unknown) => error instanceof GatewayError && error.code === 'store_unavailable' && error.status === 503);
    await assert.rejects(store.taken(), (error: unknown) => error instanceof StoreError && error.code === 'conflict');
    assert.equal(store.sync(), 42, 'synchronous methods are untouched');
  });
});
