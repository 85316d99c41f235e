import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { DeploymentSnapshot } from '../../src/routing/balancers.js';
import { EngineAwareRouter, type AffinityOutcome, type EngineAwareSettings } from '../../src/routing/engine-aware/engine-aware-router.js';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import { createRandom } from '../../src/providers/sim/generate.js';
import { FakeTime } from '../helpers/fake-time.js';
import { startEngineMetricsMock, type EngineMetricsMock } from '../mocks/engine-metrics-mock.js';

const settings: EngineAwareSettings = {
  scrapeIntervalMs: 100,
  staleAfterMs: 200,
  idleAfterMs: 5000,
  prefixBlockChars: 32,
  maxPrefixBlocks: 16,
  affinityEntries: 1000,
  saturation: { queue: 5, kv: 0.8 },
};

const snapshot = (id: string, outstanding = 0): DeploymentSnapshot => ({ id, weight: 1, healthWeight: 1, outstanding, disabled: false });
const prompt = (text: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: text }] });

describe('engine-aware router', () => {
  let time: FakeTime;
  let engines: EngineMetricsMock[];
  let router: EngineAwareRouter;
  let outcomes: AffinityOutcome[];

  beforeEach(async () => {
    time = new FakeTime(1000);
    engines = [await startEngineMetricsMock(), await startEngineMetricsMock()];
    router = new EngineAwareRouter({ clock: time, timers: time });
    router.configure([
      { name: 'm', settings, deployments: [{ id: 'a', metricsUrl: engines[0]!.url }, { id: 'b', metricsUrl: engines[1]!.url }] },
    ]);
    outcomes = [];
    router.onAffinity((_model, outcome) => outcomes.push(outcome));
  });
  afterEach(async () => {
    await router.close();
    for (const engine of engines) await engine.close();
  });

  const pick = (text: string, outstanding: [number, number] = [0, 0]) =>
    router.order('m', [snapshot('a', outstanding[0]), snapshot('b', outstanding[1])], prompt(text), { random: createRandom(3), now: time.now() })[0]!.id;

  test('dispatches since the reading count as queue, so a burst does not pile onto the engine that looked idle', async () => {
    engines[0]!.set({ waiting: 0 });
    engines[1]!.set({ waiting: 2, kvUsage: 0.1 });
    await router.scraper.scrapeNow(engines[0]!.url);
    await router.scraper.scrapeNow(engines[1]!.url);
    // a costs its unseen dispatches; b costs 2 + 4 × 0.1. Three go to a, then a's unseen dispatches outweigh b.
    const picks = [pick('x1', [0, 0]), pick('x2', [1, 0]), pick('x3', [2, 0]), pick('x4', [3, 0])];
    assert.deepEqual(picks, ['a', 'a', 'a', 'b']);
    // A new reading absorbs the dispatches it already shows.
    engines[0]!.set({ waiting: 0, running: 3 });
    await router.scraper.scrapeNow(engines[0]!.url);
    assert.equal(pick('x5', [3, 0]), 'a', 'after the new reading a is cheap again');
  });

  test('a repeated prefix follows its first pick; an unknown prefix is scored by load; outcomes are reported', async () => {
    await router.scraper.scrapeNow(engines[0]!.url);
    await router.scraper.scrapeNow(engines[1]!.url);
    const conversation = 'A long shared system prompt for the support assistant, more than a block or two. ';
    const first = pick(conversation + 'first question');
    engines[first === 'a' ? 0 : 1]!.set({ waiting: 3 });
    await router.scraper.scrapeNow(engines[first === 'a' ? 0 : 1]!.url);
    assert.equal(pick(conversation + 'first question, and a follow-up'), first, 'follows its prefix despite a queue of 3');
    assert.deepEqual(outcomes, ['none', 'hit']);
  });

  test('readings older than stale_after are not used: affinity is lost and in-flight counts decide', async () => {
    await router.scraper.scrapeNow(engines[0]!.url);
    await router.scraper.scrapeNow(engines[1]!.url);
    const text = 'Another long prompt that spans several blocks of thirty-two characters each.';
    const first = pick(text);
    await time.advance(201);
    const other = first === 'a' ? 'b' : 'a';
    const outstanding: [number, number] = first === 'a' ? [1, 0] : [0, 1];
    assert.equal(pick(text, outstanding), other, 'stale: least outstanding wins over the prefix holder');
    assert.deepEqual(outcomes, ['none', 'diverted']);
  });

  test('loads() lists each deployment’s latest reading and whether it is fresh', async () => {
    engines[1]!.set({ waiting: 4, kvUsage: 0.5 });
    await router.scraper.scrapeNow(engines[1]!.url);
    assert.deepEqual(
      router.loads().map((load) => [load.deployment, load.reading.waiting, load.reading.kvUsage, load.fresh]),
      [['b', 4, 0.5, true]],
    );
    await time.advance(300);
    assert.equal(router.loads()[0]!.fresh, false);
  });
});
