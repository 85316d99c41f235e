/**
 * The shared adapter contract for the `gemini` provider, then what only Google's wire format has: system
 * instruction and user/model turns, functionResponse naming, schema clean-up, safety blocks, candidates, thinking
 * tokens, logprobs, batch embeddings and Google's error envelope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultUpstreamHttpOptions, type UpstreamResponse } from '../../src/core/upstream-http.js';
import type { ProviderAdapter, UpstreamCall } from '../../src/core/provider.js';
import { GatewayError } from '../../src/core/errors.js';
import { createGeminiAdapter } from '../../src/providers/gemini/index.js';
import { readGeminiFailure } from '../../src/providers/gemini/errors.js';
import { chat, collect, finishReasons } from '../helpers/chat.js';
import { runAdapterContract } from './adapter-contract.js';
import { startGeminiMock, type GeminiMock } from '../mocks/gemini-mock.js';
import { MOCK_USAGE } from '../mocks/mock-upstream.js';

const API_KEY = 'test-gemini-key';
const MODEL = 'gemini-2.0-flash';

const adapterFor = (mock: GeminiMock, apiKey = API_KEY): ProviderAdapter =>
  createGeminiAdapter('gemini', { api_key: apiKey, base_url: mock.url }, defaultUpstreamHttpOptions);

runAdapterContract('gemini', async () => {
  const mock = await startGeminiMock({ apiKey: API_KEY });
  return { mock, adapter: adapterFor(mock), model: MODEL };
});

const call = (model = MODEL): UpstreamCall => ({ model, signal: new AbortController().signal, requestId: 'req-gemini-1' });

type Json = Record<string, unknown>;

describe('gemini adapter: Google wire format', () => {
  let mock: GeminiMock;
  let adapter: ProviderAdapter;
  const lastBody = () => mock.requests.at(-1)!.body as Json;

  before(async () => {
    mock = await startGeminiMock({ apiKey: API_KEY });
    adapter = adapterFor(mock);
  });
  after(async () => {
    await adapter.close?.();
    await mock.close();
  });

  test('system and developer messages become systemInstruction; same-role turns merge into user/model turns', async () => {
    mock.setScenario({ kind: 'text', text: 'ok' });
    await adapter.chat(
      chat({
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hi.' },
          { role: 'user', content: [{ type: 'text', text: 'Still there?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
          { role: 'assistant', content: 'Oui.' },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }] },
        ],
      }),
      call(),
    );
    const last = mock.requests.at(-1)!;
    assert.equal(last.path, `/v1beta/models/${MODEL}:generateContent`);
    assert.equal(last.headers['x-goog-api-key'], API_KEY);
    const body = lastBody();
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be terse.' }, { text: 'Answer in French.' }] });
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ text: 'Hi.' }, { text: 'Still there?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
      { role: 'model', parts: [{ text: 'Oui.' }] },
      { role: 'user', parts: [{ fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } }] },
    ]);
  });

  test('tool calls become functionCall parts and tool results functionResponse parts named after the call', async () => {
    mock.setScenario({ kind: 'text', text: 'Sunny in Paris, rain in Oslo.' });
    await adapter.chat(
      chat({
        messages: [
          { role: 'user', content: 'Weather in Paris and Oslo?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_forecast', arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_b', content: 'rain' },
          { role: 'tool', tool_call_id: 'call_a', content: '{"sky":"sunny"}' },
        ],
      }),
      call(),
    );
    assert.deepEqual(lastBody().contents, [
      { role: 'user', parts: [{ text: 'Weather in Paris and Oslo?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'get_forecast', args: { city: 'Oslo' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_forecast', response: { content: 'rain' } } },
          { functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } },
        ],
      },
    ]);
  });

  test('invalid tool call arguments and unknown tool_call ids are invalid requests naming the parameter', async () => {
    const badArgs = chat({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{oops' } }] },
      ],
    });
    await assert.rejects(adapter.chat(badArgs, call()), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'invalid_request');
      assert.equal(error.param, 'messages.1.tool_calls.0.function.arguments');
      return true;
    });
    const orphan = chat({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: '1' }] });
    await assert.rejects(adapter.chat(orphan, call()), (error: unknown) => error instanceof GatewayError && error.param === 'messages.1.tool_call_id');
  });

  test('tools lose JSON-Schema keywords Gemini rejects; tool_choice and sampling map to toolConfig and generationConfig', async () => {
    mock.setScenario({ kind: 'tool_call', name: 'lookup', arguments: { id: 7 } });
    const response = await adapter.chat(
      chat({
        tools: [
          {
            type: 'function',
            function: {
              name: 'lookup',
              parameters: {
                $schema: 'http://json-schema.org/draft-07/schema#',
                type: 'object',
                additionalProperties: false,
                properties: { id: { type: ['integer', 'null'] }, tag: { $ref: '#/$defs/tag' } },
                required: ['id'],
                $defs: { tag: { type: 'string', const: 'x' } },
              },
            },
          },
          { type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } },
        ],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 10,
        max_completion_tokens: 20,
        stop: 'END',
        seed: 3,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
      }),
      call(),
    );
    assert.equal(response.choices[0]!.finish_reason, 'tool_calls');
    assert.match(response.choices[0]!.message.tool_calls![0]!.id, /^call_0_/);
    const body = lastBody();
    assert.deepEqual(body.tools, [
      {
        functionDeclarations: [
          {
            name: 'lookup',
            parameters: {
              type: 'object',
              required: ['id'],
              properties: { id: { type: 'integer', nullable: true }, tag: { type: 'string', enum: ['x'] } },
            },
          },
          { name: 'ping' },
        ],
      },
    ]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } });
    assert.deepEqual(body.generationConfig, {
      temperature: 0.2,
      topP: 0.9,
      maxOutputTokens: 20,
      stopSequences: ['END'],
      seed: 3,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
    });
  });

  test('json_schema response format sends responseMimeType and a cleaned responseSchema', async () => {
    mock.setScenario({ kind: 'json', value: { ok: true } });
    const response = await adapter.chat(
      chat({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'r', schema: { type: 'object', additionalProperties: false, properties: { ok: { type: 'boolean' } } } },
        },
      }),
      call(),
    );
    assert.deepEqual(JSON.parse(response.choices[0]!.message.content!), { ok: true });
    assert.deepEqual((lastBody().generationConfig as Json).responseSchema, { type: 'object', properties: { ok: { type: 'boolean' } } });
    assert.equal((lastBody().generationConfig as Json).responseMimeType, 'application/json');
  });

  test('a SAFETY finish is content_filter, streamed or not', async () => {
    mock.setScenario({ kind: 'safety', text: 'Here is how to' });
    const response = await adapter.chat(chat(), call());
    assert.equal(response.choices[0]!.finish_reason, 'content_filter');
    const chunks = await collect(adapter.streamChat(chat({ stream: true }), call()));
    assert.deepEqual(finishReasons(chunks), ['content_filter']);
  });

  test('a blocked prompt is a content_filtered error, streamed or not', async () => {
    mock.setScenario({ kind: 'prompt_blocked', reason: 'PROHIBITED_CONTENT' });
    const check = (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'content_filtered');
      assert.match(error.message, /PROHIBITED_CONTENT/);
      return true;
    };
    await assert.rejects(adapter.chat(chat(), call()), check);
    await assert.rejects(adapter.streamChat(chat({ stream: true }), call())[Symbol.asyncIterator]().next(), check);
  });

  test('n=2 asks for two candidates and returns two choices in order, streamed or not', async () => {
    mock.setScenario({ kind: 'text', text: 'One answer.' });
    const response = await adapter.chat(chat({ n: 2 }), call());
    assert.equal((lastBody().generationConfig as Json).candidateCount, 2);
    assert.deepEqual(
      response.choices.map((choice) => [choice.index, choice.message.content]),
      [[0, 'One answer.'], [1, 'One answer. (sample 2)']],
    );
    const chunks = await collect(adapter.streamChat(chat({ n: 2, stream: true }), call()));
    const texts = ['', ''];
    for (const chunk of chunks) for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
    assert.deepEqual(texts, ['One answer.', 'One answer. (sample 2)']);
    assert.equal(chunks.filter((chunk) => chunk.choices.some((choice) => choice.finish_reason === 'stop')).length, 1);
  });

  test('thinking tokens count as completion and reasoning tokens; thought parts stay out of the answer', async () => {
    mock.setScenario({ kind: 'thinking', thought: 'Let me think.', text: 'Forty-two.', thoughtsTokens: 30 });
    const response = await adapter.chat(chat(), call());
    assert.equal(response.choices[0]!.message.content, 'Forty-two.');
    assert.equal(response.usage.prompt_tokens, MOCK_USAGE.input);
    assert.equal(response.usage.completion_tokens, MOCK_USAGE.output + 30);
    assert.equal(response.usage.total_tokens, MOCK_USAGE.input + MOCK_USAGE.output + 30);
    assert.equal(response.usage.completion_tokens_details?.reasoning_tokens, 30);
    const chunks = await collect(adapter.streamChat(chat({ stream: true }), call()));
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), 'Forty-two.');
    assert.equal(chunks.at(-1)!.usage?.completion_tokens_details?.reasoning_tokens, 30);
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
  });

  test('logprobs and top_logprobs map to responseLogprobs/logprobs and back to OpenAI logprobs', async () => {
    mock.setScenario({ kind: 'text', text: 'Hi there' });
    const response = await adapter.chat(chat({ logprobs: true, top_logprobs: 2 }), call());
    const config = lastBody().generationConfig as Json;
    assert.equal(config.responseLogprobs, true);
    assert.equal(config.logprobs, 2);
    const content = response.choices[0]!.logprobs!.content!;
    assert.deepEqual(content.map((token) => token.token), ['Hi ', 'there']);
    assert.equal(content[1]!.logprob, -0.25);
    assert.deepEqual(content[0]!.bytes, [...Buffer.from('Hi ')]);
    assert.deepEqual(content[1]!.top_logprobs.map((top) => top.token), ['there', 'there1']);
  });

  test('an error event in the stream after the first chunk fails the stream with its status', async () => {
    mock.setScenario({ kind: 'midstream_error', status: 503, message: 'The model is overloaded.' });
    await assert.rejects(collect(adapter.streamChat(chat({ stream: true }), call())), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_unavailable');
      assert.match(error.message, /overloaded/);
      return true;
    });
  });

  test('embeddings: batchEmbedContents, float and base64 (little-endian float32) agree', async () => {
    mock.setScenario({ kind: 'text', text: 'unused' });
    const request = { model: 'public-embed', input: ['first text', 'second'], dimensions: 4 };
    const floats = await adapter.embeddings!(request, call('text-embedding-004'));
    const last = mock.requests.at(-1)!;
    assert.equal(last.path, '/v1beta/models/text-embedding-004:batchEmbedContents');
    assert.deepEqual((last.body as Json).requests, [
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'first text' }] }, outputDimensionality: 4 },
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'second' }] }, outputDimensionality: 4 },
    ]);
    assert.equal(floats.data.length, 2);
    assert.equal(floats.usage.prompt_tokens, 3 + 2);
    const encoded = await adapter.embeddings!({ ...request, encoding_format: 'base64' }, call('text-embedding-004'));
    for (const [index, item] of encoded.data.entries()) {
      const bytes = Buffer.from(item.embedding as string, 'base64');
      const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      assert.deepEqual(decoded, floats.data[index]!.embedding);
    }
  });

  test('embeddings: more than 100 inputs are split into batches of 100 and reassembled in order', async () => {
    mock.setScenario({ kind: 'text', text: 'unused' });
    const before = mock.requests.length;
    const input = Array.from({ length: 150 }, (_, index) => `text number ${index}`);
    const all = await adapter.embeddings!({ model: 'e', input, dimensions: 2 }, call('text-embedding-004'));
    const sent = mock.requests.slice(before).map((request) => ((request.body as Json).requests as unknown[]).length);
    assert.deepEqual(sent.sort((a, b) => b - a), [100, 50]);
    assert.equal(all.data.length, 150);
    const single = await adapter.embeddings!({ model: 'e', input: input[120]!, dimensions: 2 }, call('text-embedding-004'));
    assert.deepEqual(all.data[120]!.embedding, single.data[0]!.embedding);
    assert.deepEqual(all.data.map((item) => item.index), input.map((_, index) => index));
  });

  test('embeddings: token-array input is an invalid request on input', async () => {
    await assert.rejects(
      adapter.embeddings!({ model: 'e', input: [1, 2, 3] }, call('text-embedding-004')),
      (error: unknown) => error instanceof GatewayError && error.code === 'invalid_request' && error.param === 'input',
    );
  });

  test("a key Google refuses (400 API_KEY_INVALID) is upstream_auth_failed, not the caller's fault", async () => {
    const wrong = adapterFor(mock, 'not-the-key');
    try {
      await assert.rejects(wrong.chat(chat(), call()), (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.equal(error.upstreamStatus, 400);
        assert.equal(error.retryable, false);
        return true;
      });
    } finally {
      await wrong.close?.();
    }
  });

  test('health check lists models with the key', async () => {
    await adapter.checkHealth!(AbortSignal.timeout(5000));
    assert.equal(mock.requests.at(-1)!.path, '/v1beta/models?pageSize=1');
  });
});

describe('gemini errors: RetryInfo', () => {
  const failed = (status: number, body: unknown, retryAfter: string | null = null): UpstreamResponse => ({
    status,
    headers: { get: (name) => (name === 'retry-after' ? retryAfter : null) },
    body: (async function* () {})(),
    text: async () => JSON.stringify(body),
    json: async () => body,
    discard: () => {},
  });
  const quota = {
    error: {
      code: 429,
      message: 'You exceeded your current quota.',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34.4s' }],
    },
  };

  test('a 429 without retry-after takes its delay from the RetryInfo detail', async () => {
    const error = await readGeminiFailure('gemini', failed(429, quota));
    assert.equal(error.code, 'upstream_rate_limited');
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterSeconds, 34.4);
  });

  test('a retry-after header wins over RetryInfo', async () => {
    const error = await readGeminiFailure('gemini', failed(429, quota, '3'));
    assert.equal(error.retryAfterSeconds, 3);
  });
});
