/**
 * The official `openai` SDK (v6), unchanged, against a running gateway: every OpenAI endpoint the gateway
 * serves, typed errors, fallbacks, in-band stream failures and client disconnects (DESIGN.md §2, §4).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};
const hello = [{ role: 'user' as const, content: 'Say hello to the gateway.' }];

describe('openai SDK against the gateway', () => {
  let mock: OpenAIMock;
  let gw: RunningGateway;
  let client: OpenAI;

  before(async () => {
    mock = await startOpenAIMock();
    const sim = simConfig();
    // Tests here share one upstream and script it to fail: a breaker opened by one test would change the next
    // one's route (breakers have their own fault tests), and a fixed random source makes the balancer try
    // deployments in config order.
    gw = await startTestGateway({
      ...sim,
      resilience: { circuit_breaker: { enabled: false } },
      providers: { ...sim.providers, upstream: { type: 'openai', api_key: 'sk-upstream', base_url: mock.url } },
      models: {
        ...sim.models,
        bigger: { deployments: [{ provider: 'sim', model: 'sim-big' }] },
        // Its own upstream model name: a separate deployment, so no earlier test's 429 cooldown applies to it.
        flaky: { deployments: [{ provider: 'upstream', model: 'gpt-4o-flaky' }, { provider: 'sim', model: 'sim-small' }] },
        small: { deployments: [{ provider: 'upstream', model: 'gpt-4o-mini' }], fallbacks: ['bigger'] },
        direct: { deployments: [{ provider: 'upstream', model: 'gpt-4o-mini' }] },
      },
    }, { resilience: { random: () => 0 } });
    client = new OpenAI({ apiKey: 'sk-anything', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await mock.close();
  });

  test('chat: non-stream answer with usage and gateway headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'fast', messages: hello, max_tokens: 8 }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.ok((data.choices[0]!.message.content ?? '').length > 0);
    assert.ok(data.usage!.completion_tokens <= 8);
    assert.equal(response.headers.get('x-switchyard-model'), 'sim-small');
    assert.equal(response.headers.get('x-switchyard-attempts'), '1');
  });

  test('chat: stream chunks, with usage only when include_usage is set', async () => {
    let text = '';
    let usageSeen = false;
    for await (const chunk of await client.chat.completions.create({ model: 'sim-small', messages: hello, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageSeen = true;
    }
    assert.ok(text.length > 0);
    assert.equal(usageSeen, false);

    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const stream = await client.chat.completions.create({ model: 'sim-small', messages: hello, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage!.total_tokens > 0);
    assert.equal(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).length, 1);
  });

  test('tools: a named tool_choice or "required" makes the model call the tool, streamed too', async () => {
    const named = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const call = named.choices[0]!.message.tool_calls![0]!;
    assert.equal(call.type, 'function');
    assert.equal(call.type === 'function' && call.function.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.type === 'function' ? call.function.arguments : '').city, 'string');
    assert.equal(named.choices[0]!.finish_reason, 'tool_calls');

    const streamed = await client.chat.completions.stream({ model: 'sim-small', messages: hello, tools: [weatherTool], tool_choice: 'required' }).finalChatCompletion();
    const streamedCall = streamed.choices[0]!.message.tool_calls![0]!;
    assert.equal(streamedCall.type === 'function' && streamedCall.function.name, 'get_weather');
  });

  test('response_format: json_object and json_schema answers parse', async () => {
    const object = await client.chat.completions.create({ model: 'sim-small', messages: hello, response_format: { type: 'json_object' } });
    assert.equal(typeof JSON.parse(object.choices[0]!.message.content!), 'object');

    const Weather = z.object({ city: z.string(), celsius: z.number(), sunny: z.boolean() });
    const parsed = await client.chat.completions.parse({ model: 'sim-small', messages: hello, response_format: zodResponseFormat(Weather, 'weather') });
    const value = parsed.choices[0]!.message.parsed!;
    assert.equal(typeof value.city, 'string');
    assert.equal(typeof value.celsius, 'number');
    assert.equal(typeof value.sunny, 'boolean');
  });

  test('logprobs with top_logprobs, and n=2 choices', async () => {
    const withLogprobs = await client.chat.completions.create({ model: 'sim-small', messages: hello, logprobs: true, top_logprobs: 2, max_tokens: 4 });
    const content = withLogprobs.choices[0]!.logprobs!.content!;
    assert.ok(content.length > 0);
    assert.equal(content[0]!.top_logprobs.length, 2);
    assert.ok(content.every((token) => token.logprob <= 0));

    const two = await client.chat.completions.create({ model: 'sim-small', messages: hello, n: 2, max_tokens: 6 });
    assert.deepEqual(two.choices.map((choice) => choice.index), [0, 1]);
  });

  test('embeddings: float, base64 decoded by the SDK by default, and raw base64', async () => {
    const input = ['route me', 'to the model'];
    const float = await client.embeddings.create({ model: 'sim-embed', input, encoding_format: 'float' });
    const byDefault = await client.embeddings.create({ model: 'sim-embed', input });
    const raw = await client.embeddings.create({ model: 'sim-embed', input: input[0]!, encoding_format: 'base64' });
    assert.equal(float.data.length, 2);
    const floats = float.data[0]!.embedding;
    const decoded = byDefault.data[0]!.embedding;
    assert.ok(Array.isArray(decoded), 'the SDK asked for base64 and decoded it to numbers');
    assert.equal(decoded.length, floats.length);
    decoded.forEach((value, i) => assert.ok(Math.abs(value - floats[i]!) < 1e-6));
    const rawString = raw.data[0]!.embedding as unknown;
    assert.equal(typeof rawString, 'string');
    assert.equal(Buffer.from(rawString as string, 'base64').length, floats.length * 4);
  });

  test('models: list and retrieve', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('sim-small') && ids.includes('fast'));
    const model = await client.models.retrieve('sim-small');
    assert.equal(model.id, 'sim-small');
    assert.equal(model.object, 'model');
  });

  test('errors: unknown model is NotFoundError, invalid body is BadRequestError with param', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: hello }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: 'sim-small', messages: hello, temperature: 9 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.param, 'temperature');
      return true;
    });
  });

  test('errors: an upstream 429 is a RateLimitError with retry-after passed through', async () => {
    mock.setScenario({ kind: 'error', status: 429, message: 'Rate limit reached for requests', retryAfterSeconds: 7 });
    await assert.rejects(client.chat.completions.create({ model: 'direct', messages: hello }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '7');
      assert.match(error.message, /Rate limit reached/);
      return true;
    });
  });

  test('errors: a stream cut after its first chunk throws APIError in-band, without [DONE]', async () => {
    mock.setScenario({ kind: 'truncated_stream' });
    const received: OpenAI.ChatCompletionChunk[] = [];
    const stream = await client.chat.completions.create({ model: 'direct', messages: hello, stream: true });
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.match(error.message, /closed|before it completed/);
        return true;
      },
    );
    assert.ok(received.length >= 1, 'the first chunk was delivered before the failure');
    assert.equal(received.some((chunk) => chunk.choices.some((choice) => choice.finish_reason)), false, 'no made-up finish');

    const raw = await (await postJson(`${gw.url}/v1/chat/completions`, { model: 'direct', messages: hello, stream: true })).text();
    assert.match(raw, /event: error\ndata: \{"error":\{"message":"[^"]+","type":"upstream_error","param":null,"code":"upstream_bad_response"\}\}\n\n$/);
    assert.equal(raw.includes('[DONE]'), false);
  });

  test('fallback: the first deployment answers 503, the second serves it (2 attempts)', async () => {
    mock.setScenario({ kind: 'error', status: 503, message: 'The engine is currently overloaded' });
    const before = mock.requests.length;
    const { data, response } = await client.chat.completions.create({ model: 'flaky', messages: hello }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    assert.equal(response.headers.get('x-switchyard-provider'), 'sim');
    assert.equal(mock.requests.length, before + 1, 'the mock was tried first');
    assert.ok(data.choices[0]!.message.content);
  });

  test('fallback: context_length_exceeded moves to the larger fallback model', async () => {
    mock.setScenario({ kind: 'error', status: 400, message: 'too long', contextLength: true });
    const { data, response } = await client.chat.completions.create({ model: 'small', messages: hello }).withResponse();
    assert.equal(response.headers.get('x-switchyard-model'), 'bigger');
    assert.equal(response.headers.get('x-switchyard-attempts'), '2');
    assert.equal(data.model, 'sim-big');
  });

  test('client disconnect: aborting the SDK stream aborts the upstream request within a second', async () => {
    mock.setScenario({ kind: 'hang_stream' });
    const abortedBefore = mock.aborted;
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'direct', messages: hello, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    controller.abort();
    const deadline = Date.now() + 1000;
    while (mock.aborted === abortedBefore && Date.now() < deadline) await sleep(10);
    assert.equal(mock.aborted, abortedBefore + 1, 'the mock saw its connection closed');
  });
});

describe('openai SDK against a gateway with a master key', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig({ auth: { master_key: 'sk-master-key-123' } }));
  });
  after(() => gw.close());

  test('a wrong key is an AuthenticationError; the right one works', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.code, 'invalid_api_key');
      return true;
    });
    const right = new OpenAI({ apiKey: 'sk-master-key-123', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const answer = await right.chat.completions.create({ model: 'sim-small', messages: hello, max_tokens: 3 });
    assert.ok(answer.choices.length === 1);
  });
});
