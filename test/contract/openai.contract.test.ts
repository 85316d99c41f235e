/**
 * The shared adapter contract for every OpenAI-dialect provider type (`openai`, `azure-openai`,
 * `openai-compatible` on vLLM and TGI), then what only this dialect has: auth headers, Azure's URL form, engine
 * quirks in request shaping, in-band stream errors and finish-reason aliases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultUpstreamHttpOptions } from '../../src/core/upstream-http.js';
import type { ProviderAdapter, UpstreamCall } from '../../src/core/provider.js';
import type { ChatChunk } from '../../src/core/openai-types.js';
import { GatewayError } from '../../src/core/errors.js';
import {
  createAzureOpenAIAdapter,
  createOpenAIAdapter,
  createOpenAICompatibleAdapter,
} from '../../src/providers/openai/index.js';
import type { EngineName } from '../../src/providers/openai/engines.js';
import { chat, collect } from '../helpers/chat.js';
import { runAdapterContract } from './adapter-contract.js';
import { startOpenAIMock, type OpenAIMock, type OpenAIMockEngine } from '../mocks/openai-mock.js';

const http = defaultUpstreamHttpOptions;
const API_KEY = 'sk-test-contract';
const AZURE_VERSION = '2024-10-21';

function openAI(mock: OpenAIMock): ProviderAdapter {
  return createOpenAIAdapter('openai', { api_key: API_KEY, base_url: mock.url }, http);
}

function azure(mock: OpenAIMock): ProviderAdapter {
  return createAzureOpenAIAdapter('azure', { api_key: API_KEY, base_url: mock.origin, api_version: AZURE_VERSION }, http);
}

function compatible(mock: OpenAIMock, engine: EngineName): ProviderAdapter {
  return createOpenAICompatibleAdapter(`local-${engine}`, { base_url: mock.url, api_key: API_KEY, engine }, http);
}

runAdapterContract('openai', async () => {
  const mock = await startOpenAIMock({ apiKey: API_KEY });
  return { mock, adapter: openAI(mock), model: 'gpt-4o-mini' };
});

runAdapterContract('azure-openai', async () => {
  const mock = await startOpenAIMock({ apiKey: API_KEY });
  return { mock, adapter: azure(mock), model: 'my-gpt4o-deployment' };
});

runAdapterContract('openai-compatible (vLLM)', async () => {
  const mock = await startOpenAIMock({ apiKey: API_KEY, engine: 'vllm' });
  return { mock, adapter: compatible(mock, 'vllm'), model: 'meta-llama/Llama-3.1-8B-Instruct' };
});

runAdapterContract('openai-compatible (TGI)', async () => {
  const mock = await startOpenAIMock({ apiKey: API_KEY, engine: 'tgi' });
  return { mock, adapter: compatible(mock, 'tgi'), model: 'tgi' };
});

const call = (model: string, signal = new AbortController().signal): UpstreamCall => ({ model, signal, requestId: 'req-dialect-1' });

type Body = Record<string, unknown>;
const lastBody = (mock: OpenAIMock) => mock.requests.at(-1)!.body as Body;

/** One mock + adapter per block, closed after it. */
function withUpstream(engine: OpenAIMockEngine, build: (mock: OpenAIMock) => ProviderAdapter) {
  const state = {} as { mock: OpenAIMock; adapter: ProviderAdapter };
  before(async () => {
    state.mock = await startOpenAIMock({ apiKey: API_KEY, engine });
    state.adapter = build(state.mock);
  });
  after(async () => {
    await state.adapter.close?.();
    await state.mock.close();
  });
  return state;
}

describe('openai dialect: OpenAI', () => {
  const up = withUpstream('openai', openAI);

  test('authenticates with a Bearer token and forwards the request id', async () => {
    up.mock.setScenario({ kind: 'text', text: 'hi' });
    await up.adapter.chat(chat(), call('gpt-4o-mini'));
    const { headers, path } = up.mock.requests.at(-1)!;
    assert.equal(path, '/v1/chat/completions');
    assert.equal(headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(headers['api-key'], undefined);
    assert.equal(headers['x-request-id'], 'req-dialect-1');
  });

  test('keeps max_completion_tokens for OpenAI itself', async () => {
    await up.adapter.chat(chat({ max_completion_tokens: 64 }), call('gpt-4o-mini'));
    const body = lastBody(up.mock);
    assert.equal(body.max_completion_tokens, 64);
    assert.equal(body.max_tokens, undefined);
  });

  test('always asks for stream usage upstream, and never sends stream_options without a stream', async () => {
    up.mock.setScenario({ kind: 'text', text: 'counting tokens' });
    const chunks = await collect(up.adapter.streamChat(chat({ stream: true }), call('gpt-4o-mini')));
    assert.deepEqual(lastBody(up.mock).stream_options, { include_usage: true });
    assert.equal(lastBody(up.mock).stream, true);
    assert.equal(chunks.at(-1)!.usage?.total_tokens, 18);
    await up.adapter.chat(chat({ stream_options: { include_usage: true } }), call('gpt-4o-mini'));
    assert.equal(lastBody(up.mock).stream_options, undefined);
    assert.equal(lastBody(up.mock).stream, false);
  });

  test('passes unknown parameters through and keeps n and logprobs', async () => {
    up.mock.setScenario({ kind: 'text', text: 'two answers' });
    const response = await up.adapter.chat(chat({ n: 2, logprobs: true, top_logprobs: 1, service_tier: 'flex' }), call('gpt-4o-mini'));
    assert.equal(lastBody(up.mock).service_tier, 'flex');
    assert.equal(response.choices.length, 2);
    assert.ok((response.choices[1]!.logprobs?.content?.length ?? 0) > 0);
  });

  test('an in-band stream error becomes a GatewayError after the good chunks', async () => {
    up.mock.setScenario({ kind: 'midstream_error', message: 'The server had an error while processing your request.' });
    const seen: ChatChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of up.adapter.streamChat(chat({ stream: true }), call('gpt-4o-mini'))) seen.push(...batch);
      })(),
      (error: unknown) => error instanceof GatewayError && /had an error/.test(error.message),
    );
    assert.ok(seen.length >= 1, 'chunks before the error were delivered');
  });

  test('legacy completions and embeddings reach their endpoints', async () => {
    up.mock.setScenario({ kind: 'text', text: 'Once more.' });
    const completion = await up.adapter.completions!({ model: 'x', prompt: 'Say', max_completion_tokens: 5 } as never, call('gpt-3.5-turbo-instruct'));
    assert.equal(completion.choices[0]!.text, 'Once more.');
    assert.equal(up.mock.requests.at(-1)!.path, '/v1/completions');
    const embedding = await up.adapter.embeddings!({ model: 'x', input: ['a', 'b'] }, call('text-embedding-3-small'));
    assert.equal(embedding.data.length, 2);
    assert.equal(up.mock.requests.at(-1)!.path, '/v1/embeddings');
  });

  test('the health probe lists models with the same credentials', async () => {
    await up.adapter.checkHealth!(new AbortController().signal);
    const { path, headers } = up.mock.requests.at(-1)!;
    assert.equal(path, '/v1/models');
    assert.equal(headers.authorization, `Bearer ${API_KEY}`);
  });
});

describe('openai dialect: Azure OpenAI', () => {
  const up = withUpstream('openai', azure);

  test('routes by deployment in the URL with api-version, and authenticates with api-key', async () => {
    up.mock.setScenario({ kind: 'text', text: 'hi' });
    await up.adapter.chat(chat(), call('prod gpt-4o'));
    const { path, headers } = up.mock.requests.at(-1)!;
    assert.equal(path, `/openai/deployments/prod%20gpt-4o/chat/completions?api-version=${AZURE_VERSION}`);
    assert.equal(headers['api-key'], API_KEY);
    assert.equal(headers.authorization, undefined);
  });

  test('embeddings and the health probe use the Azure URL forms', async () => {
    await up.adapter.embeddings!({ model: 'x', input: 'a' }, call('embed-deployment'));
    assert.equal(up.mock.requests.at(-1)!.path, `/openai/deployments/embed-deployment/embeddings?api-version=${AZURE_VERSION}`);
    await up.adapter.checkHealth!(new AbortController().signal);
    assert.equal(up.mock.requests.at(-1)!.path, `/openai/models?api-version=${AZURE_VERSION}`);
  });

  test("Azure's own 401 envelope is an upstream credential failure", async () => {
    const wrong = createAzureOpenAIAdapter('azure', { api_key: 'wrong', base_url: up.mock.origin, api_version: AZURE_VERSION }, http);
    await assert.rejects(wrong.chat(chat(), call('d')), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_auth_failed');
    await wrong.close?.();
  });
});

describe('openai dialect: vLLM', () => {
  const up = withUpstream('vllm', (mock) => compatible(mock, 'vllm'));

  test("the context-length message is classified although vLLM sends no code", async () => {
    up.mock.setScenario({ kind: 'error', status: 400, message: 'ignored', contextLength: true });
    await assert.rejects(up.adapter.chat(chat(), call('m')), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'context_length_exceeded');
      assert.match(error.message, /maximum context length is 4096 tokens/);
      return true;
    });
  });

  test('a mid-stream data: {"error": …} event is a GatewayError, not a clean end', async () => {
    up.mock.setScenario({ kind: 'midstream_error', message: 'CUDA out of memory' });
    const seen: ChatChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of up.adapter.streamChat(chat({ stream: true }), call('m'))) seen.push(...batch);
      })(),
      (error: unknown) => error instanceof GatewayError && /CUDA out of memory/.test(error.message) && error.retryable,
    );
    assert.equal(seen.filter((chunk) => chunk.choices.some((choice) => choice.finish_reason)).length, 0);
  });

  test('vLLM reads max_completion_tokens, so it is kept', async () => {
    up.mock.setScenario({ kind: 'text', text: 'ok' });
    await up.adapter.chat(chat({ max_completion_tokens: 32 }), call('m'));
    assert.equal(lastBody(up.mock).max_completion_tokens, 32);
  });
});

describe('openai dialect: TGI', () => {
  const up = withUpstream('tgi', (mock) => compatible(mock, 'tgi'));

  test('max_completion_tokens is sent as max_tokens', async () => {
    up.mock.setScenario({ kind: 'text', text: 'ok' });
    await up.adapter.chat(chat({ max_completion_tokens: 32 }), call('tgi'));
    const body = lastBody(up.mock);
    assert.equal(body.max_tokens, 32);
    assert.equal('max_completion_tokens' in body, false);
  });

  test('an explicit max_tokens wins over max_completion_tokens', async () => {
    await up.adapter.chat(chat({ max_tokens: 10, max_completion_tokens: 32 }), call('tgi'));
    assert.equal(lastBody(up.mock).max_tokens, 10);
  });

  test('eos_token finish reasons arrive as stop, streamed and not', async () => {
    up.mock.setScenario({ kind: 'text', text: 'fine' });
    const response = await up.adapter.chat(chat(), call('tgi'));
    assert.equal(up.mock.responses.at(-1)!.json !== undefined, true);
    assert.equal(response.choices[0]!.finish_reason, 'stop');
    const chunks = await collect(up.adapter.streamChat(chat({ stream: true }), call('tgi')));
    assert.deepEqual(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean), ['stop']);
    const sent = up.mock.responses.at(-1)!.events!.map((event) => JSON.stringify(event));
    assert.ok(sent.some((event) => event.includes('"eos_token"')), 'the mock really sent eos_token');
  });

  test('a 422 validation error naming max_new_tokens is a context-length error', async () => {
    up.mock.setScenario({ kind: 'error', status: 400, message: 'ignored', contextLength: true });
    await assert.rejects(up.adapter.chat(chat(), call('tgi')), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'context_length_exceeded');
      assert.equal(error.upstreamStatus, 422);
      return true;
    });
  });

  test("TGI's mid-stream {error, error_type} event is a GatewayError", async () => {
    up.mock.setScenario({ kind: 'midstream_error', message: 'Request failed during generation' });
    await assert.rejects(collect(up.adapter.streamChat(chat({ stream: true }), call('tgi'))), (error: unknown) =>
      error instanceof GatewayError && /failed during generation/.test(error.message),
    );
  });
});

describe('openai dialect: request shaping per engine', () => {
  const up = withUpstream('openai', (mock) => compatible(mock, 'generic'));
  // What each engine's upstream body must look like for a streamed request with max_completion_tokens: 32.
  const expected: Record<EngineName, { maxTokensField: 'max_tokens' | 'max_completion_tokens'; streamOptions: boolean }> = {
    vllm: { maxTokensField: 'max_completion_tokens', streamOptions: true },
    sglang: { maxTokensField: 'max_completion_tokens', streamOptions: true },
    tgi: { maxTokensField: 'max_tokens', streamOptions: true },
    trtllm: { maxTokensField: 'max_tokens', streamOptions: true },
    ollama: { maxTokensField: 'max_tokens', streamOptions: true },
    llamacpp: { maxTokensField: 'max_tokens', streamOptions: true },
    lmstudio: { maxTokensField: 'max_tokens', streamOptions: false },
    generic: { maxTokensField: 'max_tokens', streamOptions: true },
  };

  for (const [engine, shape] of Object.entries(expected) as [EngineName, (typeof expected)[EngineName]][]) {
    test(`${engine}: output cap as ${shape.maxTokensField}, stream_options ${shape.streamOptions ? 'sent' : 'not sent'}`, async () => {
      const adapter = compatible(up.mock, engine);
      up.mock.setScenario({ kind: 'text', text: 'shaped' });
      const chunks = await collect(adapter.streamChat(chat({ stream: true, max_completion_tokens: 32, stream_options: { include_usage: false } }), call('m')));
      await adapter.close?.();
      const body = lastBody(up.mock);
      assert.equal(body[shape.maxTokensField], 32);
      const other = shape.maxTokensField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
      assert.equal(other in body, false);
      if (shape.streamOptions) assert.deepEqual(body.stream_options, { include_usage: true });
      else assert.equal('stream_options' in body, false);
      assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), 'shaped');
    });
  }

  test('generic: eos_token and eos are read as stop', async () => {
    const tgiMock = await startOpenAIMock({ engine: 'tgi' });
    const adapter = compatible(tgiMock, 'generic');
    const response = await adapter.chat(chat(), call('m'));
    assert.equal(response.choices[0]!.finish_reason, 'stop');
    await adapter.close?.();
    await tgiMock.close();
  });
});
