/**
 * The official Anthropic SDK, unchanged, against a real gateway on loopback: `/v1/messages` is served by the
 * `sim` provider through the internal (OpenAI-shaped) model, and answers are checked against Anthropic's spec.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { loadOpenAPI, specPath } from '../helpers/openapi.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';

const spec = loadOpenAPI(specPath('anthropic-openapi.json'));

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

const client = (url: string, apiKey = 'test-key') => new Anthropic({ apiKey, baseURL: url, maxRetries: 0 });

describe('Anthropic SDK against /v1/messages', () => {
  let gw: RunningGateway;
  let anthropic: Anthropic;
  before(async () => {
    gw = await startTestGateway(simConfig());
    anthropic = client(gw.url);
  });
  after(() => gw.close());

  test('messages.create returns a text message with usage and the requested model name', async () => {
    const message = await anthropic.messages.create({
      model: 'fast',
      max_tokens: 16,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    assert.match(message.id, /^msg_/);
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'fast');
    assert.equal(message.content[0]?.type, 'text');
    assert.ok(message.content[0].type === 'text' && message.content[0].text.length > 0);
    assert.ok(['end_turn', 'max_tokens'].includes(message.stop_reason ?? ''));
    assert.ok(message.usage.input_tokens > 0);
    assert.ok(message.usage.output_tokens > 0 && message.usage.output_tokens <= 16);
  });

  test('the raw non-stream body and its headers match the Anthropic spec', async () => {
    const response = await postJson(`${gw.url}/v1/messages`, {
      model: 'sim-small',
      max_tokens: 12,
      messages: [{ role: 'user', content: 'spec check' }],
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('request-id'), response.headers.get('x-request-id'));
    assert.equal(response.headers.get('x-switchyard-model'), 'sim-small');
    spec.assertValid('Message', await response.json());
  });

  test('messages.stream accumulates a final message equal to the streamed text', async () => {
    const stream = anthropic.messages.stream({ model: 'sim-small', max_tokens: 20, messages: [{ role: 'user', content: 'Stream a sentence' }] });
    let streamed = '';
    stream.on('text', (delta) => (streamed += delta));
    const message = await stream.finalMessage();
    assert.equal(message.content.length, 1);
    const block = message.content[0];
    assert.ok(block?.type === 'text');
    assert.equal(block.text, streamed);
    assert.ok(streamed.length > 0);
    assert.equal(message.model, 'sim-small');
    assert.ok(message.usage.input_tokens > 0, 'input tokens arrive with message_delta');
    assert.ok(message.usage.output_tokens > 0);
  });

  test('raw stream events come in Anthropic order and each matches the spec', async () => {
    const events = await anthropic.messages.create({
      model: 'sim-small',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'Order check' }],
    });
    const types: string[] = [];
    for await (const event of events) {
      types.push(event.type === 'content_block_delta' ? `delta:${event.delta.type}` : event.type);
      spec.assertValid('MessageStreamEvent', event, event.type);
    }
    const shape = types.join(' ').replace(/( delta:text_delta)+/g, ' deltas');
    assert.equal(shape, 'message_start content_block_start deltas content_block_stop message_delta message_stop');
  });

  test('a forced tool call comes back as a tool_use block with an object input', async () => {
    const message = await anthropic.messages.create({
      model: 'sim-small',
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    assert.equal(message.stop_reason, 'tool_use');
    const block = message.content.find((item) => item.type === 'tool_use');
    assert.ok(block !== undefined && block.type === 'tool_use');
    assert.equal(block.name, 'get_weather');
    assert.match(block.id, /^[a-zA-Z0-9_-]+$/);
    assert.equal(typeof block.input, 'object');
    assert.equal(typeof (block.input as { city?: unknown }).city, 'string');
  });

  test('a streamed tool call (tool_choice any) parses into an object input', async () => {
    const message = await anthropic.messages
      .stream({ model: 'sim-small', max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'weather?' }] })
      .finalMessage();
    assert.equal(message.stop_reason, 'tool_use');
    const block = message.content[0];
    assert.ok(block?.type === 'tool_use');
    assert.equal(typeof (block.input as { city?: unknown }).city, 'string');
  });

  test('a tool_result follow-up turn gets a text answer', async () => {
    const first = await anthropic.messages.create({
      model: 'sim-small',
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    const call = first.content.find((block) => block.type === 'tool_use');
    assert.ok(call?.type === 'tool_use');
    const second = await anthropic.messages.create({
      model: 'sim-small',
      max_tokens: 30,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18°C and sunny' }] },
      ],
    });
    assert.notEqual(second.stop_reason, 'tool_use');
    assert.equal(second.content[0]?.type, 'text');
  });

  test('count_tokens counts the system prompt and messages with the tokenizer', async () => {
    const counted = await anthropic.messages.countTokens({
      model: 'sim-small',
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Hello, world!' }],
    });
    // o200k: "You are terse." 4, "Hello, world!" 4; 3 framing + 1 role per message; 3 priming.
    assert.equal(counted.input_tokens, 4 + 4 + 2 * (3 + 1) + 3);
  });

  test('an unknown model is a NotFoundError', async () => {
    await assert.rejects(
      anthropic.messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof Anthropic.NotFoundError && error.status === 404 && /no-such-model/.test(error.message),
    );
  });

  test('a missing max_tokens is a BadRequestError naming the parameter', async () => {
    const params = { model: 'sim-small', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    await assert.rejects(
      anthropic.messages.create(params),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /max_tokens/.test(error.message),
    );
  });

  test('unsupported features are BadRequestErrors that say what is unsupported', async () => {
    await assert.rejects(
      anthropic.messages.create({
        model: 'sim-small',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'x' }],
      }),
      (error: unknown) => error instanceof Anthropic.BadRequestError && /extended thinking is not supported/.test(error.message),
    );
  });

  test('error bodies use the Anthropic envelope', async () => {
    const response = await postJson(`${gw.url}/v1/messages`, { model: 'sim-small', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    spec.assertValid('InvalidRequestError', body.error);
  });

  test('error bodies match the spec ErrorResponse including request_id', async () => {
    const response = await postJson(`${gw.url}/v1/messages`, { model: 'nope', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] });
    const body = (await response.json()) as { request_id: string };
    spec.assertValid('ErrorResponse', body);
    assert.equal(body.request_id, response.headers.get('x-request-id'));
  });
});

describe('Anthropic SDK with a master key', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig({ auth: { master_key: 'sk-master-anthropic' } }));
  });
  after(() => gw.close());

  test('a wrong x-api-key is an AuthenticationError; the right one is served', async () => {
    await assert.rejects(
      client(gw.url, 'wrong-key').messages.create({ model: 'sim-small', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof Anthropic.AuthenticationError && error.status === 401,
    );
    const message = await client(gw.url, 'sk-master-anthropic').messages.create({
      model: 'sim-small',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(message.type, 'message');
  });
});
