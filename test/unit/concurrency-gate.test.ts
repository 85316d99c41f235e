import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { ConcurrencyGate, ConcurrencyGates, type AcquireOptions, type ReleaseSlot } from '../../src/reliability/concurrency-gate.js';
import { FakeTime, settle } from '../helpers/fake-time.js';

const never = () => new AbortController().signal;

/** Queues a request and records when it is granted or refused, in order. */
function enqueueOn(gate: ConcurrencyGate, log: string[], name: string, options: Partial<AcquireOptions> = {}) {
  const outcome: { release?: ReleaseSlot; error?: unknown } = {};
  const request = { priority: 0, deadlineAt: Infinity, signal: never(), ...options };
  gate.acquire(request).then(
    (release) => {
      outcome.release = release;
      log.push(name);
    },
    (error: unknown) => {
      outcome.error = error;
      log.push(`${name}:refused`);
    },
  );
  return outcome;
}

function setup(maxConcurrency = 1, maxQueue = 10) {
  const time = new FakeTime();
  const gate = new ConcurrencyGate('openai-east', { maxConcurrency, maxQueue }, { clock: time, timers: time });
  const log: string[] = [];
  const enqueue = (name: string, options: Partial<AcquireOptions> = {}) => enqueueOn(gate, log, name, options);
  return { time, gate, log, enqueue };
}

function assertOverloaded(error: unknown, messagePart: RegExp): asserts error is GatewayError {
  assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
  assert.equal(error.code, 'overloaded');
  assert.equal(error.status, 503);
  assert.equal(error.retryable, true);
  assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0);
  assert.match(error.message, messagePart);
}

describe('ConcurrencyGate', () => {
  test('admits up to the cap at once and makes the next request wait', async () => {
    const { gate, log, enqueue } = setup(2);
    enqueue('a');
    enqueue('b');
    enqueue('c');
    await settle();
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(gate.stats().inFlight, 2);
    assert.equal(gate.stats().queued, 1);
  });

  test('a release hands the slot to the next waiter and stops listening to its signal', async () => {
    const { gate, log, enqueue } = setup(1);
    const a = enqueue('a');
    const signal = never();
    enqueue('b', { signal });
    await settle();
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    a.release!();
    await settle();
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    assert.deepEqual({ inFlight: gate.stats().inFlight, queued: gate.stats().queued }, { inFlight: 1, queued: 0 });
  });

  test('waiters are served by priority, first come first served within a priority', async () => {
    const { gate, log, enqueue } = setup(1);
    const holder = enqueue('holder');
    const waiters: [string, number][] = [['low-1', 0], ['high-1', 5], ['mid', 2], ['high-2', 5], ['low-2', 0]];
    for (const [name, priority] of waiters) {
      void gate.acquire({ priority, deadlineAt: Infinity, signal: never() }).then((release) => {
        log.push(name);
        release();
      });
    }
    await settle();
    holder.release!();
    await settle();
    assert.deepEqual(log, ['holder', 'high-1', 'high-2', 'mid', 'low-1', 'low-2']);
    assert.equal(gate.stats().inFlight, 0);
  });

  test('a full queue sheds the newcomer when it ranks lowest or ties', async () => {
    const { gate, log, enqueue } = setup(1, 2);
    enqueue('holder');
    enqueue('a', { priority: 1 });
    enqueue('b', { priority: 1 });
    const tie = enqueue('tie', { priority: 1 });
    const lower = enqueue('lower', { priority: 0 });
    await settle();
    assert.deepEqual(log, ['holder', 'tie:refused', 'lower:refused']);
    assertOverloaded(tie.error, /queue full/);
    assertOverloaded(lower.error, /queue full/);
    assert.equal(gate.stats().shed, 2);
    assert.equal(gate.stats().queued, 2);
  });

  test('a full queue sheds its lowest priority, latest arrival, for a higher priority newcomer', async () => {
    const { gate, log, enqueue } = setup(1, 3);
    const holder = enqueue('holder');
    enqueue('low-first', { priority: 0 });
    const lowLast = enqueue('low-last', { priority: 0 });
    enqueue('mid', { priority: 1 });
    enqueue('urgent', { priority: 9 });
    await settle();
    assert.deepEqual(log, ['holder', 'low-last:refused']);
    assertOverloaded(lowLast.error, /shed/);
    holder.release!();
    await settle();
    assert.deepEqual(log.at(-1), 'urgent');
    assert.deepEqual({ queued: gate.stats().queued, shed: gate.stats().shed }, { queued: 2, shed: 1 });
  });

  test('with no queue every request beyond the cap is shed at once', async () => {
    const { log, enqueue } = setup(1, 0);
    enqueue('a');
    const b = enqueue('b', { priority: 100 });
    await settle();
    assert.deepEqual(log, ['a', 'b:refused']);
    assertOverloaded(b.error, /queue full/);
  });

  test('a waiter leaves the queue with overloaded when its deadline passes, and its slot is not lost', async () => {
    const { gate, time, log, enqueue } = setup(1);
    const holder = enqueue('holder');
    const late = enqueue('late', { deadlineAt: time.now() + 500 });
    enqueue('patient');
    await time.advance(499);
    assert.deepEqual(log, ['holder']);
    await time.advance(1);
    assert.deepEqual(log, ['holder', 'late:refused']);
    assertOverloaded(late.error, /deadline/);
    assert.equal(gate.stats().expired, 1);
    holder.release!();
    await settle();
    assert.deepEqual(log, ['holder', 'late:refused', 'patient']);
    assert.deepEqual(time.scheduled, [], 'the deadline timer of a served or expired waiter is cleared');
  });

  test('a request whose deadline has passed is refused rather than queued', async () => {
    const { gate, time, enqueue } = setup(1);
    enqueue('holder');
    const late = enqueue('late', { deadlineAt: time.now() });
    await settle();
    assertOverloaded(late.error, /deadline/);
    assert.equal(gate.stats().queued, 0);
  });

  test('a request is refused at once when the measured service time says the slot frees after its deadline', async () => {
    const { gate, time, enqueue } = setup(1);
    const first = enqueue('first');
    await settle();
    await time.advance(1_000);
    first.release!(); // one measured service time: 1 s
    const holder = enqueue('holder');
    enqueue('ahead');
    const hopeless = enqueue('hopeless', { deadlineAt: time.now() + 200 });
    const hopeful = enqueue('hopeful', { deadlineAt: time.now() + 5_000 });
    await settle();
    assertOverloaded(hopeless.error, /deadline/);
    assert.equal(hopeful.error, undefined);
    assert.equal(gate.stats().queued, 2);
    assert.ok(holder.release);
  });

  test('an aborted waiter leaves the queue with the signal reason and frees its place', async () => {
    const { gate, log, enqueue } = setup(1);
    const holder = enqueue('holder');
    const controller = new AbortController();
    const quitter = enqueue('quitter', { signal: controller.signal });
    enqueue('next');
    await settle();
    const reason = new Error('client went away');
    controller.abort(reason);
    await settle();
    assert.equal(quitter.error, reason);
    assert.deepEqual({ queued: gate.stats().queued, aborted: gate.stats().aborted }, { queued: 1, aborted: 1 });
    holder.release!();
    await settle();
    assert.deepEqual(log, ['holder', 'quitter:refused', 'next']);
    assert.equal(gate.stats().inFlight, 1);
  });

  test('an already aborted signal is refused without taking a free slot', async () => {
    const { gate } = setup(1);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(gate.acquire({ priority: 0, deadlineAt: Infinity, signal: controller.signal }), /gone/);
    assert.equal(gate.stats().inFlight, 0);
  });

  test('releasing twice frees one slot only', async () => {
    const { gate, log, enqueue } = setup(1);
    const a = enqueue('a');
    enqueue('b');
    enqueue('c');
    await settle();
    a.release!();
    a.release!();
    await settle();
    assert.deepEqual(log, ['a', 'b']);
    assert.deepEqual({ inFlight: gate.stats().inFlight, queued: gate.stats().queued }, { inFlight: 1, queued: 1 });
  });

  test('slots return to zero once every holder released, whatever happened to the waiters', async () => {
    const { gate, time, enqueue } = setup(2, 1);
    const controller = new AbortController();
    const outcomes = [
      enqueue('a'),
      enqueue('b'),
      enqueue('aborted', { signal: controller.signal }),
      enqueue('shed'),
    ];
    controller.abort();
    enqueue('expires', { deadlineAt: time.now() + 10 });
    await time.advance(10);
    for (const outcome of outcomes) outcome.release?.();
    await settle();
    assert.deepEqual(gate.stats().inFlight, 0);
    assert.deepEqual(gate.stats().queued, 0);
  });

  test('retry-after grows with the measured service time and the queue', async () => {
    const { time, enqueue } = setup(1, 1);
    const first = enqueue('first');
    await settle();
    await time.advance(4_000);
    first.release!();
    enqueue('holder');
    enqueue('waiting');
    const shed = enqueue('shed');
    await settle();
    assertOverloaded(shed.error, /queue full/);
    assert.equal(shed.error.retryAfterSeconds, 8); // one queued round plus the one in flight, 4 s each
  });

  test('raising the cap admits waiters at once; lowering it keeps holders and waiters', async () => {
    const { gate, log, enqueue } = setup(1, 5);
    enqueue('a');
    enqueue('b');
    enqueue('c');
    await settle();
    gate.setLimits({ maxConcurrency: 3, maxQueue: 5 });
    await settle();
    assert.deepEqual(log, ['a', 'b', 'c']);
    enqueue('d');
    gate.setLimits({ maxConcurrency: 1, maxQueue: 0 });
    await settle();
    assert.deepEqual({ inFlight: gate.stats().inFlight, queued: gate.stats().queued }, { inFlight: 3, queued: 1 });
  });
});

describe('ConcurrencyGates', () => {
  const config = (max_concurrency: number | undefined, max_queue = 10) => ({ max_concurrency, max_queue });

  test('only deployments with max_concurrency get a gate', () => {
    const gates = new ConcurrencyGates();
    gates.configure({ capped: config(4), open: config(undefined) });
    assert.ok(gates.gate('capped'));
    assert.equal(gates.gate('open'), undefined);
    assert.deepEqual(Object.keys(gates.stats()), ['capped']);
    assert.equal(gates.stats().capped?.maxConcurrency, 4);
  });

  test('a reload keeps the gate, its holders and its waiters, with the new limits', async () => {
    const time = new FakeTime();
    const gates = new ConcurrencyGates({ clock: time, timers: time });
    gates.configure({ d: config(1) });
    const gate = gates.gate('d')!;
    const log: string[] = [];
    enqueueOn(gate, log, 'a');
    enqueueOn(gate, log, 'b');
    await settle();
    gates.configure({ d: config(1, 3) });
    assert.equal(gates.gate('d'), gate);
    assert.deepEqual(gates.stats().d, { ...gate.stats(), maxQueue: 3, inFlight: 1, queued: 1 });
  });

  test('a deployment that loses its cap admits its waiters and drops its gate', async () => {
    const gates = new ConcurrencyGates();
    gates.configure({ d: config(1) });
    const gate = gates.gate('d')!;
    const log: string[] = [];
    enqueueOn(gate, log, 'a');
    enqueueOn(gate, log, 'b');
    gates.configure({});
    await settle();
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(gates.gate('d'), undefined);
  });
});
