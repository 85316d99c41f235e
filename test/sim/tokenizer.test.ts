import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tokenize, tokenizeChat } from '../../src/sim/tokenizer.js';

describe('sim tokenizer', () => {
  test('is deterministic and about four characters per token on English text', () => {
    const text = 'The quick brown fox jumps over the lazy dog, then naps beside the riverbank until sunset. '.repeat(20);
    assert.deepEqual(tokenize(text), tokenize(text), 'same text, same ids');
    const ratio = text.length / tokenize(text).length;
    assert.ok(ratio > 3 && ratio < 7, `characters per token ${ratio.toFixed(2)} is in the range real tokenisers give`);
  });

  test('prompts that share a text prefix share the token prefix', () => {
    const system = 'You are a support agent for Switchyard. Answer briefly and cite the docs. '.repeat(30);
    const a = tokenizeChat([{ role: 'system', text: system }, { role: 'user', text: 'How do I rotate keys?' }]);
    const b = tokenizeChat([{ role: 'system', text: system }, { role: 'user', text: 'Where are the metrics?' }]);
    let shared = 0;
    while (shared < a.length && a[shared] === b[shared]) shared++;
    assert.ok(shared >= tokenize(system).length, `the ${shared} shared leading tokens cover the system prompt`);
    assert.notDeepEqual(a, b, 'different questions differ after the prefix');
  });
});
