import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';

describe('gateway over the sim provider', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig());
  });
  after(() => gw.close());

  test('answers a chat completion through an alias with gateway headers', async () => {
    const response = await postJson(`${gw.url}/v1/chat/completions`, {
      model: 'fast',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 5,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-model'), 'sim-small');
    assert.equal(response.headers.get('x-switchyard-provider'), 'sim');
    assert.equal(response.headers.get('x-switchyard-attempts'), '1');
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const body = (await response.json()) as { object: string; choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    assert.equal(body.object, 'chat.completion');
    assert.ok(body.choices[0]!.message.content.length > 0);
    assert.ok(body.usage.completion_tokens <= 5);
  });

  test('streams SSE chunks ending in [DONE], with usage only when asked', async () => {
    const read = async (includeUsage: boolean) => {
      const response = await postJson(`${gw.url}/v1/chat/completions`, {
        model: 'sim-small',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      return response.text();
    };
    const plain = await read(false);
    assert.ok(plain.trimEnd().endsWith('data: [DONE]'));
    assert.ok(!plain.includes('"usage"'));
    const withUsage = await read(true);
    assert.match(withUsage, /"choices":\[\],"usage":\{"prompt_tokens":\d+/);
  });

  test('keeps the caller request id', async () => {
    const response = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'sim-small', messages: [{ role: 'user', content: 'x' }] },
      { 'x-request-id': 'req-abc.123' },
    );
    assert.equal(response.headers.get('x-request-id'), 'req-abc.123');
  });

  test('a made-up model name never becomes a metrics label', async () => {
    const response = await postJson(`${gw.url}/v1/chat/completions`, { model: 'made-up-7f3a9', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(response.status, 404);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.ok(!metrics.includes('made-up-7f3a9'), 'caller-chosen names would let anyone grow the series without bound');
    assert.match(metrics, /switchyard_requests_total\{endpoint="chat",model="none",provider="none",status="404"\} [1-9]/);
  });

  test('unknown model is a 404 in the OpenAI envelope', async () => {
    const response = await postJson(`${gw.url}/v1/chat/completions`, { model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string; param: string; type: string } };
    assert.deepEqual([body.error.code, body.error.param, body.error.type], ['model_not_found', 'model', 'invalid_request_error']);
  });
});
