/**
 * Faults: an upstream close to its quota (issue 4 §9). Its `x-ratelimit-*` headers say how much is left; below
 * `quota_share` of headroom (default: keep usage under 70%) it goes to the back of the order, so traffic moves
 * to deployments with room before the upstream starts answering 429, and comes back once the quota resets.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { chat, model, rigPerTest } from './harness.js';

describe('faults: upstream quota headers steer traffic', () => {
  const startRig = rigPerTest();

  const servedBy = async (rig: Awaited<ReturnType<typeof startRig>>, count: number) => {
    const providers: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await chat(rig.gw, 'm');
      assert.equal(response.status, 200);
      providers.push(response.headers.get('x-switchyard-provider') ?? '');
      await response.arrayBuffer();
    }
    return providers;
  };

  test('a deployment reporting less than 30% of its quota left is avoided until its reset', async () => {
    // random 0: without quota information the order is the config order, `near` first.
    const rig = await startRig({ live: ['near', 'roomy'], models: { m: model(['near', 'roomy']) } });
    rig.mocks.near!.setResponseHeaders({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '600ms',
    });
    const [first, ...rest] = await servedBy(rig, 8);
    assert.equal(first, 'near', 'the first request goes to near and learns its quota');
    assert.deepEqual(new Set(rest), new Set(['roomy']), 'then traffic avoids it');
    assert.equal(rig.mocks.near!.requests.length, 1);

    await sleep(700);
    rig.mocks.near!.setResponseHeaders({});
    assert.equal((await servedBy(rig, 1))[0], 'near', 'after the reset it is back in front');
  });

  test('with plenty of quota left nothing changes', async () => {
    const rig = await startRig({ live: ['near', 'roomy'], models: { m: model(['near', 'roomy']) } });
    rig.mocks.near!.setResponseHeaders({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '90' });
    assert.deepEqual(new Set(await servedBy(rig, 5)), new Set(['near']));
  });
});
