/**
 * Faults: a deployment that is down or flapping (issue 4 §5, §10). Its circuit breaker opens after consecutive
 * failures and traffic stops reaching it while callers are served by the others; after `open_ms` real requests
 * probe it (half-open), a failed probe opens it again, and after successful probes its share of traffic
 * recovers step by step (10 → 25 → 50 → 100% of its weight). Metrics show the state and the outage alert.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom as seeded } from '../../src/providers/sim/generate.js';
import { FakeTime } from '../helpers/fake-time.js';
import { attemptsCounted, chat, deploymentId, model, rigPerTest, sample, scrape, type FaultRig } from './harness.js';

const serverError = { kind: 'error', status: 500, message: 'The server had an error.' } as const;

/** `switchyard_circuit_state` of a deployment: 0 closed, 1 open, 2 half-open, 3 recovering. */
async function circuitState(rig: FaultRig, provider: string): Promise<number> {
  return sample(await scrape(rig.gw), 'switchyard_circuit_state', { deployment: deploymentId(provider) });
}

async function send(rig: FaultRig, modelName: string): Promise<Response> {
  const response = await chat(rig.gw, modelName);
  assert.equal(response.status, 200);
  await response.arrayBuffer();
  return response;
}

describe('faults: circuit breakers', () => {
  const startRig = rigPerTest();

  test('one of three deployments down: every request succeeds, its breaker opens, traffic stops reaching it', async () => {
    const rig = await startRig({
      live: ['a', 'b'],
      refused: ['down'],
      models: { m: model(['a', 'b', 'down']) },
      resilience: {
        circuit_breaker: { consecutive_failures: 3 },
        health_checks: { outage_min_requests: 3 },
      },
      random: seeded(42),
    });
    const attemptsPerRequest: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await send(rig, 'm');
      attemptsPerRequest.push(Number(response.headers.get('x-switchyard-attempts')));
    }
    // Every request was answered; the down deployment cost exactly `consecutive_failures` extra attempts.
    assert.equal(rig.mocks.a!.requests.length + rig.mocks.b!.requests.length, 40);
    assert.equal(await attemptsCounted(rig.gw, 'down', 'upstream_unavailable'), 3);
    assert.equal(attemptsPerRequest.reduce((sum, n) => sum + n, 0), 43);
    assert.ok(rig.mocks.a!.requests.length > 5 && rig.mocks.b!.requests.length > 5, 'the live deployments share the load');
    const metrics = await scrape(rig.gw);
    assert.equal(sample(metrics, 'switchyard_circuit_state', { deployment: deploymentId('down') }), 1);
    assert.equal(sample(metrics, 'switchyard_alerts_total', { kind: 'outage_started' }), 1);
    assert.equal(sample(metrics, 'switchyard_requests_total', { status: '200' }), 40);
    assert.equal(rig.gw.gateway.resilience.breakers.snapshot()[deploymentId('down')]!.state, 'open');
  });

  test('flapping deployment: opens, a failed probe reopens it, successful probes start a stepped recovery', async () => {
    const clock = new FakeTime();
    // 0 picks deployments in config order (flaky first) while the breaker is exercised; the seeded source then
    // measures the traffic share during recovery, the same on every run.
    let random: () => number = () => 0;
    const rig = await startRig({
      live: ['flaky', 'steady'],
      models: { m: model(['flaky', 'steady']) },
      resilience: {
        circuit_breaker: { consecutive_failures: 3, open_ms: 200, half_open_probes: 2, recovery_step_ms: 100 },
      },
      random: () => random(),
      clock,
    });
    const { flaky, steady } = rig.mocks;
    const id = deploymentId('flaky');
    const breaker = () => rig.gw.gateway.resilience.breakers.snapshot()[id]!;
    // Three failures open it; the fourth is the first half-open probe, which fails.
    flaky!.script(serverError, serverError, serverError, serverError);

    for (let i = 0; i < 3; i++) {
      const response = await send(rig, 'm');
      assert.equal(response.headers.get('x-switchyard-provider'), 'steady');
    }
    assert.equal(breaker().state, 'open');
    assert.equal(await circuitState(rig, 'flaky'), 1);

    // Open: the flaky deployment gets nothing.
    const whileOpen = await send(rig, 'm');
    assert.equal(whileOpen.headers.get('x-switchyard-attempts'), '1');
    assert.equal(flaky!.requests.length, 3);

    // After open_ms a real request probes it; the probe fails, the caller is still served, the breaker reopens.
    await clock.advance(200);
    const failedProbe = await send(rig, 'm');
    assert.equal(failedProbe.headers.get('x-switchyard-provider'), 'steady');
    assert.equal(flaky!.requests.length, 4);
    assert.equal(breaker().state, 'open');
    assert.equal(breaker().openedCount, 2);

    // After another open_ms, two successful probes start the recovery.
    await clock.advance(200);
    assert.equal((await send(rig, 'm')).headers.get('x-switchyard-provider'), 'flaky');
    assert.equal(breaker().state, 'half_open');
    assert.equal(await circuitState(rig, 'flaky'), 2);
    assert.equal((await send(rig, 'm')).headers.get('x-switchyard-provider'), 'flaky');
    assert.equal(breaker().state, 'recovering');
    assert.equal(await circuitState(rig, 'flaky'), 3);

    // Recovery: its weight steps up every recovery_step_ms, and its share of traffic follows.
    random = seeded(7);
    const weights: number[] = [];
    const shares: number[] = [];
    for (let step = 0; step < 4; step++) {
      weights.push(breaker().weight);
      const before = flaky!.requests.length;
      for (let i = 0; i < 50; i++) await send(rig, 'm');
      shares.push((flaky!.requests.length - before) / 50);
      await clock.advance(100);
    }
    assert.deepEqual(weights, [0.1, 0.25, 0.5, 1]);
    assert.equal(breaker().state, 'closed');
    assert.equal(await circuitState(rig, 'flaky'), 0);
    // Expected shares w / (w + 1): 9%, 20%, 33%, 50%.
    assert.ok(shares[0]! < 0.2, `recovering at 10%: share ${shares[0]}`);
    assert.ok(shares[0]! < shares[2]! && shares[1]! < shares[3]!, `shares rise with the weight: ${shares.join(', ')}`);
    assert.ok(shares[3]! > 0.35 && shares[3]! < 0.65, `fully recovered: share ${shares[3]}`);
    assert.equal(steady!.requests.length + flaky!.requests.length - 4, 7 + 200);
  });
});
