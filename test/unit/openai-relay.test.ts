/**
 * The relay's byte test and splitter (providers/openai/relay.ts): which frames may pass as bytes, and that every
 * other frame — and every SSE spelling the splitter does not read itself — ends as `readOpenAIStream` would end it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { RawFrame, type Relayed } from '../../src/core/provider.js';
import { relayableFrame, relayOpenAIStream } from '../../src/providers/openai/relay.js';
import { readOpenAIStream } from '../../src/providers/openai/stream.js';

interface Chunk {
  choices: { index: number; finish_reason: string | null; delta: { content?: string } }[];
  usage?: unknown;
}

const head = '"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';
const delta = (text: string, index = 0) =>
  `data: {${head},"choices":[{"index":${index},"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}]}\n\n`;
const stop = (index = 0) => `data: {${head},"choices":[{"index":${index},"delta":{},"finish_reason":"stop"}]}\n\n`;

async function* reads(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield new TextEncoder().encode(piece);
}

async function relay(parseAll: boolean, ...pieces: string[]): Promise<Relayed<Chunk>[][]> {
  const batches: Relayed<Chunk>[][] = [];
  for await (const batch of relayOpenAIStream<Chunk>('up', reads(...pieces), (chunk) => chunk, parseAll)) batches.push(batch);
  return batches;
}

async function chunks(...pieces: string[]): Promise<Chunk[]> {
  const all: Chunk[] = [];
  for await (const batch of readOpenAIStream<Chunk>('up', reads(...pieces))) all.push(...batch);
  return all;
}

describe('relay: which frames pass as bytes', () => {
  test('one unfinished choice without usage passes, with its index', () => {
    assert.deepEqual(relayableFrame(delta('hi')), { choice: 0, nullUsageAt: -1 });
    assert.deepEqual(relayableFrame(delta('hi', 12)), { choice: 12, nullUsageAt: -1 });
    assert.deepEqual(relayableFrame(delta('hi').replace('"created"', '"system_fingerprint":"fp","created"')), { choice: 0, nullUsageAt: -1 });
  });

  test("OpenAI's null usage after the choice passes, and only a client that asked for usage sees it", () => {
    const openAI = delta('hi').replace('}]}', '}],"usage":null,"obfuscation":"x1"}');
    const shape = relayableFrame(openAI)!;
    assert.equal(shape.nullUsageAt, openAI.indexOf(',"usage":null'));
    const frame = new RawFrame(openAI, undefined, shape.nullUsageAt);
    assert.equal(frame.forClient(true), openAI);
    assert.equal(frame.forClient(false), delta('hi').replace('}]}', '}],"obfuscation":"x1"}'));
    assert.equal(new RawFrame(delta('hi')).forClient(false), delta('hi'));
  });

  test('everything the gateway must read or rewrite is parsed', () => {
    const cases: Record<string, string> = {
      finished: stop(),
      usage: delta('hi').replace('}]}', '}],"usage":{"total_tokens":1}}'),
      'null usage elsewhere': delta('hi').replace('{"content":"hi"}', '{"content":"hi","usage":null}'),
      'two null usages': delta('hi').replace('}]}', '}],"usage":null,"usage":null}'),
      error: `data: {"error":{"message":"boom"}}\n\n`,
      'null fingerprint': delta('hi').replace('"created"', '"system_fingerprint" : null,"created"'),
      'two choices': delta('a').replace('}]}', '},{"index":1,"delta":{},"finish_reason":null}]}'),
      'tool call': delta('a').replace('{"content":"a"}', '{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}'),
      'no finish_reason': delta('a').replace(',"finish_reason":null', ''),
      'spaced keys': delta('a').replace('"choices":[{"index":', '"choices": [{"index": '),
      'no space after data:': delta('a').replace('data: ', 'data:'),
      'two data lines': delta('a').replace('{"index"', '\ndata: {"index"'),
      'not an object': 'data: [DONE]\n\n',
    };
    for (const [name, frame] of Object.entries(cases)) assert.equal(relayableFrame(frame), undefined, name);
  });
});

describe('relay: streams', () => {
  test('raw frames are the upstream text; parsed ones are chunks; parseAll attaches the chunk', async () => {
    const [batch] = await relay(false, delta('a') + delta('b') + stop() + 'data: [DONE]\n\n');
    assert.deepEqual(batch!.slice(0, 2), [new RawFrame(delta('a')), new RawFrame(delta('b'))]);
    assert.equal((batch![2] as Chunk).choices[0]!.finish_reason, 'stop');

    const [parsed] = await relay(true, delta('a') + stop() + 'data: [DONE]\n\n');
    const raw = parsed![0] as RawFrame<Chunk>;
    assert.equal(raw.sse, delta('a'));
    assert.equal(raw.chunk!.choices[0]!.delta.content, 'a');
  });

  test('frames split across reads, CRLF streams, comments and named events read as the SSE parser reads them', async () => {
    const whole = delta('a') + ': keep-alive\n\n' + delta('b') + stop() + 'data: [DONE]\n\n';
    const contentOf = (batches: Relayed<Chunk>[][]) =>
      batches.flat().map((item) => (item instanceof RawFrame ? 'raw' : item.choices[0]?.delta.content ?? item.choices[0]?.finish_reason));
    assert.deepEqual(contentOf(await relay(false, whole.slice(0, 30), whole.slice(30, 200), whole.slice(200))), ['raw', 'raw', 'stop']);
    const crlf = whole.replaceAll('\n', '\r\n');
    assert.deepEqual(contentOf(await relay(false, crlf.slice(0, 50), crlf.slice(50))), ['a', 'b', 'stop'], 'CRLF goes to the parser');
    assert.deepEqual(await chunks(crlf), (await relay(false, crlf)).flat());
  });

  test('a stream cut with a choice unfinished is truncated, as without relaying; all finished without [DONE] is complete', async () => {
    await assert.rejects(relay(false, delta('a', 0) + delta('b', 1) + stop(0)), (error: unknown) => error instanceof GatewayError);
    await assert.rejects(chunks(delta('a', 0) + delta('b', 1) + stop(0)), (error: unknown) => error instanceof GatewayError);
    const complete = await relay(false, delta('a', 0) + delta('b', 1) + stop(0) + stop(1));
    assert.equal(complete.flat().length, 4);
  });

  test('frames before an error in the same read come first, then the error', async () => {
    const batches: Relayed<Chunk>[][] = [];
    const stream = relayOpenAIStream<Chunk>('up', reads(delta('a') + 'event: error\ndata: {"error":{"message":"boom"}}\n\n'), (chunk) => chunk, false);
    await assert.rejects(
      (async () => {
        for await (const batch of stream) batches.push(batch);
      })(),
      (error: unknown) => error instanceof GatewayError && /boom/.test(error.message),
    );
    assert.deepEqual(batches, [[new RawFrame(delta('a'))]]);
  });
});
