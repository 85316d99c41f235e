/**
 * Library mode: both examples mount `createGateway()` inside a host server; the fetch handler is also driven
 * directly, the way a fetch-based host (Next.js, Deno, Bun) would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as honoExample from '../../examples/mount-in-hono.js';
import * as nodeExample from '../../examples/mount-in-node.js';
import { ConfigError, createGateway, defineConfig, type MountedGateway } from '../../src/index.js';

type Example = typeof honoExample;
type RunningExample = honoExample.RunningExample;

/** A sim model slow enough (at least 8 tokens, 1 s apart) that a stream is still running when the test aborts. */
const slowConfig = defineConfig({
  providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 1000 } },
  models: { 'sim-small': { deployments: [{ provider: 'sim', model: 'sim-small' }] } },
});

const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hello' }], max_tokens: 5, ...extra });

const post = (url: string, body: string, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });

/** Polls the gateway's /metrics until no request is in flight; returns how long that took. */
async function waitUntilIdle(metrics: () => Promise<Response>, timeoutMs = 2000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const text = await (await metrics()).text();
    if (/^switchyard_in_flight_requests 0$/m.test(text)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) assert.fail(`still in flight after ${timeoutMs} ms:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

for (const [name, example] of [
  ['Hono (fetch handler)', honoExample],
  ['node:http (node handler)', nodeExample],
] as [string, Example][]) {
  describe(`example: mounted in ${name}`, () => {
    let running: RunningExample;
    let base: string;
    before(async () => {
      running = await example.start({ port: 0 });
      base = `${running.url}${running.mountPath}`;
    });
    after(() => running.close(1000));

    test('answers a chat completion under the mount path', async () => {
      const response = await post(`${base}/v1/chat/completions`, chatBody());
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-switchyard-model'), 'sim-small');
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const body = (await response.json()) as { object: string; choices: { message: { content: string } }[] };
      assert.equal(body.object, 'chat.completion');
      assert.ok(body.choices[0]!.message.content.length > 0);
    });

    test('streams SSE to [DONE]', async () => {
      const response = await post(`${base}/v1/chat/completions`, chatBody({ stream: true }));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const text = await response.text();
      assert.match(text, /^data: \{"id":"chatcmpl-/);
      assert.match(text, /"finish_reason":"length"/);
      assert.ok(text.endsWith('data: [DONE]\n\n'));
    });

    test("the app's own route still works, and gateway errors keep the OpenAI envelope", async () => {
      const hello = await fetch(`${running.url}/hello`);
      assert.equal(hello.status, 200);
      assert.deepEqual(await hello.json(), { message: 'hello from the app' });
      const missing = await fetch(`${base}/v1/nowhere`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
      const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(models.data.map((model) => model.id).sort(), ['fast', 'sim-small']);
    });

    test('a client that aborts mid-stream ends the stream and releases the request', async () => {
      const slow = await example.start({ port: 0, config: slowConfig });
      try {
        const controller = new AbortController();
        const response = await post(
          `${slow.url}${slow.mountPath}/v1/chat/completions`,
          JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: 'long' }], stream: true }),
          controller.signal,
        );
        const reader = response.body!.getReader();
        assert.ok((await reader.read()).value);
        controller.abort();
        await assert.rejects(reader.read());
        const idleAfter = await waitUntilIdle(() => fetch(`${slow.url}${slow.mountPath}/metrics`));
        assert.ok(idleAfter < 1500, `released after ${idleAfter} ms`);
        assert.match(
          await (await fetch(`${slow.url}${slow.mountPath}/metrics`)).text(),
          /^switchyard_requests_total\{endpoint="chat",model="sim-small",provider="sim",status="200"\} 1$/m,
        );
      } finally {
        const started = performance.now();
        await slow.close(10_000);
        // Nothing left to drain: closing does not wait for the grace period.
        assert.ok(performance.now() - started < 1000);
      }
    });
  });
}

describe('the fetch handler driven directly', () => {
  let gw: MountedGateway;
  const origin = 'http://switchyard.local';
  const metrics = () => gw.fetch(new Request(`${origin}/metrics`));
  before(() => {
    gw = createGateway(slowConfig);
  });
  after(() => gw.close(100));

  const streamRequest = (signal?: AbortSignal) =>
    new Request(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content: 'long' }], stream: true }),
      signal,
    });

  test('an aborted request signal ends the stream and releases it, even if the host never reads the body', async () => {
    const controller = new AbortController();
    const response = await gw.fetch(streamRequest(controller.signal));
    assert.equal(response.status, 200);
    controller.abort();
    assert.ok((await waitUntilIdle(metrics)) < 500);
    assert.ok(!(await readToEnd(response.body!.getReader())).includes('[DONE]'));
  });

  test('cancelling the response body releases the request', async () => {
    const response = await gw.fetch(streamRequest());
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    assert.ok((await waitUntilIdle(metrics)) < 500);
  });

  test('a streamed request body over the limit is a 413, and every response has a request id', async () => {
    const small = createGateway({ ...slowConfig, server: { max_body_bytes: 1024 } });
    try {
      const chunks = new ReadableStream<Uint8Array>({
        pull(sink) {
          sink.enqueue(new Uint8Array(512).fill(32));
        },
      });
      const init = { method: 'POST', body: chunks, duplex: 'half' } as RequestInit;
      const response = await small.fetch(new Request(`${origin}/v1/chat/completions`, init));
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'request_too_large');
      assert.ok(response.headers.get('x-request-id'));
      const health = await small.fetch(new Request(`${origin}/healthz`, { headers: { 'x-request-id': 'probe-7' } }));
      assert.equal(health.headers.get('x-request-id'), 'probe-7');
    } finally {
      await small.close(100);
    }
  });

  test('createGateway and reload validate the config; a rejected reload keeps the running one', async () => {
    assert.throws(
      () => createGateway({ providers: {}, models: { m: { deployments: [{ provider: 'none', model: 'm' }] } } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.source === 'createGateway() config' &&
        error.problems[0] === 'models.m.deployments.0.provider: unknown provider "none" (defined: none)',
    );
    const broken = { ...slowConfig, aliases: { a: { targets: [{ model: 'ghost' }] } } };
    await assert.rejects(gw.reload(broken), /aliases\.a\.targets\.0\.model: unknown model "ghost"/);
    const models = async () =>
      ((await (await gw.fetch(new Request(`${origin}/v1/models`))).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    assert.deepEqual(await models(), ['sim-small']);
    await gw.reload({ ...slowConfig, aliases: { quick: { targets: [{ model: 'sim-small' }] } } });
    assert.deepEqual(await models(), ['sim-small', 'quick']);
  });

  test('while closing, API requests get 503 shutting_down; readiness fails and liveness still answers', async () => {
    const draining = createGateway(slowConfig);
    const response = await draining.fetch(streamRequest());
    const reader = response.body!.getReader();
    await reader.read();
    const closing = draining.close(200);
    const refused = await draining.fetch(streamRequest());
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'shutting_down');
    const ready = await draining.fetch(new Request(`${origin}/readyz`));
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'not_ready', reason: 'shutting down' });
    assert.equal((await draining.fetch(new Request(`${origin}/healthz`))).status, 200);
    await closing;
    // The stream that outlived the grace period was ended, not left hanging.
    assert.ok(!(await readToEnd(reader)).includes('[DONE]'));
  });
});
