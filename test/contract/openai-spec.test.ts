/**
 * Wire bodies checked against OpenAI's published spec (specs/openai-openapi.yaml): (a) what the OpenAI mock
 * upstream sends, so the mock is as strict as the real API, and (b) what Switchyard itself answers on the
 * OpenAI endpoints when serving the `sim` provider.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadOpenAPI, specPath, type OpenAPISchemas } from '../helpers/openapi.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';

// Parsed lazily: the YAML is 3 MB and takes a couple of seconds.
let loaded: OpenAPISchemas | undefined;
const spec = (): OpenAPISchemas => (loaded ??= loadOpenAPI(specPath('openai-openapi.yaml')));

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

/** The `data:` payloads of an OpenAI SSE body, in order, without `[DONE]`; `event: error` frames included. */
function sseData(text: string): { event?: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
      return { event, data };
    })
    .filter(({ data }) => data !== '[DONE]')
    .map(({ event, data }) => ({ event, data: JSON.parse(data) as unknown }));
}

/** The spec types `embedding` as a float array only; a base64 answer must decode to exactly such an array. */
function decodeBase64Embeddings(body: { data: { embedding: unknown }[] }): unknown {
  return {
    ...body,
    data: body.data.map((item) => {
      assert.equal(typeof item.embedding, 'string', 'base64 embeddings arrive as strings');
      const bytes = Buffer.from(item.embedding as string, 'base64');
      assert.equal(bytes.length % 4, 0, 'whole float32 values');
      return { ...item, embedding: [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)] };
    }),
  };
}

describe('OpenAPI → JSON Schema validation', () => {
  const valid = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };

  test('accepts a spec-conformant body', () => {
    assert.deepEqual(spec().errors('CreateChatCompletionResponse', valid), []);
  });

  test('rejects engine finish reasons, millisecond timestamps, missing fields and non-nullable nulls', () => {
    const choice = valid.choices[0]!;
    const broken = [
      { ...valid, choices: [{ ...choice, finish_reason: 'eos_token' }] },
      { ...valid, created: Date.now() },
      { ...valid, choices: [{ ...choice, message: { role: 'assistant', content: 'hi' } }] },
      { ...valid, usage: { prompt_tokens: 1 } },
      { ...valid, system_fingerprint: null },
    ];
    for (const body of broken) assert.notDeepEqual(spec().errors('CreateChatCompletionResponse', body), [], JSON.stringify(body));
  });

  test('nullable fields (OpenAPI 3.0 style) accept null', () => {
    const chunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', usage: null, choices: [{ index: 0, delta: {}, finish_reason: null, logprobs: null }] };
    assert.deepEqual(spec().errors('CreateChatCompletionStreamResponse', chunk), []);
  });
});

describe('OpenAI mock upstream matches the OpenAI spec', () => {
  let mock: OpenAIMock;
  const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
  const post = (path: string, body: unknown) => postJson(`${mock.url}${path}`, body);
  const lastJson = () => mock.responses.at(-1)!.json;

  before(async () => {
    mock = await startOpenAIMock();
  });
  after(() => mock.close());

  test('chat completions: text with n=2 and logprobs, tool calls, JSON mode', async () => {
    mock.setScenario({ kind: 'text', text: 'Hello there.' });
    await post('/chat/completions', { ...chatBody, n: 2, logprobs: true, top_logprobs: 1 });
    spec().assertValid('CreateChatCompletionResponse', lastJson());
    mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Rome' } });
    await post('/chat/completions', { ...chatBody, tools: [weatherTool] });
    spec().assertValid('CreateChatCompletionResponse', lastJson());
    mock.setScenario({ kind: 'json', value: { ok: true } });
    await post('/chat/completions', { ...chatBody, response_format: { type: 'json_object' } });
    spec().assertValid('CreateChatCompletionResponse', lastJson());
  });

  test('chat stream chunks, with and without include_usage, text and tool calls', async () => {
    const streams: [unknown, unknown][] = [
      [{ kind: 'text', text: 'One two three.' }, { stream: true, stream_options: { include_usage: true }, logprobs: true }],
      [{ kind: 'text', text: 'Four five.' }, { stream: true, n: 2 }],
      [{ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Oslo' } }, { stream: true, tools: [weatherTool] }],
    ];
    for (const [scenario, extra] of streams) {
      mock.setScenario(scenario as never);
      await (await post('/chat/completions', { ...chatBody, ...(extra as object) })).text();
      const events = mock.responses.at(-1)!.events!;
      assert.ok(events.length > 2);
      events.forEach((event, i) => spec().assertValid('CreateChatCompletionStreamResponse', event, `chunk ${i}`));
    }
  });

  test('completions, embeddings (float and base64) and models', async () => {
    mock.setScenario({ kind: 'text', text: 'Once upon a time.' });
    await post('/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Tell me' });
    spec().assertValid('CreateCompletionResponse', lastJson());
    await post('/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] });
    spec().assertValid('CreateEmbeddingResponse', lastJson());
    await post('/embeddings', { model: 'text-embedding-3-small', input: 'a', encoding_format: 'base64' });
    spec().assertValid('CreateEmbeddingResponse', decodeBase64Embeddings(lastJson() as never));
    await fetch(`${mock.url}/models`);
    spec().assertValid('ListModelsResponse', lastJson());
    await fetch(`${mock.url}/models/gpt-4o-mini`);
    spec().assertValid('Model', lastJson());
  });

  test('error envelopes: invalid request, rate limit with retry-after, context length, missing tool', async () => {
    mock.setScenario({ kind: 'error', status: 429, message: 'Rate limit reached', retryAfterSeconds: 3 });
    const limited = await post('/chat/completions', chatBody);
    assert.equal(limited.headers.get('retry-after'), '3');
    spec().assertValid('ErrorResponse', await limited.json());
    mock.setScenario({ kind: 'error', status: 400, message: 'ignored', contextLength: true });
    const long = (await (await post('/chat/completions', chatBody)).json()) as { error: { code: string } };
    spec().assertValid('ErrorResponse', long);
    assert.equal(long.error.code, 'context_length_exceeded');
    mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: {} });
    const noTool = await post('/chat/completions', chatBody);
    assert.equal(noTool.status, 400);
    spec().assertValid('ErrorResponse', await noTool.json());
    await fetch(`${mock.url}/models/nope`);
    spec().assertValid('ErrorResponse', lastJson());
  });
});

describe("Switchyard's OpenAI endpoints match the OpenAI spec (sim provider)", () => {
  let gw: RunningGateway;
  const post = (path: string, body: unknown) => postJson(`${gw.url}/v1${path}`, body);
  const chatBody = { model: 'sim-small', messages: [{ role: 'user', content: 'Describe the gateway.' }], max_tokens: 12 };

  before(async () => {
    gw = await startTestGateway(simConfig());
  });
  after(() => gw.close());

  async function json(response: Response, status = 200): Promise<unknown> {
    assert.equal(response.status, status);
    return response.json();
  }

  test('non-stream chat: plain, tools, logprobs, n=2, json_schema', async () => {
    const variants: Record<string, unknown>[] = [
      {},
      { tools: [weatherTool], tool_choice: 'required' },
      { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
      { logprobs: true, top_logprobs: 2 },
      { n: 2, seed: 7 },
      { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'integer' } } } } } },
      { response_format: { type: 'json_object' } },
    ];
    for (const extra of variants) {
      spec().assertValid('CreateChatCompletionResponse', await json(await post('/chat/completions', { ...chatBody, ...extra })), JSON.stringify(extra));
    }
  });

  test('every stream chunk: plain with usage, tools, logprobs, n=2', async () => {
    const variants: Record<string, unknown>[] = [
      { stream_options: { include_usage: true } },
      { tools: [weatherTool], tool_choice: 'required' },
      { logprobs: true, top_logprobs: 1 },
      { n: 2 },
    ];
    for (const extra of variants) {
      const response = await post('/chat/completions', { ...chatBody, ...extra, stream: true });
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.ok(text.endsWith('data: [DONE]\n\n'));
      const chunks = sseData(text);
      assert.ok(chunks.length > 2);
      chunks.forEach(({ event, data }, i) => {
        assert.equal(event, undefined);
        spec().assertValid('CreateChatCompletionStreamResponse', data, `${JSON.stringify(extra)} chunk ${i}`);
      });
    }
  });

  test('completions, embeddings float and base64', async () => {
    spec().assertValid('CreateCompletionResponse', await json(await post('/completions', { model: 'sim-small', prompt: ['a', 'b'], max_tokens: 4 })));
    const input = { model: 'sim-embed', input: ['one', 'two'] };
    spec().assertValid('CreateEmbeddingResponse', await json(await post('/embeddings', input)));
    const base64 = await json(await post('/embeddings', { ...input, encoding_format: 'base64' }));
    spec().assertValid('CreateEmbeddingResponse', decodeBase64Embeddings(base64 as never));
  });

  test('models list and retrieve', async () => {
    spec().assertValid('ListModelsResponse', await json(await fetch(`${gw.url}/v1/models`)));
    spec().assertValid('Model', await json(await fetch(`${gw.url}/v1/models/sim-small`)));
    spec().assertValid('Model', await json(await fetch(`${gw.url}/v1/models/fast`)));
  });

  test('errors: unknown model, invalid body, unknown route', async () => {
    spec().assertValid('ErrorResponse', await json(await post('/chat/completions', { ...chatBody, model: 'nope' }), 404));
    spec().assertValid('ErrorResponse', await json(await post('/chat/completions', { ...chatBody, temperature: 9 }), 400));
    spec().assertValid('ErrorResponse', await json(await fetch(`${gw.url}/v1/models/nope`), 404));
    spec().assertValid('ErrorResponse', await json(await fetch(`${gw.url}/v1/nothing-here`), 404));
  });
});

describe('Switchyard in front of vLLM and TGI upstreams answers within the OpenAI spec', () => {
  let vllm: OpenAIMock;
  let tgi: OpenAIMock;
  let gw: RunningGateway;
  const chatBody = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 20 });

  before(async () => {
    vllm = await startOpenAIMock({ engine: 'vllm' });
    tgi = await startOpenAIMock({ engine: 'tgi' });
    gw = await startTestGateway({
      providers: {
        vllm: { type: 'openai-compatible', base_url: vllm.url, engine: 'vllm' },
        tgi: { type: 'openai-compatible', base_url: tgi.url, engine: 'tgi' },
      },
      models: {
        llama: { deployments: [{ provider: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' }] },
        mistral: { deployments: [{ provider: 'tgi', model: 'tgi' }] },
      },
    });
  });
  after(async () => {
    await gw.close();
    await vllm.close();
    await tgi.close();
  });

  test("vLLM's nulls and empty tool_calls do not reach the client", async () => {
    vllm.setScenario({ kind: 'text', text: 'Hello from vLLM.' });
    const response = await postJson(`${gw.url}/v1/chat/completions`, chatBody('llama'));
    const sent = vllm.responses.at(-1)!.json as { system_fingerprint: unknown };
    assert.equal(sent.system_fingerprint, null, 'the mock really sent vLLM-style nulls');
    const body = (await response.json()) as { choices: { message: Record<string, unknown> }[] };
    spec().assertValid('CreateChatCompletionResponse', body);
    assert.equal('tool_calls' in body.choices[0]!.message, false);
    vllm.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Lima' } });
    const withTool = await postJson(`${gw.url}/v1/chat/completions`, { ...chatBody('llama'), tools: [weatherTool] });
    spec().assertValid('CreateChatCompletionResponse', await withTool.json());
  });

  test("TGI's eos_token finish reasons are OpenAI's stop, streamed and not", async () => {
    tgi.setScenario({ kind: 'text', text: 'Hello from TGI.' });
    const body = (await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('mistral'))).json()) as never;
    spec().assertValid('CreateChatCompletionResponse', body);
    const stream = await postJson(`${gw.url}/v1/chat/completions`, { ...chatBody('mistral'), stream: true, stream_options: { include_usage: true } });
    const chunks = sseData(await stream.text());
    chunks.forEach(({ data }, i) => spec().assertValid('CreateChatCompletionStreamResponse', data, `chunk ${i}`));
  });
});
