/**
 * Faults: more requests than a deployment may take at once (issue 4 §9, §10). Past `max_concurrency` requests
 * wait in a queue ordered by `x-switchyard-priority`; when it is full the lowest priority is shed with a 503
 * `overloaded` and a retry-after, whether it was already waiting or just arrived, and never reaches the upstream.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chat, deploymentId, errorOf, rigPerTest, sample, scrape, upstreamModel, waitFor } from './harness.js';

describe('faults: overload', () => {
  const startRig = rigPerTest();

  test('a full queue sheds the lowest priority with 503 overloaded + retry-after; the higher one is served', async () => {
    const rig = await startRig({
      live: ['capped'],
      models: { m: { deployments: [{ provider: 'capped', model: upstreamModel, max_concurrency: 1, max_queue: 1 }] } },
    });
    const capped = rig.mocks.capped!;
    // The first request holds the only slot for a while.
    capped.script({ kind: 'slow_first_byte', delayMs: 400 });
    const gate = () => rig.gw.gateway.resilience.gates.stats()[deploymentId('capped')]!;
    const send = (content: string, priority: string) => chat(rig.gw, 'm', { content, headers: { 'x-switchyard-priority': priority } });

    const holder = send('holder', '0');
    await waitFor('the first request to reach the upstream', () => capped.requests.length === 1);
    const low = send('low', '0');
    await waitFor('the low-priority request to queue', () => gate().queued === 1);
    // The queue is full: the newcomer outranks the waiter, which is shed.
    const high = send('high', '5');
    const shed = await low;
    assert.equal(shed.status, 503);
    assert.ok(Number(shed.headers.get('retry-after')) >= 1);
    const error = await errorOf(shed);
    assert.equal(error.code, 'overloaded');
    // Still full (high is waiting): a newcomer that ranks lowest is shed at once.
    const late = await send('late', '0');
    assert.equal(late.status, 503);
    assert.equal((await errorOf(late)).code, 'overloaded');
    assert.ok(late.headers.get('retry-after') !== null);

    const [held, served] = await Promise.all([holder, high]);
    assert.equal(held.status, 200);
    assert.equal(served.status, 200);
    await Promise.all([held.arrayBuffer(), served.arrayBuffer()]);
    // Only the two admitted requests reached the upstream, in priority order.
    const contents = capped.requests.map((request) => (request.body as { messages: { content: string }[] }).messages[0]!.content);
    assert.deepEqual(contents, ['holder', 'high']);
    assert.equal(gate().shed, 2);

    const metrics = await scrape(rig.gw);
    assert.equal(sample(metrics, 'switchyard_errors_total', { code: 'overloaded' }), 2);
    assert.equal(sample(metrics, 'switchyard_requests_total', { status: '503' }), 2);
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'capped', outcome: 'ok' }), 2);
  });

  test('a request shed by one deployment is served by another that has room', async () => {
    const rig = await startRig({
      live: ['capped', 'roomy'],
      models: {
        m: {
          deployments: [
            { provider: 'capped', model: upstreamModel, max_concurrency: 1, max_queue: 0 },
            { provider: 'roomy', model: upstreamModel },
          ],
        },
      },
      random: () => 0,
    });
    const { capped, roomy } = rig.mocks;
    capped!.script({ kind: 'slow_first_byte', delayMs: 300 });
    const holder = chat(rig.gw, 'm');
    await waitFor('the first request to reach the upstream', () => capped!.requests.length === 1);
    const overflow = await chat(rig.gw, 'm');
    assert.equal(overflow.status, 200);
    assert.equal(overflow.headers.get('x-switchyard-provider'), 'roomy');
    await overflow.arrayBuffer();
    assert.equal((await holder).status, 200);
    assert.equal(capped!.requests.length, 1);
    assert.equal(roomy!.requests.length, 1);
  });
});

describe('faults: an abandoned stream gives back what it held', () => {
  const startRig = rigPerTest();

  for (const [what, scenario] of [
    ['waiting for the upstream', { kind: 'hang_stream' }],
    ['while chunks are flowing', { kind: 'text', text: 'many words '.repeat(400) }],
  ] as const) {
    test(`a client leaving mid-stream (${what}) frees the concurrency slot for the next request`, async () => {
      const rig = await startRig({
        live: ['one'],
        models: { m: { deployments: [{ provider: 'one', model: upstreamModel, max_concurrency: 1, max_queue: 1 }] } },
      });
      rig.mocks.one!.setScenario(scenario);
      for (let round = 0; round < 3; round++) {
        const controller = new AbortController();
        const response = await chat(rig.gw, 'm', { stream: true, signal: controller.signal });
        assert.equal(response.status, 200, `round ${round}: the slot was free`);
        const reader = response.body!.getReader();
        await reader.read();
        controller.abort();
        await reader.read().catch(() => undefined);
      }
      rig.mocks.one!.setScenario({ kind: 'text', text: 'done' });
      const last = await chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '2000' } });
      assert.equal(last.status, 200, 'no slot leaked: the last request did not wait for one');
      await last.arrayBuffer();
      const stats = rig.gw.gateway.resilience.gates.stats()[deploymentId('one')]!;
      assert.equal(stats.inFlight, 0, 'every slot was given back');
    });
  }
});
