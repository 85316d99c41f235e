/**
 * Token counting for budgets: OpenAI's published chat counts (the cookbook example: 129 tokens on cl100k, 124
 * on o200k), special-token text, the byte upper bound never below the exact count, images and tool calls, and
 * the built-in model limits and encodings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { knownModelLimits, tokenEncodingFor } from '../../src/core/model-limits.js';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import { countChatTokens, countPromptTokens, promptUpperBound, tokenCounter, upperBound } from '../../src/limits/token-count.js';

const cookbook: ChatRequest = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ],
};

describe('chat token counting', () => {
  test('matches the counts OpenAI reports for its cookbook example', async () => {
    assert.equal(countChatTokens(cookbook, await tokenCounter('cl100k_base')).total, 129);
    assert.equal(countChatTokens(cookbook, await tokenCounter('o200k_base')).total, 124);
  });

  test('plain strings count as the tokenizer says; per-message counts add up with the fixed part', async () => {
    const count = await tokenCounter('o200k_base');
    assert.equal(count('Hello world'), 2);
    assert.equal(count(''), 0);
    const counted = countChatTokens(cookbook, count);
    assert.equal(counted.messages.length, 6);
    assert.equal(counted.fixed, 3, 'the reply is primed with 3 tokens');
    assert.equal(counted.total, counted.fixed + counted.messages.reduce((a, b) => a + b, 0));
  });

  test('special-token text in a message is counted as text, not refused', async () => {
    const count = await tokenCounter('o200k_base');
    assert.ok(count('hi <|endoftext|> there') > 3, 'counted as ordinary text');
  });

  test('images, tool calls, tools and a JSON schema add tokens', async () => {
    const count = await tokenCounter('o200k_base');
    const base: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'look' }] };
    const plain = countChatTokens(base, count).total;
    const withImage = countChatTokens(
      { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:x', detail: 'low' } }] }] },
      count,
    ).total;
    assert.equal(withImage - plain, 85, 'a low-detail image is 85 tokens');
    const withTools = countChatTokens(
      {
        ...base,
        messages: [...base.messages, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"weather in Paris"}' } }] }],
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      },
      count,
    ).total;
    assert.ok(withTools > plain + 15, `tool call and definition counted (${withTools} vs ${plain})`);
  });

  test('the byte bound is never below the exact count, for English, code, CJK and emoji', async () => {
    const texts = ['The quick brown fox jumps over the lazy dog. '.repeat(40), 'function f(x) { return x * 2; }\n'.repeat(30), '日本語のテキストと中文文本。'.repeat(50), '🙂🚀👩‍👩‍👧‍👦'.repeat(40), 'a'];
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const count = await tokenCounter(encoding);
      for (const text of texts) {
        const request: ChatRequest = { model: 'm', messages: [{ role: 'system', content: text }, { role: 'user', content: text, name: 'u' }] };
        const exact = countChatTokens(request, count).total;
        assert.ok(upperBound(request) >= exact, `${encoding}: bound ${upperBound(request)} >= exact ${exact} for ${text.slice(0, 12)}`);
      }
    }
  });
});

describe('legacy completion prompts', () => {
  test('a prompt is its bare text; each prompt of an array is counted apart; token arrays count their length', async () => {
    const count = await tokenCounter('o200k_base');
    assert.deepEqual(countPromptTokens('The quick brown fox jumps over the lazy dog.', count), [10]);
    assert.deepEqual(countPromptTokens(['Hello, world!', 'The quick brown fox jumps over the lazy dog.'], count), [4, 10]);
    assert.deepEqual(countPromptTokens([1, 2, 3], count), [3]);
    assert.deepEqual(countPromptTokens([[1, 2], [3, 4, 5, 6]], count), [2, 4]);
    assert.deepEqual(countPromptTokens([], count), [0]);
  });

  test('the bound is the largest prompt in bytes, never below its exact count', async () => {
    const count = await tokenCounter('o200k_base');
    const prompts = ['déjà vu — 東京 🚀', 'const x = { a: [1, 2, 3] };'];
    assert.equal(promptUpperBound(prompts), Math.max(...prompts.map((prompt) => Buffer.byteLength(prompt))));
    assert.ok(promptUpperBound(prompts) >= Math.max(...countPromptTokens(prompts, count)), 'bound ≥ exact');
    assert.equal(promptUpperBound([[1, 2, 3, 4]]), 4, 'token arrays are exact');
  });
});

describe('model limits and encodings', () => {
  test('well-known models have their published windows; dated snapshots and prefixes match the longest name', () => {
    assert.deepEqual(knownModelLimits('gpt-4o-mini-2024-07-18'), { contextWindow: 128_000, maxOutputTokens: 16_384 });
    assert.deepEqual(knownModelLimits('gpt-4'), { contextWindow: 8192, maxOutputTokens: 8192 });
    assert.equal(knownModelLimits('gpt-4.1-nano')?.contextWindow, 1_047_576);
    assert.equal(knownModelLimits('claude-sonnet-4-20250514')?.maxOutputTokens, 64_000);
    assert.equal(knownModelLimits('models/gemini-2.5-pro')?.contextWindow, 1_048_576);
    assert.equal(knownModelLimits('sim-small')?.contextWindow, 32_768);
    assert.equal(knownModelLimits('my-finetune'), undefined);
  });

  test('o200k for gpt-4o, 4.1, o-series, gpt-5 and other families; cl100k for gpt-4 and gpt-3.5', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'o3-mini', 'gpt-5', 'claude-3-5-haiku', 'llama-3.1-8b']) assert.equal(tokenEncodingFor(model), 'o200k_base', model);
    for (const model of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo', 'openai/gpt-4-0613', 'text-embedding-3-small']) assert.equal(tokenEncodingFor(model), 'cl100k_base', model);
  });
});
