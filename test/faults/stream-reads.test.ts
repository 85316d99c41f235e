/**
 * Streams travel as one batch per upstream network read (ChunkStream, core/provider.ts). These tests pin what
 * that must never change: every event of a read reaches the client, in order, with usage captured; chunks that
 * came before an upstream error in the same read still reach the client ahead of the in-band error; and a read's
 * events go out before the next read arrives (nothing is held back for batching).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { startTestGateway, type RunningGateway } from '../helpers/server.js';
import { finishReasonsIn, readSSE, sample, scrape } from './harness.js';

const head = { id: 'chatcmpl-reads', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };
const event = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const delta = (content: string, finish: string | null = null) =>
  event({ ...head, choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
const usage = event({ ...head, choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } });

/** An OpenAI-style upstream whose stream body the test writes itself, one `write` per network read. */
async function scriptedUpstream(script: (res: ServerResponse) => Promise<void> | void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void script(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

async function gatewayFor(upstreamUrl: string): Promise<RunningGateway> {
  return startTestGateway({
    providers: { up: { type: 'openai', base_url: upstreamUrl, api_key: 'sk-upstream' } },
    models: { m: { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
  });
}

const streamRequest = (gw: RunningGateway, extra: Record<string, unknown> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hi' }], ...extra }),
  });

const contentOf = (events: { event?: string; data: string }[]) =>
  events
    .filter((e) => e.event === undefined && e.data !== '[DONE]')
    .map((e) => (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
    .join('');

describe('faults: stream batches follow upstream reads', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of cleanup.reverse()) await close();
  });

  test('every event of one upstream read reaches the client in order, usage captured', async () => {
    const upstream = await scriptedUpstream((res) => {
      // The whole stream, usage and [DONE] included, in a single write.
      res.end(delta('one ') + delta('two ') + delta('three ') + delta('four') + delta('', 'stop') + usage + 'data: [DONE]\n\n');
    });
    cleanup.push(() => new Promise((resolve) => upstream.server.close(() => resolve())));
    const gw = await gatewayFor(upstream.url);
    cleanup.push(() => gw.close());

    const response = await streamRequest(gw, { stream_options: { include_usage: true } });
    assert.equal(response.status, 200);
    const events = await readSSE(response);
    assert.equal(contentOf(events), 'one two three four', 'all deltas arrive, in order');
    assert.deepEqual(finishReasonsIn(events), ['stop']);
    const usageEvent = JSON.parse(events.at(-2)!.data) as { choices: unknown[]; usage: { total_tokens: number } };
    assert.deepEqual(usageEvent.choices, [], 'the usage-only chunk comes last before [DONE]');
    assert.equal(usageEvent.usage.total_tokens, 15);
    assert.equal(events.at(-1)!.data, '[DONE]');

    const metrics = await scrape(gw);
    assert.equal(sample(metrics, 'switchyard_tokens_total', { type: 'input', model: 'm' }), 11, 'input tokens were counted from the stream');
    assert.equal(sample(metrics, 'switchyard_tokens_total', { type: 'output', model: 'm' }), 4, 'output tokens were counted from the stream');
  });

  test('chunks before an upstream error in the same read reach the client before the in-band error', async () => {
    const upstream = await scriptedUpstream((res) => {
      res.write(delta('first '));
      // Once the first read committed the stream: more content, then the upstream's error, in one write.
      setTimeout(() => res.end(delta('second ') + delta('third') + event({ error: { message: 'engine crashed', type: 'server_error' } })), 20);
    });
    cleanup.push(() => new Promise((resolve) => upstream.server.close(() => resolve())));
    const gw = await gatewayFor(upstream.url);
    cleanup.push(() => gw.close());

    const events = await readSSE(await streamRequest(gw));
    assert.equal(contentOf(events), 'first second third', 'the read that carried the error still delivered its chunks');
    assert.equal(events.at(-1)!.event, 'error', 'the stream ends with an in-band error');
    assert.ok(!events.some((e) => e.data === '[DONE]'), 'a failed stream has no [DONE]');
    assert.deepEqual(finishReasonsIn(events), [], 'no finish reason is invented');
  });

  test("a read's events reach the client before the upstream sends more", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = await scriptedUpstream(async (res) => {
      // Two complete events and half of a third; the rest only once the client has seen the first two.
      const third = delta('gamma', 'stop');
      res.write(delta('alpha ') + delta('beta ') + third.slice(0, 20));
      await released;
      res.end(third.slice(20) + 'data: [DONE]\n\n');
    });
    cleanup.push(() => new Promise((resolve) => upstream.server.close(() => resolve())));
    const gw = await gatewayFor(upstream.url);
    cleanup.push(() => gw.close());

    const response = await streamRequest(gw);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('beta')) {
      const { done, value } = await reader.read();
      assert.ok(!done, 'the stream must not end before the held-back upstream data is sent');
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(text.includes('alpha') && !text.includes('gamma'), 'the first read arrived on its own');
    release();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(text.includes('gamma') && text.endsWith('data: [DONE]\n\n'), 'the split event was reassembled and the stream completed');
  });
});
