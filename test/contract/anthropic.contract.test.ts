/**
 * The shared adapter contract for the `anthropic` provider, then what only Anthropic's Messages API has: the
 * top-level system prompt and cache_control, strict role alternation, tool_use/tool_result blocks, prompt-cache
 * usage, its stop reasons, 529 and in-stream errors, and parameters it cannot honour. The mock's own bodies are
 * checked against specs/anthropic-openapi.json so the mock cannot drift from the real API.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { defaultUpstreamHttpOptions } from '../../src/core/upstream-http.js';
import type { ProviderAdapter, UpstreamCall } from '../../src/core/provider.js';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import type { ChatChunk } from '../../src/core/openai-types.js';
import type { GatewayError } from '../../src/core/errors.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/index.js';
import { chat, collect, expectGatewayError, finishReasons } from '../helpers/chat.js';
import { loadOpenAPI } from '../helpers/openapi.js';
import { runAdapterContract } from './adapter-contract.js';
import { startAnthropicMock, type AnthropicMock } from '../mocks/anthropic-mock.js';
import { anthropicSpecPath } from '../mocks/anthropic-wire.js';

const API_KEY = 'sk-ant-test-contract';
const MODEL = 'claude-sonnet-4-5';

function anthropic(mock: AnthropicMock, overrides: { api_key?: string; default_max_tokens?: number } = {}): ProviderAdapter {
  return createAnthropicAdapter(
    'anthropic',
    { api_key: API_KEY, base_url: mock.url, anthropic_version: '2023-06-01', default_max_tokens: 1024, ...overrides },
    defaultUpstreamHttpOptions,
  );
}

runAdapterContract('anthropic', async () => {
  const mock = await startAnthropicMock({ apiKey: API_KEY });
  return { mock, adapter: anthropic(mock), model: MODEL };
});

const rejectsWith = (promise: Promise<unknown>, expected: Partial<Pick<GatewayError, 'code' | 'param' | 'retryable' | 'status'>>) =>
  expectGatewayError(promise, (error) => {
    for (const [key, value] of Object.entries(expected)) assert.equal(error[key as keyof typeof expected], value, key);
  });

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

// One mock and adapter shared by the Anthropic-only suites below (the contract suite starts its own).
let mock: AnthropicMock;
let adapter: ProviderAdapter;
const call = (): UpstreamCall => ({ model: MODEL, signal: new AbortController().signal, requestId: 'req-anthropic-1' });
const sent = () => mock.requests.at(-1)!.body as Record<string, unknown>;

before(async () => {
  mock = await startAnthropicMock({ apiKey: API_KEY });
  adapter = anthropic(mock);
});
after(async () => {
  await adapter.close?.();
  await mock.close();
});

describe('anthropic adapter: Messages API specifics', () => {
  beforeEach(() => mock.setScenario({ kind: 'text', text: 'ok' }));

  test('auth and version headers reach the upstream; POST /v1/messages', async () => {
    await adapter.chat(chat(), call());
    const request = mock.requests.at(-1)!;
    assert.equal(request.path, '/v1/messages');
    assert.equal(request.headers['x-api-key'], API_KEY);
    assert.equal(request.headers['anthropic-version'], '2023-06-01');
    assert.equal(request.headers.authorization, undefined);
  });

  test('system and developer messages become the top-level system, keeping cache_control blocks', async () => {
    await adapter.chat(
      chat({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Long stable policy.', cache_control: { type: 'ephemeral' } }] },
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      }),
      call(),
    );
    assert.deepEqual(sent().system, [
      { type: 'text', text: 'Long stable policy.', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Be brief.' },
    ]);
    assert.deepEqual(sent().messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
  });

  test('a system prompt without cache_control is sent as a plain string', async () => {
    await adapter.chat(chat({ messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }] }), call());
    assert.equal(sent().system, 'You are terse.');
  });

  test('consecutive same-role turns are merged so roles alternate', async () => {
    await adapter.chat(
      chat({
        messages: [
          { role: 'user', content: 'First.' },
          { role: 'user', content: [{ type: 'text', text: 'Second.' }] },
          { role: 'assistant', content: 'Reply one.' },
          { role: 'assistant', content: 'Reply two.' },
          { role: 'user', content: 'Third.' },
        ],
      }),
      call(),
    );
    assert.deepEqual(sent().messages, [
      { role: 'user', content: [{ type: 'text', text: 'First.' }, { type: 'text', text: 'Second.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reply one.' }, { type: 'text', text: 'Reply two.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Third.' }] },
    ]);
  });

  test('tools, tool_choice, parallel calls and tool results translate to native blocks', async () => {
    await adapter.chat(
      chat({
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        messages: [
          { role: 'user', content: 'Weather in Paris and Oslo?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
          { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'rain' }] },
        ],
      }),
      call(),
    );
    const body = sent();
    assert.deepEqual(body.tools, [
      { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Oslo?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_b', name: 'get_weather', input: { city: 'Oslo' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_a', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'call_b', content: [{ type: 'text', text: 'rain' }] },
        ],
      },
    ]);
  });

  test('tool_choice auto / required / none map to auto / any / none', async () => {
    const choices = [];
    for (const tool_choice of ['auto', 'required', 'none'] as const) {
      await adapter.chat(chat({ tools: [weatherTool], tool_choice }), call());
      choices.push(sent().tool_choice);
    }
    assert.deepEqual(choices, [{ type: 'auto' }, { type: 'any' }, { type: 'none' }]);
  });

  test('invalid tool-call arguments are refused before any upstream call, naming the parameter', async () => {
    const before = mock.requests.length;
    const messages: ChatRequest['messages'] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '{city:' } }] },
      { role: 'tool', tool_call_id: 'call_x', content: 'sunny' },
    ];
    await rejectsWith(adapter.chat(chat({ tools: [weatherTool], messages }), call()), {
      code: 'invalid_request',
      param: 'messages.1.tool_calls.0.function.arguments',
    });
    assert.equal(mock.requests.length, before);
  });

  test('images: data URLs become base64 sources, http(s) URLs become url sources', async () => {
    await adapter.chat(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these.' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
      call(),
    );
    const [turn] = sent().messages as { content: unknown[] }[];
    assert.deepEqual(turn!.content.slice(1), [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  test('sampling, limits, stop and user map to native fields', async () => {
    await adapter.chat(chat({ stop: 'END', temperature: 0.3, top_p: 0.9, max_tokens: 99, max_completion_tokens: 77, user: 'user-42' }), call());
    const body = sent();
    assert.deepEqual(
      { stop_sequences: body.stop_sequences, temperature: body.temperature, top_p: body.top_p, max_tokens: body.max_tokens, metadata: body.metadata },
      { stop_sequences: ['END'], temperature: 0.3, top_p: 0.9, max_tokens: 77, metadata: { user_id: 'user-42' } },
    );
    await adapter.chat(chat(), call());
    assert.equal(sent().max_tokens, 1024, 'default_max_tokens fills the required max_tokens');
  });

  test('json_schema response format asks for schema-conforming JSON in the system prompt', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'] };
    await adapter.chat(chat({ response_format: { type: 'json_schema', json_schema: { name: 'result', schema } } }), call());
    const system = String(sent().system);
    assert.match(system, /JSON/);
    assert.ok(system.includes(JSON.stringify(schema)), 'the schema itself is in the instruction');
  });

  test('parameters Anthropic cannot honour are refused with the parameter named', async () => {
    const before = mock.requests.length;
    await rejectsWith(adapter.chat(chat({ n: 2 }), call()), { code: 'invalid_request', param: 'n', status: 400 });
    await rejectsWith(adapter.chat(chat({ logprobs: true }), call()), { code: 'unsupported_parameter', param: 'logprobs' });
    await rejectsWith(adapter.chat(chat({ temperature: 1.5 }), call()), { code: 'invalid_request', param: 'temperature' });
    await rejectsWith(collect(adapter.streamChat(chat({ n: 3, stream: true }), call())), { code: 'invalid_request', param: 'n' });
    assert.equal(mock.requests.length, before, 'nothing reached the upstream');
  });

  test('prompt-cache tokens map into usage (non-stream and stream)', async () => {
    const usage = { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 9 };
    mock.setScenario({ kind: 'message', text: 'cached', stopReason: 'end_turn', usage });
    const expected = {
      prompt_tokens: 125,
      completion_tokens: 9,
      total_tokens: 134,
      prompt_tokens_details: { cached_tokens: 100 },
      cache_creation_input_tokens: 20,
    };
    assert.deepEqual((await adapter.chat(chat(), call())).usage, expected);
    const chunks = await collect(adapter.streamChat(chat({ stream: true }), call()));
    assert.deepEqual(chunks.at(-1)!.usage, expected);
    assert.deepEqual(chunks.at(-1)!.choices, []);
  });

  test('stop reasons: stop_sequence → stop, max_tokens → length, refusal → content_filter', async () => {
    const cases = [
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['refusal', 'content_filter'],
    ] as const;
    for (const [stopReason, finish] of cases) {
      mock.setScenario({ kind: 'message', text: 'partial', stopReason, stopSequence: stopReason === 'stop_sequence' ? 'END' : undefined });
      assert.equal((await adapter.chat(chat(), call())).choices[0]!.finish_reason, finish, stopReason);
      const chunks = await collect(adapter.streamChat(chat({ stream: true }), call()));
      assert.deepEqual(finishReasons(chunks), [finish], `${stopReason} (stream)`);
    }
  });

  test('stream order: role chunk first, then content, then the finish chunk, then usage only', async () => {
    mock.setScenario({ kind: 'text', text: 'One two three.' });
    const chunks = await collect(adapter.streamChat(chat({ stream: true }), call()));
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop');
    assert.equal(chunks.at(-1)!.choices.length, 0);
    assert.ok(chunks.every((chunk) => chunk.id === chunks[0]!.id && chunk.id.startsWith('chatcmpl-msg_')));
  });

  test('non-stream tool call keeps the tool_use id and any text before it', async () => {
    mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Rome' } });
    const { choices } = await adapter.chat(chat({ tools: [weatherTool] }), call());
    assert.equal(choices[0]!.message.content, 'Let me look that up.');
    assert.match(choices[0]!.message.tool_calls![0]!.id, /^toolu_/);
  });

  test('529 overloaded is a retryable upstream_unavailable; 403 is a credential problem', async () => {
    mock.setScenario({ kind: 'error', status: 529, message: 'Overloaded' });
    await rejectsWith(adapter.chat(chat(), call()), { code: 'upstream_unavailable', retryable: true });
    mock.setScenario({ kind: 'error', status: 403, message: 'not allowed' });
    await rejectsWith(adapter.chat(chat(), call()), { code: 'upstream_auth_failed', retryable: false });
  });

  test('an error event inside the stream is thrown as a classified GatewayError after the good chunks', async () => {
    mock.setScenario({ kind: 'stream_error', errorType: 'overloaded_error', message: 'Overloaded' });
    const seen: ChatChunk[] = [];
    await rejectsWith(
      (async () => {
        for await (const batch of adapter.streamChat(chat({ stream: true }), call())) seen.push(...batch);
      })(),
      { code: 'upstream_unavailable', retryable: true },
    );
    assert.ok(seen.length >= 2, 'the chunks before the error were delivered');
    assert.ok(seen.every((chunk) => chunk.choices.every((choice) => choice.finish_reason === null)));
  });

  test('a wrong key is upstream_auth_failed; checkHealth passes with the right one', async () => {
    await adapter.checkHealth!(new AbortController().signal);
    assert.equal(mock.requests.at(-1)!.path, '/v1/models?limit=1');
    const wrong = anthropic(mock, { api_key: 'sk-ant-wrong' });
    try {
      await rejectsWith(wrong.chat(chat(), call()), { code: 'upstream_auth_failed', status: 502 });
      await rejectsWith(wrong.checkHealth!(new AbortController().signal), { code: 'upstream_auth_failed' });
    } finally {
      await wrong.close?.();
    }
  });
});

describe('anthropic mock: faithful to specs/anthropic-openapi.json', () => {
  const spec = loadOpenAPI(anthropicSpecPath);

  test('non-stream Message bodies (text and tool_use) match Message', async () => {
    mock.setScenario({ kind: 'text', text: 'Hello.' });
    await adapter.chat(chat(), call());
    spec.assertValid('Message', mock.responses.at(-1)!.json, 'text message');
    mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Paris' } });
    await adapter.chat(chat({ tools: [weatherTool] }), call());
    spec.assertValid('Message', mock.responses.at(-1)!.json, 'tool_use message');
  });

  test('error bodies match ErrorResponse', async () => {
    for (const status of [400, 401, 429, 500, 529]) {
      mock.setScenario({ kind: 'error', status, message: `failure ${status}` });
      await assert.rejects(adapter.chat(chat(), call()));
      const response = mock.responses.at(-1)!;
      assert.equal(response.status, status);
      spec.assertValid('ErrorResponse', response.json, `error ${status}`);
    }
  });

  test('every stream frame matches MessageStreamEvent (or ErrorResponse for `error`) and names its type', async () => {
    const scenarios = [
      { kind: 'text', text: 'Streaming text.' },
      { kind: 'tool_call', name: 'get_weather', arguments: { city: 'Oslo' } },
      { kind: 'stream_error', errorType: 'overloaded_error', message: 'Overloaded' },
    ] as const;
    for (const scenario of scenarios) {
      mock.setScenario(scenario);
      await collect(adapter.streamChat(chat({ stream: true, tools: [weatherTool] }), call())).catch(() => []);
      const frames = mock.responses.at(-1)!.frames!;
      assert.ok(frames.length > 3);
      for (const frame of frames) {
        assert.equal((frame.data as { type: string }).type, frame.event);
        spec.assertValid(frame.event === 'error' ? 'ErrorResponse' : 'MessageStreamEvent', frame.data, `${scenario.kind} ${frame.event}`);
      }
    }
  });

  test('the mock refuses what the real API refuses: schema violations and unpaired tool results', async () => {
    mock.setScenario({ kind: 'text', text: 'ok' });
    const orphan: ChatRequest['messages'] = [
      { role: 'user', content: 'Hi' },
      { role: 'tool', tool_call_id: 'call_never_made', content: 'x' },
    ];
    await rejectsWith(adapter.chat(chat({ tools: [weatherTool], messages: orphan }), call()), { code: 'invalid_request' });
    assert.match(JSON.stringify(mock.responses.at(-1)!.json), /tool_use_id/);
    const response = await fetch(`${mock.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'system', content: 'nope' }], max_tokens: 5 }),
    });
    assert.equal(response.status, 400);
    spec.assertValid('ErrorResponse', await response.json());
  });
});
