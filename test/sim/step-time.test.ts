import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveEngineConfig } from '../../src/sim/engine-config.js';
import { decodeStepTime, prefillTime } from '../../src/plan/performance.js';
import { stepCost } from '../../src/sim/step-time.js';

const { deployment } = resolveEngineConfig({ model: 'llama-3.1-8b', gpu: 'h100' });

describe('sim step time', () => {
  test('agrees with the planner for a lone decode and a lone prefill', () => {
    const decode = stepCost(deployment, [{ tokens: 1, context: 1000 }]).seconds;
    const planned = decodeStepTime(deployment, 1, 1000).seconds;
    assert.ok(Math.abs(decode - planned) / planned < 0.02, `decode ${decode}s vs planner ${planned}s`);
    const prefill = stepCost(deployment, [{ tokens: 2000, context: 0 }]).seconds;
    const plannedPrefill = prefillTime(deployment, 2000).seconds;
    assert.ok(Math.abs(prefill - plannedPrefill) / plannedPrefill < 0.05, `prefill ${prefill}s vs planner ${plannedPrefill}s`);
  });

  test('a step gets slower as the batch, the contexts and the prefill chunk grow', () => {
    const decodes = (n: number, context: number) => Array.from({ length: n }, () => ({ tokens: 1, context }));
    const one = stepCost(deployment, decodes(1, 500)).seconds;
    const many = stepCost(deployment, decodes(128, 500)).seconds;
    const longContexts = stepCost(deployment, decodes(128, 8000)).seconds;
    const withPrefill = stepCost(deployment, [...decodes(128, 500), { tokens: 4096, context: 0 }]).seconds;
    assert.ok(one < many && many < longContexts, `decode step grows with batch and context: ${one}, ${many}, ${longContexts}`);
    assert.ok(withPrefill > 3 * many, `a 4096-token prefill chunk dominates the step: ${withPrefill} vs ${many}`);
    assert.equal(stepCost(deployment, []).seconds, 0, 'an empty batch takes no time');
  });
});
