/**
 * Faults: every route down (DESIGN.md §4 degradation, issue 4 §8, §10). Without a configured answer the caller
 * gets a clean 503 `upstream_unavailable` that names the model, each attempt and the last error, in its own
 * dialect; with `degraded_response` it gets that answer (200, `x-switchyard-degraded: true`), stream or not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attemptsCounted, chat, errorOf, finishReasonsIn, model, readSSE, rigPerTest, sample, scrape } from './harness.js';

describe('faults: every route down', () => {
  const startRig = rigPerTest();

  const allDown = (extra: Parameters<typeof model>[1] = {}) =>
    startRig({
      live: [],
      refused: ['east', 'west'],
      models: { m: model(['east', 'west'], extra) },
      resilience: { retries: { base_delay_ms: 5 } },
      random: () => 0,
    });

  test('503 upstream_unavailable whose message names the model and every attempt', async () => {
    const rig = await allDown();
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(response.headers.get('x-switchyard-attempts'), '3');
    assert.equal(response.headers.get('x-switchyard-degraded'), null);
    const error = await errorOf(response);
    assert.equal(error.code, 'upstream_unavailable');
    assert.equal(error.type, 'upstream_error');
    const attempts = ['east', 'west', 'east'].map((provider) => `${provider}/gpt-4o-mini: upstream_unavailable`).join(', ');
    assert.ok(
      error.message.startsWith(`All deployments for \`m\` failed: 3 attempt(s) failed (${attempts}). Last error: `),
      error.message,
    );
    assert.match(error.message, /Last error: Could not reach upstream east \(ECONNREFUSED\)/);
    const metrics = await scrape(rig.gw);
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'east', outcome: 'upstream_unavailable' }), 2);
    assert.equal(sample(metrics, 'switchyard_upstream_attempts_total', { provider: 'west', outcome: 'upstream_unavailable' }), 1);
    assert.equal(sample(metrics, 'switchyard_errors_total', { code: 'upstream_unavailable' }), 1);
  });

  test('the same 503 in the Anthropic dialect on /v1/messages', async () => {
    const rig = await allDown();
    const response = await fetch(`${rig.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 16, messages: [{ role: 'user', content: 'Hello?' }] }),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'overloaded_error');
    assert.match(body.error.message, /All deployments for `m` failed: 3 attempt\(s\) failed/);
  });

  test('with degraded_response: 200, x-switchyard-degraded: true and the configured answer', async () => {
    const content = 'The assistant is unavailable right now; please try again in a minute.';
    const rig = await allDown({ degraded_response: { content } });
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-degraded'), 'true');
    assert.equal(response.headers.get('x-switchyard-attempts'), '3');
    const body = (await response.json()) as { model: string; choices: { message: { content: string }; finish_reason: string }[] };
    assert.equal(body.model, 'm');
    assert.equal(body.choices[0]!.message.content, content);
    assert.equal(body.choices[0]!.finish_reason, 'stop');
    assert.equal(await attemptsCounted(rig.gw, 'east', 'upstream_unavailable'), 2);
    assert.equal(sample(await scrape(rig.gw), 'switchyard_requests_total', { status: '200' }), 1);
  });

  test('with degraded_response, streaming: the configured answer as a complete stream', async () => {
    const content = 'Degraded mode: try again soon.';
    const rig = await allDown({ degraded_response: { content } });
    const response = await chat(rig.gw, 'm', { stream: true });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-degraded'), 'true');
    const events = await readSSE(response);
    assert.equal(events.at(-1)!.data, '[DONE]');
    assert.ok(events.every((event) => event.event === undefined));
    const text = events
      .slice(0, -1)
      .map((event) => (JSON.parse(event.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, content);
    assert.deepEqual(finishReasonsIn(events), ['stop']);
  });

  test("degraded_response is not used for the caller's own mistakes", async () => {
    const rig = await startRig({
      live: ['up'],
      models: { m: model(['up'], { degraded_response: { content: 'unused' } }) },
    });
    rig.mocks.up!.script({ kind: 'error', status: 400, message: "Invalid value for 'temperature'." });
    const response = await chat(rig.gw, 'm');
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-switchyard-degraded'), null);
    assert.equal((await errorOf(response)).code, 'invalid_request');
  });
});
