import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KvCacheManager } from '../../src/sim/kv-cache-manager.js';
import { Scheduler, type SchedulerLimits, type StepPlan } from '../../src/sim/scheduler.js';
import { Sequence } from '../../src/sim/sequence.js';

const silent = { onToken() {}, onFinish() {} };

function sequence(id: string, promptLength: number, outputTokens: number, firstToken = 1000): Sequence {
  return new Sequence({
    id,
    promptTokens: Array.from({ length: promptLength }, (_, i) => firstToken + i),
    outputTokens,
    finishReason: 'length',
    sample: () => ({ id: 7, text: ' x' }),
    listener: silent,
    arrivalTime: 0,
  });
}

interface Harness {
  kv: KvCacheManager;
  scheduler: Scheduler;
  limits: SchedulerLimits;
  numBlocks: number;
}

function harness(numBlocks: number, limits: Partial<SchedulerLimits> = {}, prefixCaching = true): Harness {
  const kv = new KvCacheManager(numBlocks, 16, prefixCaching);
  const full = { maxNumSeqs: 256, maxNumBatchedTokens: 512, maxModelLen: numBlocks * 16, ...limits };
  return { kv, scheduler: new Scheduler(full, kv), limits: full, numBlocks };
}

/** Runs steps to completion, checking the invariants after each schedule; returns every plan. */
function runToCompletion({ kv, scheduler, limits, numBlocks }: Harness, maxSteps = 10_000): StepPlan[] {
  const plans: StepPlan[] = [];
  for (let step = 0; scheduler.hasWork; step++) {
    assert.ok(step < maxSteps, `the scheduler made no progress within ${maxSteps} steps`);
    const plan = scheduler.schedule();
    plans.push(plan);
    assert.ok(plan.scheduledTokens <= limits.maxNumBatchedTokens, `step ${step} scheduled ${plan.scheduledTokens} tokens, budget ${limits.maxNumBatchedTokens}`);
    assert.ok(scheduler.running.length <= limits.maxNumSeqs, `step ${step} runs ${scheduler.running.length} sequences`);
    const held = new Set(scheduler.running.flatMap((running) => kv.blocksOf(running).map((block) => block.id)));
    assert.ok(held.size <= numBlocks, `step ${step} holds ${held.size} blocks of ${numBlocks}`);
    assert.equal(held.size, numBlocks - kv.pool.numFreeBlocks, `step ${step}: blocks held by running sequences are exactly the non-free ones`);
    for (const running of scheduler.running) {
      assert.ok(kv.blocksOf(running).length * 16 >= running.numComputedTokens, `${running.id} has room for its computed tokens`);
    }
    for (const waiting of scheduler.waiting) assert.equal(kv.blocksOf(waiting).length, 0, `waiting ${waiting.id} holds no blocks`);
    scheduler.complete(plan, step);
  }
  return plans;
}

describe('sim scheduler', () => {
  test('admits in arrival order and finishes every sequence with its requested output', () => {
    const h = harness(1000, { maxNumSeqs: 3 });
    const sequences = Array.from({ length: 8 }, (_, i) => sequence(`s${i}`, 50 + i * 30, 5 + i, i * 10_000));
    for (const s of sequences) h.scheduler.add(s);
    const plans = runToCompletion(h);
    const admitted = plans.flatMap((plan) => plan.admitted.map((s) => s.id));
    assert.deepEqual(admitted, sequences.map((s) => s.id), 'first admission follows arrival order');
    for (const s of sequences) assert.equal(s.numOutputTokens, s.outputLimit, `${s.id} produced its ${s.outputLimit} tokens`);
    assert.equal(h.kv.pool.numFreeBlocks, 1000, 'every block is free once all sequences finished');
  });

  test('prefills a long prompt in chunks within the token budget, decodes riding along', () => {
    const h = harness(1000, { maxNumBatchedTokens: 256 });
    const short = sequence('short', 20, 30);
    h.scheduler.add(short);
    h.scheduler.complete(h.scheduler.schedule(), 0);
    const long = sequence('long', 1000, 2, 50_000);
    h.scheduler.add(long);
    const plan = h.scheduler.schedule();
    assert.deepEqual(plan.chunks.map((c) => [c.sequence.id, c.tokens]), [['short', 1], ['long', 255]], 'decode first, then a prefill chunk filling the budget');
    h.scheduler.complete(plan, 1);
    const plans = runToCompletion(h);
    const longChunks = plans.flatMap((p) => p.chunks.filter((c) => c.sequence === long && c.context < 1000).map((c) => c.tokens));
    assert.equal(longChunks.reduce((a, b) => a + b, 0) + 255, 1000, 'the whole prompt is computed exactly once');
  });

  test('preempts the newest running sequence when the cache runs out, freeing its blocks, and still finishes all', () => {
    // 20 blocks = 320 tokens; three sequences each growing to 200 tokens cannot all stay resident.
    const h = harness(20, { maxNumBatchedTokens: 2048 }, false);
    const sequences = [sequence('a', 100, 100, 0), sequence('b', 100, 100, 10_000), sequence('c', 100, 100, 20_000)];
    for (const s of sequences) h.scheduler.add(s);
    const plans = runToCompletion(h);
    const preemptions = plans.flatMap((p) => p.preempted);
    assert.ok(preemptions.length > 0, 'the cache pressure forced at least one preemption');
    assert.notEqual(preemptions[0]?.id, 'a', 'the oldest sequence is not the first one preempted');
    for (const s of sequences) assert.equal(s.numOutputTokens, 100, `${s.id} finished with all its tokens after recompute`);
    assert.equal(h.kv.pool.numFreeBlocks, 20, 'no block leaked');
  });

  test('a preempted sequence releases its blocks at once and waits at the head of the queue', () => {
    const h = harness(10, { maxNumBatchedTokens: 2048 }, false);
    const first = sequence('first', 60, 100, 0);
    const second = sequence('second', 60, 100, 10_000);
    h.scheduler.add(first);
    h.scheduler.add(second);
    for (let step = 0; step < 200; step++) {
      const plan = h.scheduler.schedule();
      if (plan.preempted.length > 0) {
        const [victim] = plan.preempted;
        assert.equal(victim, second, 'the most recently admitted sequence is preempted');
        assert.equal(h.kv.blocksOf(second).length, 0, 'its blocks were freed');
        assert.equal(second.numComputedTokens, 0, 'it will be recomputed');
        assert.equal(h.scheduler.waiting[0], second, 'it waits at the head of the queue');
        return;
      }
      h.scheduler.complete(plan, step);
    }
    assert.fail('ten blocks for two growing sequences never forced a preemption');
  });

  test('a request sharing a prompt prefix skips the cached full blocks but computes its last token', () => {
    const h = harness(100);
    const first = sequence('first', 100, 1, 0);
    h.scheduler.add(first);
    runToCompletion(h);
    const again = sequence('again', 100, 1, 0);
    h.scheduler.add(again);
    const plan = h.scheduler.schedule();
    assert.equal(plan.prefixHitTokens, 96, 'six full blocks of the 100-token prompt come from the cache');
    assert.equal(plan.prefixQueryTokens, 100, 'the whole prompt was looked up');
    assert.deepEqual(plan.chunks.map((c) => [c.tokens, c.context]), [[4, 96]], 'only the tail is computed');
    const differentTail = sequence('different', 100, 1, 0);
    differentTail.tokens[40] = 1;
    h.scheduler.complete(plan, 1);
    h.scheduler.add(differentTail);
    assert.equal(h.scheduler.schedule().prefixHitTokens, 32, 'the chain stops at the first block that differs');
  });

  test('cached free blocks are evicted least recently freed first when new blocks are needed', () => {
    const h = harness(8, { maxNumBatchedTokens: 2048 });
    const old = sequence('old', 64, 1, 0);
    h.scheduler.add(old);
    runToCompletion(h);
    const recent = sequence('recent', 48, 1, 10_000);
    h.scheduler.add(recent);
    runToCompletion(h);
    // 8 blocks: 4 cached for "old", 3 for "recent", 1 never used; a 3-block request takes the unused one and then
    // evicts from "old", freed longest ago.
    const filler = sequence('filler', 40, 1, 20_000);
    h.scheduler.add(filler);
    runToCompletion(h);
    const recentAgain = sequence('recent-again', 48, 1, 10_000);
    h.scheduler.add(recentAgain);
    assert.equal(h.scheduler.schedule().prefixHitTokens, 32, 'the recently freed prefix survived (2 full blocks of 48 tokens, last token recomputed)');
  });
});
