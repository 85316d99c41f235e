/**
 * Faults around the stream commit point (DESIGN.md §4, issue 4 §10): before the first byte to the client any
 * failure may be retried or fall back; after it, a failure is reported in-band (`event: error`, no `[DONE]`, no
 * invented finish reason, Anthropic's own `error` event on /v1/messages) and never retried; a client that goes
 * away aborts the upstream call at once and causes no further attempts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  attemptsCounted,
  chat,
  deploymentId,
  finishReasonsIn,
  model,
  readSSE,
  rigPerTest,
  sample,
  scrape,
  waitFor,
  type FaultRig,
} from './harness.js';

const clientClosedCount = async (rig: FaultRig) => sample(await scrape(rig.gw), 'switchyard_errors_total', { code: 'client_closed' });

describe('faults: streams and the commit point', () => {
  const startRig = rigPerTest();

  /** Two deployments, `first` tried first; `second` proves whether anything was retried. */
  const twoDeployments = () => startRig({ live: ['first', 'second'], models: { m: model(['first', 'second']) }, random: () => 0 });

  test('a failure before the first byte is retried: the client sees one clean stream', async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'error', status: 503, message: 'Service unavailable.' });
    const response = await chat(rig.gw, 'm', { stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    assert.equal(response.headers.get('x-switchyard-provider'), 'second');
    const events = await readSSE(response);
    assert.equal(events.at(-1)!.data, '[DONE]');
    assert.deepEqual(finishReasonsIn(events), ['stop']);
    assert.ok(events.every((event) => event.event === undefined));
    assert.equal(await attemptsCounted(rig.gw, 'first', 'upstream_unavailable'), 1);
  });

  test('a cut after the first byte: in-band error event, no [DONE], no finish_reason, no retry', async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'truncated_stream' });
    const response = await chat(rig.gw, 'm', { stream: true });
    assert.equal(response.status, 200);
    const events = await readSSE(response);
    const dataEvents = events.filter((event) => event.event === undefined);
    assert.ok(dataEvents.length >= 1, 'the chunks before the cut reached the client');
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    const error = (JSON.parse(last.data) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'upstream_bad_response');
    assert.match(error.message, /closed/);
    assert.ok(!events.some((event) => event.data === '[DONE]'));
    assert.deepEqual(finishReasonsIn(events), []);
    assert.equal(rig.mocks.first!.requests.length, 1);
    assert.equal(rig.mocks.second!.requests.length, 0);

    const metrics = await scrape(rig.gw);
    assert.equal(sample(metrics, 'switchyard_errors_total', { endpoint: 'chat', code: 'upstream_bad_response' }), 1);
    // The attempt reached the commit point; the stream's failure still counts against the deployment.
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'first' }), 1);
    assert.equal(rig.gw.gateway.resilience.breakers.snapshot()[deploymentId('first')]!.consecutiveFailures, 1);
  });

  test('a cut after the first byte on /v1/messages: Anthropic error event, no message_stop, no retry', async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'truncated_stream' });
    const response = await fetch(`${rig.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Hello?' }] }),
    });
    assert.equal(response.status, 200);
    const events = await readSSE(response);
    const names = events.map((event) => event.event);
    assert.equal(names[0], 'message_start');
    assert.ok(names.includes('content_block_delta'));
    assert.equal(names.at(-1), 'error');
    assert.ok(!names.includes('message_stop'));
    assert.ok(!names.includes('message_delta'), 'no stop_reason was invented');
    const error = JSON.parse(events.at(-1)!.data) as { type: string; error: { type: string; message: string } };
    assert.equal(error.type, 'error');
    assert.equal(error.error.type, 'api_error');
    assert.equal(rig.mocks.first!.requests.length, 1);
    assert.equal(rig.mocks.second!.requests.length, 0);
    assert.equal(sample(await scrape(rig.gw), 'switchyard_errors_total', { endpoint: 'messages', code: 'upstream_bad_response' }), 1);
  });

  test('malformed SSE after the first byte: in-band error naming it, no [DONE], no retry', async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'malformed_stream' });
    const response = await chat(rig.gw, 'm', { stream: true });
    assert.equal(response.status, 200);
    const events = await readSSE(response);
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    const error = (JSON.parse(last.data) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'upstream_bad_response');
    assert.match(error.message, /malformed stream event/);
    assert.ok(!events.some((event) => event.data === '[DONE]'));
    assert.deepEqual(finishReasonsIn(events), []);
    assert.equal(rig.mocks.second!.requests.length, 0);
  });

  test("an upstream's own in-band error after the first byte is passed on in-band, not retried", async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'midstream_error', message: 'The engine ran out of KV cache.' });
    const response = await chat(rig.gw, 'm', { stream: true });
    const events = await readSSE(response);
    const last = events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.match(last.data, /ran out of KV cache/);
    assert.ok(!events.some((event) => event.data === '[DONE]'));
    assert.equal(rig.mocks.second!.requests.length, 0);
  });

  test('a malformed non-stream body is caught before the commit point and retried elsewhere', async () => {
    const rig = await twoDeployments();
    rig.mocks.first!.script({ kind: 'malformed_stream' });
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-provider'), 'second');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    await response.arrayBuffer();
    assert.equal(await attemptsCounted(rig.gw, 'first', 'upstream_bad_response'), 1);
    assert.equal(await attemptsCounted(rig.gw, 'second', 'ok'), 1);
  });

  test('a client that leaves mid-stream aborts the upstream call at once; nothing is retried', async () => {
    const rig = await twoDeployments();
    const first = rig.mocks.first!;
    first.script({ kind: 'hang_stream' });
    const controller = new AbortController();
    const response = await chat(rig.gw, 'm', { stream: true, signal: controller.signal });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /^data: /);
    controller.abort();
    await waitFor('the upstream call to be aborted', () => first.aborted === 1, 1000);
    await waitFor('the request to be recorded', async () => (await clientClosedCount(rig)) === 1);
    assert.equal(first.requests.length, 1);
    assert.equal(rig.mocks.second!.requests.length, 0);
    // Leaving says nothing about the deployment.
    assert.equal(rig.gw.gateway.resilience.breakers.snapshot()[deploymentId('first')]!.consecutiveFailures, 0);
  });

  test('a client that leaves before the first byte aborts the upstream call; no other deployment is tried', async () => {
    const rig = await twoDeployments();
    const first = rig.mocks.first!;
    first.script({ kind: 'black_hole' });
    const controller = new AbortController();
    const pending = chat(rig.gw, 'm', { stream: true, signal: controller.signal });
    await waitFor('the upstream to receive the request', () => first.requests.length === 1);
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await waitFor('the upstream call to be aborted', () => first.aborted === 1, 1000);
    await waitFor('the request to be recorded', async () => (await clientClosedCount(rig)) === 1);
    assert.equal(rig.mocks.second!.requests.length, 0);
    assert.equal(rig.gw.gateway.resilience.breakers.snapshot()[deploymentId('first')]!.consecutiveFailures, 0);
  });
});
