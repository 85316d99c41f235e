/**
 * Token budgets on a running gateway against a mock OpenAI upstream: an overflowing request is refused with 400
 * context_length_exceeded (OpenAI and Anthropic dialects) before any upstream call; max_tokens is clamped to
 * what is left; drop_oldest and keep_last trim (x-switchyard-trimmed); summarize asks the cheap model through
 * the gateway and falls back to dropping when it fails.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ChatMessage, ChatRequest } from '../../src/core/openai-schema.js';
import { countChatTokens, tokenCounter } from '../../src/limits/token-count.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { MemoryRequestLogStore } from '../../src/stores/memory/request-log-store.js';
import { MOCK_USAGE } from '../mocks/mock-upstream.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const WINDOW = 300;
/** About 90 tokens each, so four of them overflow a 300-token window. */
const turn = (label: string) => `${label}: ${'lorem ipsum dolor sit amet '.repeat(16)}`;
const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: turn('first question') },
  { role: 'assistant', content: turn('first answer') },
  { role: 'user', content: turn('second question') },
  { role: 'assistant', content: turn('second answer') },
  { role: 'user', content: 'and now?' },
];

interface ErrorBody {
  error: { type: string; code: string | null; param: string | null; message: string };
}

describe('token budgets', () => {
  let mock: OpenAIMock;
  let gw: RunningGateway;
  const model = (strategy?: object) => ({
    deployments: [{ provider: 'up', model: 'tiny-model' }],
    context_window: WINDOW,
    ...(strategy === undefined ? {} : { context_overflow: strategy }),
  });

  before(async () => {
    mock = await startOpenAIMock();
    gw = await startTestGateway({
      resilience: { health_checks: { enabled: false }, retries: { max_attempts: 1 } },
      providers: { up: { type: 'openai-compatible', base_url: mock.url } },
      models: {
        strict: model(),
        trimmed: model({ strategy: 'drop_oldest' }),
        recent: model({ strategy: 'keep_last', keep_last: 2 }),
        summarized: model({ strategy: 'summarize', summarize_with: 'cheap', summary_max_tokens: 40 }),
        cheap: { deployments: [{ provider: 'up', model: 'cheap-model' }] },
      },
    });
  });
  beforeEach(() => {
    mock.setScenario({ kind: 'text', text: 'fine' });
    mock.requests.length = 0;
  });
  after(async () => {
    await gw.close();
    await mock.close();
  });

  const chat = (body: Partial<ChatRequest> & { model: string }) => postJson(`${gw.url}/v1/chat/completions`, { messages: conversation, ...body });
  const upstreamBodies = () => mock.requests.map((request) => request.body as ChatRequest);

  test('an overflowing request is 400 context_length_exceeded with the numbers, and never reaches the upstream', async () => {
    const response = await chat({ model: 'strict', max_tokens: 10 });
    assert.equal(response.status, 400);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'context_length_exceeded');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.param, 'messages');
    const input = countChatTokens({ model: 'strict', messages: conversation }, await tokenCounter('o200k_base')).total;
    assert.equal(
      body.error.message,
      `This model's maximum context length is ${WINDOW} tokens. However, you requested ${input + 10} tokens (${input} in the messages, 10 in the completion). Please reduce the length of the messages or completion.`,
    );
    assert.equal(mock.requests.length, 0);
  });

  test('on /v1/messages the same overflow is an Anthropic invalid_request_error', async () => {
    const response = await postJson(`${gw.url}/v1/messages`, {
      model: 'strict',
      max_tokens: 10,
      system: 'You are terse.',
      messages: conversation.slice(1).map((message) => ({ role: message.role, content: message.content })),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, new RegExp(`maximum context length is ${WINDOW} tokens`));
    assert.equal(mock.requests.length, 0);
  });

  test('max_tokens beyond what is left is clamped to the remaining window', async () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Say hi.' }];
    const response = await chat({ model: 'strict', messages, max_tokens: 5000 });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const input = countChatTokens({ model: 'strict', messages }, await tokenCounter('o200k_base')).total;
    assert.equal(upstreamBodies()[0]!.max_tokens, WINDOW - input);
    assert.equal(response.headers.get('x-switchyard-trimmed'), null);
  });

  test('max_completion_tokens is clamped the same way; a request that fits is sent unchanged', async () => {
    const fits = await chat({ model: 'strict', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 20 });
    await fits.arrayBuffer();
    // OpenAI-compatible engines get it as max_tokens.
    const sentLimit = (body: ChatRequest) => body.max_completion_tokens ?? body.max_tokens;
    assert.equal(sentLimit(upstreamBodies()[0]!), 20);
    const clamped = await chat({ model: 'strict', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 1000 });
    await clamped.arrayBuffer();
    assert.ok(sentLimit(upstreamBodies()[1]!)! < WINDOW, 'clamped below the window');
  });

  test('drop_oldest removes the oldest turns, keeps the system message, and says how many', async () => {
    const response = await chat({ model: 'trimmed' });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const sent = upstreamBodies()[0]!.messages;
    const dropped = Number(response.headers.get('x-switchyard-trimmed'));
    assert.ok(dropped >= 1, `some messages were dropped (${dropped})`);
    assert.equal(sent.length, conversation.length - dropped);
    assert.deepEqual(sent[0], conversation[0], 'the system message stays');
    assert.equal(sent.at(-1)!.content, 'and now?', 'the last turn stays');
    assert.equal(sent[1]!.role, 'user', 'the kept conversation starts at a user turn');
    const tokens = countChatTokens({ model: 'trimmed', messages: sent }, await tokenCounter('o200k_base')).total;
    assert.ok(tokens < WINDOW, `what was sent fits (${tokens})`);
  });

  test('keep_last keeps the system message and the last N messages', async () => {
    const response = await chat({ model: 'recent' });
    await response.arrayBuffer();
    assert.equal(response.headers.get('x-switchyard-trimmed'), '4');
    assert.deepEqual(
      upstreamBodies()[0]!.messages.map((message) => message.role),
      ['system', 'user'],
      'the last two are assistant + user; it starts at the user turn',
    );
  });

  test('summarize asks the cheap model once and puts its summary in place of the dropped turns', async () => {
    mock.script({ kind: 'text', text: 'They asked two questions about lorem ipsum.' });
    const response = await chat({ model: 'summarized' });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const [summaryCall, answered] = upstreamBodies();
    assert.equal(summaryCall!.model, 'cheap-model');
    assert.equal(summaryCall!.max_tokens, 40);
    assert.match(String(summaryCall!.messages[1]!.content), /user: first question/);
    const sent = answered!.messages;
    assert.equal(answered!.model, 'tiny-model');
    assert.deepEqual(sent[0], conversation[0]);
    assert.deepEqual(sent[1], { role: 'system', content: 'Summary of the earlier conversation: They asked two questions about lorem ipsum.' });
    assert.equal(sent.at(-1)!.content, 'and now?');
    assert.equal(Number(response.headers.get('x-switchyard-trimmed')), conversation.length - (sent.length - 1));
  });

  test('when the summary fails, the turns are dropped instead and the request still succeeds', async () => {
    mock.script({ kind: 'error', status: 400, message: 'cheap model refused' });
    const response = await chat({ model: 'summarized' });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const sent = upstreamBodies().at(-1)!.messages;
    assert.ok(!sent.some((message) => String(message.content).startsWith('Summary of')), 'no summary message');
    assert.ok(Number(response.headers.get('x-switchyard-trimmed')) >= 1, 'trimmed by dropping');
  });

  describe('/v1/completions', () => {
    const complete = (body: Record<string, unknown>) => postJson(`${gw.url}/v1/completions`, body);
    const longPrompt = turn('prompt').repeat(4);

    test('an overflowing string prompt is 400 context_length_exceeded with param prompt, before any upstream call', async () => {
      const response = await complete({ model: 'strict', prompt: longPrompt, max_tokens: 10 });
      assert.equal(response.status, 400);
      const body = (await response.json()) as ErrorBody;
      assert.equal(body.error.code, 'context_length_exceeded');
      assert.equal(body.error.param, 'prompt');
      const input = (await tokenCounter('o200k_base'))(longPrompt);
      assert.equal(
        body.error.message,
        `This model's maximum context length is ${WINDOW} tokens. However, you requested ${input + 10} tokens (${input} in the prompt, 10 in the completion). Please reduce the length of the prompt or completion.`,
      );
      assert.equal(mock.requests.length, 0);
    });

    test('in an array of prompts the longest decides; token-array prompts count their length', async () => {
      const mixed = await complete({ model: 'strict', prompt: ['short', longPrompt] });
      assert.equal(mixed.status, 400);
      assert.equal(((await mixed.json()) as ErrorBody).error.param, 'prompt');
      const tokens = await complete({ model: 'strict', prompt: [Array.from({ length: WINDOW }, (_, i) => i % 100)] });
      assert.equal(tokens.status, 400, 'a token array as long as the window leaves no room for output');
      await tokens.arrayBuffer();
      assert.equal(mock.requests.length, 0);
    });

    test('max_tokens beyond what is left is clamped; trimming strategies do not apply to a prompt', async () => {
      const prompt = 'The quick brown fox jumps over the lazy dog.';
      const response = await complete({ model: 'strict', prompt, max_tokens: 5000 });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      assert.equal((mock.requests[0]!.body as { max_tokens: number }).max_tokens, WINDOW - 10, 'the prompt is 10 tokens');
      const trimmed = await complete({ model: 'trimmed', prompt: longPrompt });
      assert.equal(trimmed.status, 400, 'drop_oldest cannot cut a prompt');
      await trimmed.arrayBuffer();
      assert.equal(mock.requests.length, 1);
    });
  });

  test('a last turn that alone overflows is refused even with trimming', async () => {
    const response = await chat({ model: 'trimmed', messages: [{ role: 'user', content: turn('huge').repeat(8) }] });
    assert.equal(response.status, 400);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'context_length_exceeded');
    assert.match(body.error.message, /Trimming \(drop_oldest\) cannot make it fit/);
  });
});

describe('token budgets: the summary call is charged to the request', () => {
  let mock: OpenAIMock;
  let gw: RunningGateway;
  let cache: KeyCache;
  const log = new MemoryRequestLogStore();
  const stores = openMemoryStores(TEST_PEPPER);
  let restricted: string;
  let limited: string;
  // $ per 1M tokens; every mock answer reports MOCK_USAGE.
  const mainCost = (MOCK_USAGE.input * 1 + MOCK_USAGE.output * 2) / 1e6;
  const summaryCost = (MOCK_USAGE.input * 10 + MOCK_USAGE.output * 20) / 1e6 + 0.001;

  before(async () => {
    mock = await startOpenAIMock();
    const tenant = await stores.tenants.create({ id: 'acme-trim', name: 'Acme' });
    ({ secret: restricted } = await stores.keys.create(tenant.id, { name: 'only-main', scopes: { models: ['summarized'] } }));
    ({ secret: limited } = await stores.keys.create(tenant.id, { name: 'one-a-minute', limits: { requests_per_minute: 1 } }));
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gw = await startTestGateway(
      {
        auth: { master_key: 'master-key-for-tests' },
        resilience: { health_checks: { enabled: false }, retries: { max_attempts: 1 } },
        providers: { up: { type: 'openai-compatible', base_url: mock.url } },
        models: {
          summarized: {
            deployments: [{ provider: 'up', model: 'tiny-model', price: { input: 1, output: 2 } }],
            context_window: WINDOW,
            context_overflow: { strategy: 'summarize', summarize_with: 'cheap', summary_max_tokens: 40 },
          },
          cheap: { deployments: [{ provider: 'up', model: 'cheap-model', price: { input: 10, output: 20, per_request: 0.001 } }] },
        },
      },
      { keys: cache, requestLog: { store: log } },
    );
  });
  beforeEach(() => {
    mock.setScenario({ kind: 'text', text: 'fine' });
    mock.requests.length = 0;
  });
  after(async () => {
    await gw.close();
    await cache.close();
    await mock.close();
  });

  const send = (key: string, body: Partial<ChatRequest> = {}) =>
    postJson(`${gw.url}/v1/chat/completions`, { model: 'summarized', messages: conversation, ...body }, { authorization: `Bearer ${key}` });
  const logged = async (requestId: string | null) => {
    await gw.gateway.requestLog.flush();
    const records = await log.list({ scope: { all: true }, limit: 100 });
    return records.find((record) => record.requestId === requestId);
  };

  test('the cost header and the request log add the summary call; the response usage is the served call\'s alone', async () => {
    mock.script({ kind: 'text', text: 'They asked about lorem ipsum.' });
    const response = await send('master-key-for-tests');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    assert.equal(mock.requests.length, 2, 'one summary call, one answer');
    assert.equal(response.headers.get('x-switchyard-cost-usd'), (mainCost + summaryCost).toFixed(8));
    assert.deepEqual([body.usage.prompt_tokens, body.usage.completion_tokens], [MOCK_USAGE.input, MOCK_USAGE.output]);
    const record = await logged(response.headers.get('x-request-id'));
    assert.ok(record !== undefined, 'the request was logged');
    assert.ok(Math.abs(record.costUsd! - (mainCost + summaryCost)) < 1e-12, `logged cost ${record.costUsd} includes the summary`);
    assert.equal(record.inputTokens, MOCK_USAGE.input, 'logged tokens are the served call\'s');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /switchyard_requests_total\{endpoint="chat",model="cheap",provider="up",status="200"\} 1/, 'the summary call is metered under its model');
  });

  test('a request that fails after its summary is still charged the summary', async () => {
    mock.script({ kind: 'text', text: 'A summary.' }, { kind: 'error', status: 400, message: 'upstream refused' });
    const response = await send('master-key-for-tests');
    assert.equal(response.status, 400);
    await response.arrayBuffer();
    const record = await logged(response.headers.get('x-request-id'));
    assert.ok(record !== undefined, 'the failed request was logged');
    assert.ok(Math.abs(record.costUsd! - summaryCost) < 1e-12, `logged cost ${record.costUsd} is the summary's`);
    assert.equal(record.errorCode !== null, true, 'with its error code');
  });

  test('a key not allowed the summariser model is still summarised: the operator configured it', async () => {
    mock.script({ kind: 'text', text: 'A summary.' });
    const response = await send(restricted);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal((mock.requests[0]!.body as ChatRequest).model, 'cheap-model');
    const direct = await postJson(`${gw.url}/v1/chat/completions`, { model: 'cheap', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${restricted}` });
    assert.equal(direct.status, 403, 'the key itself still cannot call it');
    await direct.arrayBuffer();
  });

  test('a request refused by its rate limit never makes the summary call', async () => {
    const first = await send(limited, { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(first.status, 200);
    await first.arrayBuffer();
    mock.requests.length = 0;
    const refused = await send(limited);
    assert.equal(refused.status, 429);
    await refused.arrayBuffer();
    assert.equal(mock.requests.length, 0, 'no upstream call, summary included');
  });
});
