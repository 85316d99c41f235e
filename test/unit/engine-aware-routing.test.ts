import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineCost, orderDeployments, type DeploymentSnapshot, type EngineLoad } from '../../src/routing/balancers.js';
import { engineLoadOf } from '../../src/routing/engine-aware/engine-aware-router.js';
import { PrefixAffinityIndex } from '../../src/routing/engine-aware/prefix-affinity.js';
import { promptBlockHashes, renderPrompt } from '../../src/routing/engine-aware/prompt-blocks.js';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import { createRandom } from '../../src/providers/sim/generate.js';

function deployment(id: string, fields: Partial<DeploymentSnapshot> = {}): DeploymentSnapshot {
  return { id, weight: 1, healthWeight: 1, outstanding: 0, disabled: false, ...fields };
}

const load = (queue: number, running = 0, kvUsage?: number): EngineLoad => ({ queue, running, ...(kvUsage === undefined ? {} : { kvUsage }) });
const saturation = { queue: 5, kv: 0.8 };

function order(candidates: DeploymentSnapshot[], seed = 1): string[] {
  return orderDeployments('engine_aware', candidates, { random: createRandom(seed), now: 0, saturation }).map((d) => d.id);
}

const chat = (...contents: string[]): ChatRequest => ({
  model: 'm',
  messages: contents.map((content, index) => ({ role: index === 0 ? 'system' : index % 2 === 1 ? 'user' : 'assistant', content })),
});

describe('engine-aware scoring', () => {
  test('orders by engine queue, then running requests and KV use', () => {
    assert.deepEqual(order([deployment('busy', { engine: load(4) }), deployment('idle', { engine: load(0) })]), ['idle', 'busy']);
    assert.deepEqual(order([deployment('a', { engine: load(1, 20) }), deployment('b', { engine: load(1, 2) })]), ['b', 'a']);
    assert.deepEqual(order([deployment('a', { engine: load(0, 0, 0.9) }), deployment('b', { engine: load(0, 0, 0.1) })]), ['b', 'a']);
  });

  test('a deployment without a fresh reading is scored by the gateway’s requests in flight (least-outstanding)', () => {
    assert.equal(engineCost(deployment('x', { outstanding: 3 })), 3);
    assert.equal(engineCost(deployment('x', { outstanding: 3, weight: 3 })), 1);
    assert.deepEqual(order([deployment('stale', { outstanding: 2 }), deployment('fresh', { engine: load(1) })]), ['fresh', 'stale']);
    assert.deepEqual(order([deployment('stale', { outstanding: 0 }), deployment('fresh', { engine: load(1) })]), ['stale', 'fresh']);
  });

  test('equal costs split by weight over seeded picks', () => {
    let first = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      if (order([deployment('a', { weight: 3, engine: load(0) }), deployment('b', { weight: 1, engine: load(0) })], seed)[0] === 'a') first++;
    }
    assert.ok(Math.abs(first / 2000 - 0.75) < 0.04, `a first in ${first} of 2000 picks, expected ~1500`);
  });

  test('prefers the deployment holding the longest prefix over a less loaded one', () => {
    const ordered = order([
      deployment('short', { engine: load(0), prefixBlocks: 2 }),
      deployment('idle', { engine: load(0) }),
      deployment('long', { engine: load(3, 8, 0.5), prefixBlocks: 6 }),
    ]);
    assert.deepEqual(ordered, ['long', 'idle', 'short']);
  });

  test('a saturated holder loses affinity: queue above the limit, or KV above the limit', () => {
    assert.deepEqual(order([deployment('holder', { engine: load(6), prefixBlocks: 4 }), deployment('other', { engine: load(1) })]), [
      'other',
      'holder',
    ]);
    assert.deepEqual(
      order([deployment('holder', { engine: load(0, 0, 0.85), prefixBlocks: 4 }), deployment('other', { engine: load(2) })]),
      ['other', 'holder'],
    );
    // At the limit is not beyond it.
    assert.deepEqual(order([deployment('holder', { engine: load(5, 0, 0.8), prefixBlocks: 4 }), deployment('other', { engine: load(0) })]), [
      'holder',
      'other',
    ]);
  });

  test('when the longest holder is saturated, the next longest unsaturated holder wins', () => {
    const ordered = order([
      deployment('longest', { engine: load(9), prefixBlocks: 8 }),
      deployment('shorter', { engine: load(2), prefixBlocks: 3 }),
      deployment('none', { engine: load(0) }),
    ]);
    assert.deepEqual(ordered, ['shorter', 'none', 'longest']);
  });

  test('a holder without a fresh reading gets no affinity', () => {
    assert.deepEqual(order([deployment('holder', { prefixBlocks: 4, outstanding: 1 }), deployment('other', { engine: load(0) })]), [
      'other',
      'holder',
    ]);
  });

  test('the shared rotation rules still apply: disabled and open-breaker deployments are left out', () => {
    assert.deepEqual(
      order([
        deployment('off', { engine: load(0), prefixBlocks: 9, disabled: true }),
        deployment('open', { engine: load(0), prefixBlocks: 9, healthWeight: 0 }),
        deployment('on', { engine: load(3) }),
      ]),
      ['on'],
    );
  });
});

describe('engine load from a reading', () => {
  const reading = { engine: 'vllm', running: 4, waiting: 2, kvUsage: 0.5, at: 1000, mark: 10 };

  test('fresh: waiting plus the dispatches since the reading still in flight', () => {
    assert.deepEqual(engineLoadOf(reading, 1100, 200, 3, 5), { queue: 5, running: 4, kvUsage: 0.5 });
    // Dispatches that already finished no longer load the engine.
    assert.deepEqual(engineLoadOf(reading, 1100, 200, 3, 1), { queue: 3, running: 4, kvUsage: 0.5 });
  });

  test('stale after stale_after_ms, and missing readings give nothing', () => {
    assert.ok(engineLoadOf(reading, 1200, 200, 0, 0) !== undefined, 'exactly at the limit still counts');
    assert.equal(engineLoadOf(reading, 1201, 200, 0, 0), undefined);
    assert.equal(engineLoadOf(undefined, 0, 200, 0, 0), undefined);
  });

  test('an engine that reports no KV use has none in its load', () => {
    const load = engineLoadOf({ engine: 'tgi', running: 1, waiting: 0, at: 0, mark: 0 }, 0, 200, 0, 0);
    assert.deepEqual(load, { queue: 0, running: 1 });
  });
});

describe('prompt blocks', () => {
  const options = { blockChars: 16, maxBlocks: 8 };

  test('renders roles and text in order, bounded by the limit', () => {
    const request = chat('be brief', 'hello', 'hi there');
    assert.equal(renderPrompt(request, 1000), 'system\nbe brief\nuser\nhello\nassistant\nhi there\n');
    assert.equal(renderPrompt(request, 10), 'system\nbe ');
    assert.equal(renderPrompt({ model: 'm', prompt: 'complete me' }, 100), 'complete me');
    assert.equal(renderPrompt({ model: 'm', prompt: [[1, 2, 3]] }, 100), '1,2,3');
  });

  test('only full blocks are hashed, at most maxBlocks of them', () => {
    assert.equal(promptBlockHashes(chat('short'), options).length, 0);
    assert.equal(promptBlockHashes(chat('x'.repeat(40)), options).length, 3); // "system\n" + 40 + "\n" = 48 chars
    assert.equal(promptBlockHashes(chat('x'.repeat(10_000)), options).length, 8);
  });

  test('hashes are chained: a shared prefix gives equal leading hashes, a difference changes all that follow', () => {
    const system = 'You are a helpful assistant for ACME. '.repeat(3);
    const a = promptBlockHashes(chat(system, 'first question about invoices'), options);
    const b = promptBlockHashes(chat(system, 'second question, on shipping'), options);
    const shared = Math.floor(('system\n' + system + '\nuser\n').length / 16);
    assert.deepEqual(a.slice(0, shared), b.slice(0, shared), 'shared system prompt blocks hash the same');
    for (let i = shared + 1; i < Math.min(a.length, b.length); i++) assert.notEqual(a[i], b[i], `block ${i} differs`);
    // The same text at a different position hashes differently (the chain carries the position).
    const repeated = promptBlockHashes({ model: 'm', prompt: 'abcdefghijklmnop'.repeat(3) }, options);
    assert.equal(new Set(repeated).size, 3, 'equal blocks at different positions differ');
  });
});

describe('prefix affinity index', () => {
  test('the longest matching prefix per deployment; a conversation continues where it was served', () => {
    const index = new PrefixAffinityIndex(1000);
    index.record([1, 2, 3], 'a');
    index.record([1, 2, 7, 8], 'b');
    assert.deepEqual(index.matches([1, 2, 3, 4]), new Map([['a', 3], ['b', 2]]));
    assert.deepEqual(index.matches([1, 2, 7, 8, 9]), new Map([['a', 2], ['b', 4]]));
    assert.deepEqual(index.matches([5, 1, 2]), new Map());
  });

  test('a deployment only matches from the first block on (no gaps)', () => {
    const index = new PrefixAffinityIndex(1000);
    index.record([1, 2], 'a');
    index.record([2, 3], 'b');
    assert.deepEqual(index.matches([1, 2, 3]), new Map([['a', 2]]));
  });

  test('bounded: the least recently used blocks are forgotten first', () => {
    const index = new PrefixAffinityIndex(4);
    index.record([1, 2], 'a');
    index.record([3, 4], 'b');
    index.record([1], 'a'); // touches block 1
    index.record([5, 6], 'c');
    assert.equal(index.size, 4);
    assert.deepEqual(index.matches([1]), new Map([['a', 1]]), 'recently used block kept');
    assert.deepEqual(index.matches([3, 4]), new Map(), 'least recently used forgotten');
    assert.deepEqual(index.matches([5, 6]), new Map([['c', 2]]));
  });

  test('retainOnly forgets deployments that left the model', () => {
    const index = new PrefixAffinityIndex(100);
    index.record([1, 2], 'a');
    index.record([1], 'b');
    index.retainOnly(new Set(['b']));
    assert.deepEqual(index.matches([1, 2]), new Map([['b', 1]]));
    assert.equal(index.size, 1);
  });
});
