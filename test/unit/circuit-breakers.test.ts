import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { circuitBreakerSchema } from '../../src/config/resilience-schema.js';
import {
  InMemoryBreakerStateStore,
  type BreakerStateStore,
  type BreakerTransition,
} from '../../src/reliability/circuit-breaker-store.js';
import { circuitBreakerOptionsFromConfig, type BreakerState, type TransitionReason } from '../../src/reliability/circuit-breaker.js';
import { CircuitBreakers, type BreakerSharingOptions } from '../../src/reliability/circuit-breakers.js';

const defaults = circuitBreakerOptionsFromConfig(circuitBreakerSchema.parse({}));
const manualClock = () => ({ t: 0, now() { return this.t; } });

function tripped(breakers: CircuitBreakers, id: string): void {
  for (let i = 0; i < defaults.consecutiveFailures; i++) breakers.get(id).onFailure();
}

/** Passes everything to an in-memory store and keeps what was published. */
function recordingStore(): BreakerStateStore & { published: BreakerTransition[] } {
  const inner = new InMemoryBreakerStateStore();
  const published: BreakerTransition[] = [];
  return {
    published,
    publish: (transition) => {
      published.push(transition);
      inner.publish(transition);
    },
    subscribe: (listener) => inner.subscribe(listener),
  };
}

describe('CircuitBreakers: one breaker per deployment', () => {
  test('each deployment has its own breaker, the same one on every lookup', () => {
    const breakers = new CircuitBreakers(defaults, manualClock());
    assert.equal(breakers.get('a'), breakers.get('a'));
    tripped(breakers, 'a');
    assert.equal(breakers.get('a').allowRequest().allowed, false);
    assert.equal(breakers.get('b').allowRequest().allowed, true);
  });

  test('listeners hear every transition with the deployment id, until they unsubscribe', () => {
    const breakers = new CircuitBreakers(defaults, manualClock());
    const heard: [string, BreakerState, BreakerState, TransitionReason][] = [];
    const unsubscribe = breakers.onTransition((...event) => heard.push(event));
    tripped(breakers, 'a');
    unsubscribe();
    breakers.updateOptions({ ...defaults, enabled: false });
    assert.deepEqual(heard, [['a', 'closed', 'open', 'consecutive_failures']]);
  });

  test('a throwing listener neither fails the request path nor silences the others', () => {
    const errors: unknown[] = [];
    const breakers = new CircuitBreakers(defaults, manualClock(), { onError: (error) => errors.push(error) });
    const heard: string[] = [];
    breakers.onTransition(() => {
      throw new Error('metrics exploded');
    });
    breakers.onTransition((id) => heard.push(id));
    tripped(breakers, 'a');
    assert.deepEqual(heard, ['a']);
    assert.equal(errors.length, 1);
    assert.equal(breakers.get('a').state().state, 'open');
  });

  test('the snapshot shows every breaker as plain data', () => {
    const clock = manualClock();
    const breakers = new CircuitBreakers(defaults, clock);
    breakers.get('a').onSuccess();
    clock.t = 2_000;
    tripped(breakers, 'b');
    const snapshot = breakers.snapshot();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
    assert.deepEqual(snapshot, {
      a: { state: 'closed', since: 0, consecutiveFailures: 0, windowRequests: 1, windowFailures: 0, weight: 1, openedCount: 0 },
      b: { state: 'open', since: 2_000, consecutiveFailures: 5, windowRequests: 0, windowFailures: 0, weight: 0, openedCount: 1 },
    });
  });

  test('a reload updates every breaker in place and keeps its state', () => {
    const clock = manualClock();
    const breakers = new CircuitBreakers(defaults, clock);
    const a = breakers.get('a');
    tripped(breakers, 'a');
    breakers.updateOptions({ ...defaults, openMs: 1_000, consecutiveFailures: 2 });
    assert.equal(breakers.get('a'), a);
    clock.t = 1_000;
    assert.equal(a.state().state, 'half_open');
    breakers.get('b').onFailure();
    breakers.get('b').onFailure();
    assert.equal(breakers.get('b').state().state, 'open');
  });

  test('retainOnly forgets deployments that left the config', () => {
    const breakers = new CircuitBreakers(defaults, manualClock());
    tripped(breakers, 'a');
    breakers.get('b');
    breakers.retainOnly(['b']);
    assert.deepEqual(Object.keys(breakers.snapshot()), ['b']);
    assert.equal(breakers.get('a').state().state, 'closed');
  });
});

describe('CircuitBreakers: sharing transitions through a BreakerStateStore', () => {
  function cluster(sharing: Omit<BreakerSharingOptions, 'nodeId'> = {}) {
    const clock = manualClock();
    const store = recordingStore();
    const one = new CircuitBreakers(defaults, clock, { ...sharing, store, nodeId: 'one' });
    const two = new CircuitBreakers(defaults, clock, { ...sharing, store, nodeId: 'two' });
    return { clock, store, one, two };
  }

  test('a single node publishes its transitions and is not affected by hearing them back', () => {
    const store = recordingStore();
    const breakers = new CircuitBreakers(defaults, manualClock(), { store, nodeId: 'solo' });
    tripped(breakers, 'a');
    assert.deepEqual(store.published, [
      { deploymentId: 'a', from: 'closed', to: 'open', reason: 'consecutive_failures', origin: 'solo' },
    ]);
    assert.deepEqual([breakers.get('a').state().state, breakers.get('a').state().openedCount], ['open', 1]);
  });

  test("another node's opening opens the breaker here too, without echoing it back", () => {
    const { store, one, two } = cluster();
    const heard: TransitionReason[] = [];
    two.onTransition((_id, _from, _to, reason) => heard.push(reason));
    tripped(one, 'a');
    assert.equal(two.get('a').allowRequest().allowed, false);
    assert.deepEqual(heard, ['remote_open']);
    assert.equal(store.published.length, 1);
  });

  test("another node's successful probes start recovery here, skipping this node's probes", () => {
    const { clock, one, two } = cluster();
    tripped(one, 'a');
    clock.t = 30_000;
    for (const probe of [1, 2, 3].map(() => one.get('a').allowRequest())) one.get('a').onSuccess(probe);
    assert.deepEqual([two.get('a').state().state, two.get('a').weight()], ['recovering', 0.1]);
    clock.t = 60_000;
    assert.equal(two.get('a').state().state, 'closed');
  });

  test('closing and half-opening elsewhere do not override the local state', () => {
    const { clock, one, two } = cluster();
    tripped(two, 'a');
    two.get('a').updateOptions({ ...defaults, openMs: 60_000 });
    tripped(one, 'a');
    clock.t = 30_000;
    assert.equal(one.get('a').state().state, 'half_open');
    one.updateOptions({ ...defaults, enabled: false });
    assert.equal(two.get('a').state().state, 'open');
  });

  test('a failing asynchronous publish is reported, never thrown, and never awaited', async () => {
    const errors: unknown[] = [];
    const failing: BreakerStateStore = {
      publish: () => Promise.reject(new Error('redis down')),
      subscribe: () => () => {},
    };
    const breakers = new CircuitBreakers(defaults, manualClock(), { store: failing, onError: (error) => errors.push(error) });
    tripped(breakers, 'a');
    assert.equal(breakers.get('a').state().state, 'open');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(errors.map((error) => (error as Error).message), ['redis down']);
  });

  test('after close, transitions from other nodes are no longer applied', () => {
    const { one, two } = cluster();
    two.close();
    tripped(one, 'a');
    assert.equal(two.get('a').state().state, 'closed');
  });
});
