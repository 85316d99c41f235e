import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startSimEngine, type RunningSimEngine } from '../../src/sim/index.js';

describe('sim with the official openai SDK', () => {
  let sim: RunningSimEngine;
  let client: OpenAI;
  before(async () => {
    sim = await startSimEngine({ model: 'qwen2.5-7b', gpu: 'l40s', timeScale: 0.001 });
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => sim.close());

  test('streams chat tokens, then a finish chunk and the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'qwen2.5-7b',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Count to ten.' }],
      max_completion_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let contentChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks += 1;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(contentChunks, 10, 'one chunk per output token');
    assert.ok(text.trim().length > 0, 'the streamed text is not empty');
    assert.equal(finish, 'length');
    assert.equal(usage?.completion_tokens, 10);
    assert.ok((usage?.prompt_tokens ?? 0) > 10, 'the chat template and messages count as prompt tokens');
  });

  test('non-streaming completions and model listing', async () => {
    const completion = await client.completions.create({ model: 'qwen2.5-7b', prompt: 'The capital of France is', max_tokens: 3 });
    assert.equal(completion.usage?.completion_tokens, 3);
    assert.equal(completion.choices[0]?.finish_reason, 'length');
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['qwen2.5-7b']);
  });

  test('the SDK surfaces a context-length error as a 400 BadRequestError', async () => {
    const tooLong = 'lorem ipsum '.repeat(40_000);
    await assert.rejects(
      client.chat.completions.create({ model: 'qwen2.5-7b', messages: [{ role: 'user', content: tooLong }] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /maximum context length/.test(error.message),
    );
  });
});
