/**
 * Faults: an upstream that cannot be reached, never answers, or answers slowly (issue 4 §10), and the request's
 * own deadline (`x-switchyard-timeout-ms`). A refused connection moves on at once; a black hole costs one
 * first-byte timeout per attempt and never more than the deadline; a slow but timely upstream is simply served;
 * a retry whose backoff cannot fit the deadline is not slept on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attemptsCounted, chat, errorOf, model, rigPerTest, sample, scrape, timed, waitFor } from './harness.js';

const blackHole = { kind: 'black_hole' } as const;

describe('faults: connect refused, black holes, slow upstreams, deadlines', () => {
  const startRig = rigPerTest();

  test('connect refused moves to the next deployment at once, without backoff', async () => {
    // A backoff, had there been one, would wait about a second.
    const rig = await startRig({
      live: ['up'],
      refused: ['down'],
      models: { m: model(['down', 'up']) },
      resilience: { retries: { base_delay_ms: 1000 } },
      random: () => 0,
    });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-provider'), 'up');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.ok(ms < 500, `no backoff before trying another deployment, took ${ms.toFixed(0)} ms`);
    assert.equal(rig.mocks.up!.requests.length, 1);
    assert.equal(await attemptsCounted(rig.gw, 'down', 'upstream_unavailable'), 1);
    assert.equal(await attemptsCounted(rig.gw, 'up', 'ok'), 1);
  });

  test('a black hole costs one first-byte timeout, then the next deployment answers', async () => {
    const rig = await startRig({
      live: ['hole', 'up'],
      models: { m: model(['hole', 'up']) },
      resilience: { attempt_first_byte_timeout_ms: 300 },
    });
    rig.mocks.hole!.setScenario(blackHole);
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-provider'), 'up');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.ok(ms >= 290 && ms < 1500, `one first-byte timeout of 300 ms, took ${ms.toFixed(0)} ms`);
    assert.equal(rig.mocks.hole!.requests.length, 1);
    // The gateway gave up on the silent connection rather than leaving it open.
    await waitFor('the black-holed request to be aborted', () => rig.mocks.hole!.aborted === 1);
    assert.equal(await attemptsCounted(rig.gw, 'hole', 'upstream_timeout'), 1);
  });

  test('black holes everywhere: max_attempts first-byte timeouts, then a 503 naming them', async () => {
    const rig = await startRig({
      live: ['hole1', 'hole2'],
      models: { m: model(['hole1', 'hole2']) },
      resilience: { attempt_first_byte_timeout_ms: 200, retries: { max_attempts: 2 } },
    });
    rig.mocks.hole1!.setScenario(blackHole);
    rig.mocks.hole2!.setScenario(blackHole);
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /hole1\/gpt-4o-mini: upstream_timeout, hole2\/gpt-4o-mini: upstream_timeout/);
    assert.ok(ms >= 390 && ms < 1500, `two first-byte timeouts of 200 ms, took ${ms.toFixed(0)} ms`);
    assert.equal(rig.mocks.hole1!.requests.length + rig.mocks.hole2!.requests.length, 2);
  });

  test('black holes everywhere with many attempts allowed: the deadline bounds the request (504)', async () => {
    const rig = await startRig({
      live: ['hole1', 'hole2'],
      models: { m: model(['hole1', 'hole2']) },
      resilience: { attempt_first_byte_timeout_ms: 300, retries: { max_attempts: 10, base_delay_ms: 0 } },
    });
    rig.mocks.hole1!.setScenario(blackHole);
    rig.mocks.hole2!.setScenario(blackHole);
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '750' } }));
    assert.equal(response.status, 504);
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_timeout');
    assert.match(error.message, /time limit/);
    assert.ok(ms >= 740 && ms < 1500, `bounded by the 750 ms deadline, took ${ms.toFixed(0)} ms`);
    // 0-300 ms, 300-600 ms, then a third attempt cut short by the deadline.
    const calls = rig.mocks.hole1!.requests.length + rig.mocks.hole2!.requests.length;
    assert.equal(calls, 3);
    await waitFor('every silent upstream request to be aborted', () => rig.mocks.hole1!.aborted + rig.mocks.hole2!.aborted === 3);
    assert.equal(sample(await scrape(rig.gw), 'switchyard_errors_total', { code: 'upstream_timeout' }), 1);
  });

  test('a slow first byte within the limits is served, stream or not', async () => {
    const rig = await startRig({
      live: ['slow', 'spare'],
      models: { m: model(['slow', 'spare']) },
      resilience: { attempt_first_byte_timeout_ms: 1000 },
    });
    const slow = rig.mocks.slow!;
    slow.setScenario({ kind: 'slow_first_byte', delayMs: 200 });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-provider'), 'slow');
    assert.equal(response.headers.get('x-switchyard-attempts'), '1');
    await response.arrayBuffer();
    assert.ok(ms >= 190, `waited for the slow upstream, took ${ms.toFixed(0)} ms`);

    const stream = await chat(rig.gw, 'm', { stream: true });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('x-switchyard-attempts'), '1');
    assert.match(await stream.text(), /data: \[DONE\]\n\n$/);
    assert.equal(slow.requests.length, 2);
    assert.equal(rig.mocks.spare!.requests.length, 0);
    assert.equal(await attemptsCounted(rig.gw, 'slow', 'ok'), 2);
  });

  test('x-switchyard-timeout-ms ends a request at its deadline with 504 and aborts the upstream call', async () => {
    const rig = await startRig({ live: ['hole'], models: { m: model(['hole']) } });
    const hole = rig.mocks.hole!;
    hole.setScenario(blackHole);
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '300' } }));
    assert.equal(response.status, 504);
    assert.equal((await errorOf(response)).code, 'upstream_timeout');
    assert.ok(ms >= 290 && ms < 1300, `ended at the 300 ms deadline, took ${ms.toFixed(0)} ms`);
    await waitFor('the upstream call to be aborted', () => hole.aborted === 1);
    assert.equal(hole.requests.length, 1);
  });

  test('x-switchyard-timeout-ms: a malformed value is a 400 before any upstream call; a huge one is clamped', async () => {
    const rig = await startRig({ live: ['hole'], models: { m: model(['hole']) }, resilience: { max_request_timeout_ms: 400 } });
    const hole = rig.mocks.hole!;
    hole.setScenario(blackHole);
    const bad = await chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': 'soon' } });
    assert.equal(bad.status, 400);
    const error = await errorOf(bad);
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.param, 'x-switchyard-timeout-ms');
    assert.equal(hole.requests.length, 0);

    const { value: clamped, ms } = await timed(() => chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '60000' } }));
    assert.equal(clamped.status, 504);
    await clamped.arrayBuffer();
    assert.ok(ms >= 390 && ms < 1400, `clamped to max_request_timeout_ms (400), took ${ms.toFixed(0)} ms`);
  });

  test('a deadline shorter than the backoff: no sleeping past it, a prompt 503 that says why', async () => {
    // random 0.9 × base 3000 ms: the retry would wait 2.7 s, far past the 1 s deadline.
    const rig = await startRig({
      live: ['up'],
      models: { m: model(['up']) },
      resilience: { retries: { base_delay_ms: 3000, max_delay_ms: 8000 } },
      random: () => 0.9,
    });
    const up = rig.mocks.up!;
    up.setScenario({ kind: 'error', status: 500, message: 'boom' });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '1000' } }));
    assert.equal(response.status, 503);
    assert.ok(response.headers.get('retry-after') !== null);
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_unavailable');
    assert.match(error.message, /1 attempt\(s\) failed \(up\/gpt-4o-mini: upstream_error\)/);
    assert.match(error.message, /deadline/);
    assert.ok(ms < 700, `returned without waiting for the backoff, took ${ms.toFixed(0)} ms`);
    assert.equal(up.requests.length, 1);
  });

  test('a deadline shorter than the backoff still leaves the fallback model its turn', async () => {
    const rig = await startRig({
      live: ['up', 'backup'],
      models: { m: model(['up'], { fallbacks: ['reserve'] }), reserve: model(['backup']) },
      resilience: { retries: { base_delay_ms: 3000, max_delay_ms: 8000 } },
      random: () => 0.9,
    });
    rig.mocks.up!.setScenario({ kind: 'error', status: 500, message: 'boom' });
    const { value: response, ms } = await timed(() => chat(rig.gw, 'm', { headers: { 'x-switchyard-timeout-ms': '1000' } }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-model'), 'reserve');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.ok(ms < 700, `no backoff slept, took ${ms.toFixed(0)} ms`);
    assert.equal(rig.mocks.up!.requests.length, 1);
    assert.equal(rig.mocks.backup!.requests.length, 1);
  });
});
