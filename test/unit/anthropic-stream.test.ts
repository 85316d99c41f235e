import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anthropicSSE, createEventEncoder } from '../../src/api/anthropic/stream.js';
import { createContext } from '../../src/core/context.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatChunkChoice, Usage } from '../../src/core/openai-types.js';

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk' as const, created: 1, model: 'upstream' };
const chunk = (delta: ChatChunkChoice['delta'], finish: ChatChunkChoice['finish_reason'] = null): ChatChunk => ({
  ...base,
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = (usage: Usage): ChatChunk => ({ ...base, choices: [], usage });

/** Text, then two tool calls (the second split over two chunks), then the finish and the usage-only chunk. */
const textThenTools: ChatChunk[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '"CET"}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk({ prompt_tokens: 50, completion_tokens: 12, total_tokens: 62, prompt_tokens_details: { cached_tokens: 10 } }),
];

async function* fromArray(chunks: ChatChunk[], failWith?: Error): AsyncGenerator<ChatChunk[]> {
  for (const item of chunks) yield [item];
  if (failWith) throw failWith;
}

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

async function frames(chunks: ChatChunk[], failWith?: Error): Promise<{ frames: Frame[]; errorCode: string | undefined }> {
  const ctx = createContext('req-1', 'messages', new AbortController().signal);
  const rest = fromArray(chunks.slice(1), failWith);
  let text = '';
  for await (const piece of anthropicSSE(ctx, { first: [chunks[0]!], rest }, { model: 'fast', stopSequences: [] })) text += piece;
  const parsed = text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      assert.match(eventLine!, /^event: /);
      assert.match(dataLine!, /^data: /);
      const data = JSON.parse(dataLine!.slice('data: '.length)) as Record<string, unknown>;
      const event = eventLine!.slice('event: '.length);
      assert.equal(data.type, event, 'the event name matches the data type');
      return { event, data };
    });
  return { frames: parsed, errorCode: ctx.errorCode };
}

describe('internal chunks → Anthropic SSE', () => {
  test('emits text and each tool call as separate blocks in Anthropic order', async () => {
    const { frames: out } = await frames(textThenTools);
    assert.deepEqual(
      out.map((frame) => (frame.data.index === undefined ? frame.event : `${frame.event}:${String(frame.data.index)}`)),
      [
        'message_start',
        'content_block_start:0',
        'content_block_delta:0',
        'content_block_delta:0',
        'content_block_stop:0',
        'content_block_start:1',
        'content_block_delta:1',
        'content_block_stop:1',
        'content_block_start:2',
        'content_block_delta:2',
        'content_block_delta:2',
        'content_block_stop:2',
        'message_delta',
        'message_stop',
      ],
    );
    const start = out[0]!.data.message as Record<string, unknown>;
    assert.equal(start.model, 'fast');
    assert.match(String(start.id), /^msg_/);
    assert.deepEqual(start.content, []);
    assert.deepEqual(out[1]!.data.content_block, { type: 'text', text: '', citations: null });
    assert.deepEqual(out[2]!.data.delta, { type: 'text_delta', text: 'Let me ' });
    assert.deepEqual(out[5]!.data.content_block, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {}, caller: { type: 'direct' } });
    assert.deepEqual(out[6]!.data.delta, { type: 'input_json_delta', partial_json: '{"city":"Paris"}' });
    const json = out.filter((frame) => frame.data.index === 2 && frame.event === 'content_block_delta');
    assert.equal(json.map((frame) => (frame.data.delta as { partial_json: string }).partial_json).join(''), '{"tz":"CET"}');
    const delta = out[12]!.data;
    assert.deepEqual(delta.delta, { stop_reason: 'tool_use', stop_sequence: null, stop_details: null, container: null });
    assert.deepEqual(delta.usage, { input_tokens: 40, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 10, server_tool_use: null });
  });

  test('a text-only answer that hit the token limit ends with max_tokens', async () => {
    const { frames: out } = await frames([
      chunk({ role: 'assistant', content: 'Hi' }),
      chunk({}, 'length'),
      usageChunk({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }),
    ]);
    assert.deepEqual(out.map((frame) => frame.event), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal((out[4]!.data.delta as { stop_reason: string }).stop_reason, 'max_tokens');
  });

  test('a failure after the commit point is an in-band error event with no message_stop', async () => {
    const failure = new GatewayError('upstream_unavailable', 'The upstream went away mid-stream.');
    const { frames: out, errorCode } = await frames([chunk({ role: 'assistant', content: 'Partial' }), chunk({ content: ' answer' })], failure);
    assert.deepEqual(out.map((frame) => frame.event), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'error']);
    assert.deepEqual(out.at(-1)!.data, {
      type: 'error',
      error: { type: 'overloaded_error', message: 'The upstream went away mid-stream.' },
      request_id: 'req-1',
    });
    assert.equal(errorCode, 'upstream_unavailable');
  });

  test('input tokens known at the start are reported in message_start', () => {
    const encoder = createEventEncoder({ model: 'm', stopSequences: [] });
    const [start] = encoder.push({ ...chunk({ role: 'assistant' }), usage: { prompt_tokens: 9, completion_tokens: 0, total_tokens: 9 } });
    assert.equal(start!.type, 'message_start');
    assert.equal(start!.type === 'message_start' && start!.message.usage.input_tokens, 9);
  });
});
