/**
 * Faults: upstream error statuses (issue 4 §10). Retryable failures are retried with full-jitter backoff,
 * bounded by `max_attempts` per model and by the per-deployment retry budget; 429s follow the upstream's
 * retry-after, or reach the caller when it asks for longer than the gateway backs off; the caller's own
 * mistakes are never retried.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attemptsCounted, chat, deploymentId, errorOf, model, rigPerTest, sample, scrape, timed } from './harness.js';

const serverError = { kind: 'error', status: 500, message: 'The server had an error while processing your request.' } as const;

describe('faults: upstream errors', () => {
  const startRig = rigPerTest();

  test('a burst of 500s is retried with backoff until the upstream answers', async () => {
    // random 0.5: the first retry waits 0.5 × 100 ms, the second 0.5 × 200 ms.
    const rig = await startRig({
      live: ['up'],
      models: { m: model(['up']) },
      resilience: { retries: { max_attempts: 3, base_delay_ms: 100 } },
      random: () => 0.5,
    });
    const up = rig.mocks.up!;
    up.script(serverError, serverError);
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-attempts'), '3');
    assert.equal(response.headers.get('x-switchyard-provider'), 'up');
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]!.message.content, 'Hello from the mock.');
    assert.equal(up.requests.length, 3);
    assert.ok(ms >= 140, `two backoffs (50 + 100 ms) were waited, took ${ms.toFixed(0)} ms`);

    const metrics = await scrape(rig.gw);
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'up', outcome: 'upstream_error' }), 2);
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'up', outcome: 'ok' }), 1);
    assert.equal(sample(metrics, 'switchyard_requests_total', { status: '200' }), 1);
  });

  test('sustained 500s: at most max_attempts calls, then a 503 that names every attempt', async () => {
    const rig = await startRig({
      live: ['up'],
      models: { m: model(['up']) },
      resilience: { retries: { max_attempts: 3, base_delay_ms: 5 } },
    });
    const up = rig.mocks.up!;
    up.setScenario(serverError);
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(response.headers.get('x-switchyard-attempts'), '3');
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /All deployments for `m` failed: 3 attempt\(s\) failed/);
    assert.match(error.message, /up\/gpt-4o-mini: upstream_error/);
    assert.equal(up.requests.length, 3);
    assert.equal(await attemptsCounted(rig.gw, 'up', 'upstream_error'), 3);
    assert.equal(sample(await scrape(rig.gw), 'switchyard_errors_total', { code: 'upstream_unavailable' }), 1);
  });

  test('the retry budget keeps a sustained outage from being amplified by retries', async () => {
    const ratio = 0.2;
    // The floor: 0.1 retries per second over a 10 s window = 1 retry however few the requests.
    const floor = 1;
    const rig = await startRig({
      live: ['up'],
      models: { m: model(['up']) },
      resilience: {
        retries: { max_attempts: 3, base_delay_ms: 0, budget_ratio: ratio, budget_min_per_second: 0.1, budget_window_ms: 10_000 },
        // The breaker would stop the traffic itself; this test is about the budget alone.
        circuit_breaker: { enabled: false },
      },
    });
    const up = rig.mocks.up!;
    up.setScenario(serverError);
    const requests = 30;
    for (let i = 0; i < requests; i++) {
      const response = await chat(rig.gw, 'm');
      assert.equal(response.status, 503);
      await response.arrayBuffer();
    }
    const calls = up.requests.length;
    // Without a budget this would be requests × max_attempts = 90.
    assert.ok(calls <= requests * (1 + ratio) + floor, `${calls} upstream calls for ${requests} requests`);
    assert.ok(calls > requests, 'the budget still allows some retries');
    assert.equal(await attemptsCounted(rig.gw, 'up', 'upstream_error'), calls);
    const budget = rig.gw.gateway.resilience.budgets.snapshot()[deploymentId('up')]!;
    assert.equal(budget.requests, requests);
    assert.equal(budget.retries, calls - requests);
  });

  test('429 with a short retry-after: the gateway waits that long and retries', async () => {
    const rig = await startRig({ live: ['up'], models: { m: model(['up']) } });
    const up = rig.mocks.up!;
    up.script({ kind: 'error', status: 429, message: 'Rate limit reached.', retryAfterSeconds: 0.3 });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.equal(up.requests.length, 2);
    assert.ok(ms >= 290, `retry-after 0.3 s was honoured, took ${ms.toFixed(0)} ms`);
    assert.equal(await attemptsCounted(rig.gw, 'up', 'upstream_rate_limited'), 1);
    assert.equal(await attemptsCounted(rig.gw, 'up', 'ok'), 1);
  });

  test('429 with a long retry-after reaches the caller as 429 + retry-after, without waiting or retrying', async () => {
    const rig = await startRig({ live: ['up'], models: { m: model(['up']) } });
    const up = rig.mocks.up!;
    up.script({ kind: 'error', status: 429, message: 'Rate limit reached.', retryAfterSeconds: 30 });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '30');
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(up.requests.length, 1);
    assert.ok(ms < 1000, `answered at once, took ${ms.toFixed(0)} ms`);
    // The retry that was not made is not charged to the deployment's retry budget.
    assert.equal(rig.gw.gateway.resilience.budgets.snapshot()[deploymentId('up')]!.retries, 0);
    assert.equal(await attemptsCounted(rig.gw, 'up', 'upstream_rate_limited'), 1);
  });

  test('429 with a long retry-after cools the deployment down: this request and the next go elsewhere', async () => {
    const rig = await startRig({ live: ['limited', 'spare'], models: { m: model(['limited', 'spare']) } });
    const { limited, spare } = rig.mocks;
    limited!.script({ kind: 'error', status: 429, message: 'Rate limit reached.', retryAfterSeconds: 30 });

    const first = await chat(rig.gw, 'm');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-switchyard-provider'), 'spare');
    assert.equal(first.headers.get('x-switchyard-attempts'), '2');
    await first.arrayBuffer();

    const second = await chat(rig.gw, 'm');
    assert.equal(second.status, 200);
    assert.equal(second.headers.get('x-switchyard-provider'), 'spare');
    assert.equal(second.headers.get('x-switchyard-attempts'), '1');
    await second.arrayBuffer();

    assert.equal(limited!.requests.length, 1);
    assert.equal(spare!.requests.length, 2);
    assert.equal(await attemptsCounted(rig.gw, 'limited', 'upstream_rate_limited'), 1);
    assert.equal(await attemptsCounted(rig.gw, 'spare', 'ok'), 2);
  });

  test("the caller's own mistake (400) is passed through and never retried", async () => {
    const rig = await startRig({ live: ['a', 'b'], models: { m: model(['a', 'b']) } });
    rig.mocks.a!.script({ kind: 'error', status: 400, message: "Invalid value for 'temperature'." });
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 400);
    assert.equal((await errorOf(response)).code, 'invalid_request');
    assert.equal(rig.mocks.a!.requests.length, 1);
    assert.equal(rig.mocks.b!.requests.length, 0);
    assert.equal(await attemptsCounted(rig.gw, 'a', 'invalid_request'), 1);
  });
});
