/**
 * Passive health (reliability/health-checker.ts): a provider that answered live traffic within the probe
 * interval is not probed, so the gateway sends the upstream only requests its clients caused; an idle provider
 * is probed as before.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { chat, model, rigPerTest } from './harness.js';

const probes = (responses: readonly { path: string }[]) => responses.filter((response) => response.path === '/v1/models').length;

describe('passive health', () => {
  const rig = rigPerTest();

  test('a provider answering live traffic is not probed; an idle one is, every interval', async () => {
    const { gw, mocks } = await rig({
      live: ['busy', 'idle'],
      models: { chat: model(['busy']), spare: model(['idle']) },
      // First probes at 900 ms (random 0.9: time for the first answer on a busy machine), then every 1080 ms.
      resilience: { health_checks: { enabled: true, interval_ms: 1000 } },
      random: () => 0.9,
    });
    const until = performance.now() + 2_400;
    let served = 0;
    while (performance.now() < until) {
      const response = await chat(gw, 'chat');
      assert.equal(response.status, 200);
      await response.text();
      served++;
      await sleep(50);
    }
    assert.ok(served > 10);
    assert.equal(probes(mocks.busy!.responses), 0, 'every upstream request to the busy provider came from a client');
    assert.ok(probes(mocks.idle!.responses) >= 2, `idle provider probed ${probes(mocks.idle!.responses)} times`);
    const health = (gw.gateway.resilience.status().health ?? {}) as Record<string, { healthy: boolean }>;
    assert.equal(health.busy?.healthy, true);
  });
});
