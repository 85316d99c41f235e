/**
 * Trimming strategies over messages and their token counts: system messages stay, a tool call stays with its
 * results, the last turn stays, the kept conversation starts at a user turn, keep_last keeps the last N.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatMessage } from '../../src/core/openai-schema.js';
import { dropOldest, keepLast, turnsOf } from '../../src/stages/context-trim.js';

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const call = (...ids: string[]): ChatMessage => ({
  role: 'assistant',
  content: null,
  tool_calls: ids.map((id) => ({ id, type: 'function' as const, function: { name: 'lookup', arguments: '{}' } })),
});
const result = (id: string): ChatMessage => ({ role: 'tool', tool_call_id: id, content: 'result' });

// 0 system, 1 user, 2 assistant, 3 user, 4 call(a,b), 5 result a, 6 result b, 7 assistant, 8 user
const conversation: ChatMessage[] = [
  { role: 'system', content: 'be brief' },
  user('first'),
  assistant('one'),
  user('second'),
  call('a', 'b'),
  result('a'),
  result('b'),
  assistant('two'),
  user('third'),
];
const tens = conversation.map(() => 10);

describe('turns', () => {
  test('an assistant tool call and its results are one turn; system messages are no turn', () => {
    assert.deepEqual(turnsOf(conversation), [[1], [2], [3], [4, 5, 6], [7], [8]]);
  });

  test('a tool result whose call is not right before it is its own turn', () => {
    assert.deepEqual(turnsOf([user('x'), result('z'), user('y')]), [[0], [1], [2]]);
  });
});

describe('drop_oldest', () => {
  test('drops the oldest turns until it fits and keeps system and the last turn', () => {
    const trimmed = dropOldest(conversation, tens, 70);
    assert.deepEqual(trimmed?.kept, [0, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(trimmed?.dropped, [1, 2]);
    assert.equal(trimmed?.tokens, 70);
  });

  test('never splits a tool call from its results, and the kept part starts at a user turn', () => {
    // 50 tokens: dropping up to the call turn leaves [7, 8]; the assistant turn 7 goes too, so it starts at a user turn.
    const trimmed = dropOldest(conversation, tens, 50);
    assert.deepEqual(trimmed?.kept, [0, 8]);
    for (const index of trimmed!.kept) {
      const message = conversation[index]!;
      if (message.role === 'tool') assert.ok(trimmed!.kept.includes(4), 'a kept tool result keeps its call');
    }
  });

  test('leaves a conversation that fits alone', () => {
    assert.deepEqual(dropOldest(conversation, tens, 1000)?.dropped, []);
  });

  test('is impossible when the system messages and the last turn alone are over budget', () => {
    assert.equal(dropOldest(conversation, tens, 15), undefined);
  });
});

describe('keep_last', () => {
  test('keeps the system messages and the last N messages', () => {
    assert.deepEqual(keepLast(conversation, tens, 1000, 2)?.kept, [0, 8], 'the last two are [7, 8]; 7 is no user turn, so it starts at 8');
    assert.deepEqual(keepLast(conversation, tens, 1000, 6)?.kept, [0, 3, 4, 5, 6, 7, 8]);
  });

  test('takes fewer than N rather than split a tool-call turn', () => {
    // The last 4 would start inside the call turn [4, 5, 6]: it keeps [7, 8] only (then starts at the user turn).
    assert.deepEqual(keepLast(conversation, tens, 1000, 4)?.kept, [0, 8]);
  });

  test('drops more when the last N still do not fit', () => {
    assert.deepEqual(keepLast(conversation, tens, 20, 6)?.kept, [0, 8]);
  });
});
