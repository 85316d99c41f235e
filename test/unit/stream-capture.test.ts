/** The request log's capture of a streamed answer: text, refusals, tool calls per choice, the byte bound. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamCapture, type StreamedChunk } from '../../src/observability/request-log/stream-capture.js';

const delta = (content: string, index = 0, finish: string | null = null): StreamedChunk => ({
  choices: [{ index, finish_reason: finish, delta: { content } }],
});

interface Logged {
  choices: { index: number; content: string; tool_calls?: { id?: string; name: string; arguments: string }[]; finish_reason: string | null }[];
  usage?: { total_tokens: number };
  truncated: boolean;
}
const parsed = (capture: StreamCapture) => JSON.parse(capture.json()) as Logged;

describe('stream capture', () => {
  test('joins content deltas per choice, keeps finish reasons and the usage', () => {
    const capture = new StreamCapture(1000);
    capture.add([delta('Hel'), delta('Bon', 1)]);
    capture.add([delta('lo', 0, 'stop'), delta('jour', 1, 'length')]);
    capture.add([{ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }]);
    const logged = parsed(capture);
    assert.deepEqual(
      logged.choices.map((choice) => [choice.content, choice.finish_reason]),
      [
        ['Hello', 'stop'],
        ['Bonjour', 'length'],
      ],
    );
    assert.equal(logged.usage?.total_tokens, 3);
    assert.equal(logged.truncated, false);
  });

  test('tool calls are assembled by index from their name and argument deltas', () => {
    const capture = new StreamCapture(1000);
    const call = (index: number, fn: { name?: string; arguments?: string }, id?: string): StreamedChunk => ({
      choices: [{ index: 0, finish_reason: null, delta: { tool_calls: [{ index, ...(id === undefined ? {} : { id }), function: fn }] } }],
    });
    capture.add([call(0, { name: 'get_weather', arguments: '' }, 'call_1'), call(0, { arguments: '{"city":' }), call(1, { name: 'f', arguments: '{}' }, 'call_2')]);
    capture.add([call(0, { arguments: '"Paris"}' })]);
    assert.deepEqual(parsed(capture).choices[0]!.tool_calls, [
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_2', name: 'f', arguments: '{}' },
    ]);
  });

  test('legacy completion text is captured as content', () => {
    const capture = new StreamCapture(1000);
    capture.add([{ choices: [{ index: 0, finish_reason: null, text: 'once upon' }] }, { choices: [{ index: 0, finish_reason: 'stop', text: ' a time' }] }]);
    assert.equal(parsed(capture).choices[0]!.content, 'once upon a time');
  });

  test('stops accumulating at the byte limit and marks the body truncated; finish reasons still arrive', () => {
    const capture = new StreamCapture(10);
    capture.add([delta('123456')]);
    capture.add([delta('789abc')]);
    capture.add([delta('never kept', 0, 'stop')]);
    const logged = parsed(capture);
    assert.equal(logged.choices[0]!.content, '123456789a');
    assert.equal(logged.truncated, true);
    assert.equal(logged.choices[0]!.finish_reason, 'stop');
  });

  test('multi-byte text counts its UTF-8 bytes', () => {
    const capture = new StreamCapture(9);
    capture.add([delta('東京'), delta('大阪')]);
    const logged = parsed(capture);
    assert.equal(logged.choices[0]!.content.startsWith('東京'), true, 'the first 6 bytes fit whole');
    assert.equal(logged.truncated, true, '12 bytes do not fit in 9');
  });
});
