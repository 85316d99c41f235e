/**
 * Pure translation cases of the `anthropic` provider adapter that its mock-based contract tests do not reach:
 * legacy function calls, files and audio, prefill trimming, and stream edge cases fed as raw SSE bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import type { ChatChunk } from '../../src/core/openai-types.js';
import { GatewayError } from '../../src/core/errors.js';
import { toAnthropicRequest } from '../../src/providers/anthropic/request.js';
import { readAnthropicStream } from '../../src/providers/anthropic/stream.js';
import { describeAnthropicError } from '../../src/providers/anthropic/errors.js';

const translate = (messages: ChatRequest['messages'], extra: Partial<ChatRequest> = {}) =>
  toAnthropicRequest({ model: 'public', messages, ...extra }, 'claude-x', 512, false);

function refused(run: () => unknown, code: string, param: string): void {
  assert.throws(run, (error: unknown) => error instanceof GatewayError && error.code === code && error.param === param);
}

async function* sse(frames: string[]): AsyncGenerator<Uint8Array> {
  for (const frame of frames) yield new TextEncoder().encode(frame);
}

const frame = (data: Record<string, unknown>) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
const messageStart = frame({
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-x', usage: { input_tokens: 3, output_tokens: 1 } },
});

async function collect(frames: string[]): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const batch of readAnthropicStream('anthropic', sse(frames))) chunks.push(...batch);
  return chunks;
}

describe('anthropic adapter: request translation edge cases', () => {
  test('legacy function_call and function messages pair up as tool_use / tool_result', () => {
    const body = translate([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
      { role: 'function', name: 'get_weather', content: 'hot' },
    ]);
    const use = body.messages[1]!.content[0]!;
    const result = body.messages[2]!.content[0]!;
    assert.equal(use.type, 'tool_use');
    assert.equal(result.type, 'tool_result');
    assert.equal(use.type === 'tool_use' && result.type === 'tool_result' && use.id === result.tool_use_id, true);
  });

  test('tool call ids other providers minted are made Anthropic-safe the same way on both sides', () => {
    const body = translate([
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'fn:1/a', type: 'function', function: { name: 'f', arguments: '' } }] },
      { role: 'tool', tool_call_id: 'fn:1/a', content: 'done' },
    ]);
    assert.deepEqual(body.messages[1]!.content, [{ type: 'tool_use', id: 'fn_1_a', name: 'f', input: {} }]);
    assert.deepEqual(body.messages[2]!.content, [{ type: 'tool_result', tool_use_id: 'fn_1_a', content: 'done' }]);
  });

  test('tool arguments that are JSON but not an object are refused', () => {
    const messages: ChatRequest['messages'] = [
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
    ];
    refused(() => translate(messages), 'invalid_request', 'messages.1.tool_calls.0.function.arguments');
  });

  test('inline PDFs become document blocks; audio, file ids and unsupported image types are refused', () => {
    const pdf = translate([{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } }] }]);
    assert.deepEqual(pdf.messages[0]!.content, [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }]);
    refused(
      () => translate([{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'input_audio', input_audio: { data: 'AA==', format: 'wav' } }] }]),
      'unsupported_parameter',
      'messages.0.content.1',
    );
    refused(() => translate([{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-123' } }] }]), 'unsupported_parameter', 'messages.0.content.0');
    refused(
      () => translate([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml;base64,PHN2Zz4=' } }] }]),
      'invalid_request',
      'messages.0.content.0',
    );
  });

  test('a final assistant prefill loses trailing whitespace, which Anthropic rejects', () => {
    const body = translate([
      { role: 'user', content: 'List three.' },
      { role: 'assistant', content: 'Here they are:\n ' },
    ]);
    assert.deepEqual(body.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'Here they are:' }] });
  });

  test('only a system prompt is refused: Anthropic needs a message', () => {
    refused(() => translate([{ role: 'system', content: 'Be nice.' }]), 'invalid_request', 'messages');
  });

  test('logit_bias and top_logprobs are refused; seed and penalties are dropped', () => {
    refused(() => translate([{ role: 'user', content: 'x' }], { logit_bias: { '50256': -100 } }), 'unsupported_parameter', 'logit_bias');
    refused(() => translate([{ role: 'user', content: 'x' }], { top_logprobs: 2 }), 'unsupported_parameter', 'top_logprobs');
    const body = translate([{ role: 'user', content: 'x' }], { seed: 7, presence_penalty: 1 }) as unknown as Record<string, unknown>;
    assert.equal('seed' in body || 'presence_penalty' in body, false);
  });
});

describe('anthropic adapter: stream edge cases', () => {
  test('a tool with no streamed input gets "{}" so its arguments parse', async () => {
    const chunks = await collect([
      messageStart,
      frame({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} } }),
      frame({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
      frame({ type: 'content_block_stop', index: 0 }),
      frame({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 4 } }),
      frame({ type: 'message_stop' }),
    ]);
    const args = chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? [])).map((d) => d.function?.arguments ?? '');
    assert.equal(args.join(''), '{}');
    assert.deepEqual(chunks.at(-1)!.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } });
  });

  test('unknown event types and thinking deltas are skipped, not fatal', async () => {
    const chunks = await collect([
      messageStart,
      frame({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      frame({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      frame({ type: 'some_future_event' }),
      frame({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
      frame({ type: 'message_stop' }),
    ]);
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), '');
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop');
  });

  test('content before message_start is a malformed stream', async () => {
    await assert.rejects(
      collect([frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } })]),
      (error: unknown) => error instanceof GatewayError && error.code === 'upstream_bad_response',
    );
  });

  test('an in-stream invalid_request_error about prompt length is classified as context_length_exceeded', async () => {
    const error = frame({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum' } });
    await assert.rejects(collect([messageStart, error]), (thrown: unknown) => thrown instanceof GatewayError && thrown.code === 'context_length_exceeded');
  });
});

describe('anthropic adapter: error descriptions', () => {
  test('overload, rate limits and context length are recognised from the envelope', () => {
    const envelope = (type: string, message: string) => ({ type: 'error', error: { type, message } });
    assert.equal(describeAnthropicError(envelope('overloaded_error', 'Overloaded'), 529).kind, 'overloaded');
    assert.equal(describeAnthropicError(envelope('rate_limit_error', 'slow'), 429).kind, 'rate_limited');
    assert.equal(
      describeAnthropicError(envelope('invalid_request_error', 'input length and `max_tokens` exceed context limit: 1 + 2 > 2'), 400).kind,
      'context_length_exceeded',
    );
    assert.deepEqual(describeAnthropicError('<html>bad gateway</html>', 502), { message: '<html>bad gateway</html>' });
  });
});
