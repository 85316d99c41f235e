/**
 * The shared adapter contract (issue 3 §5): every provider adapter runs these same cases against its own
 * protocol-faithful mock upstream. Adapter-specific extras live beside each adapter's contract test file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderAdapter, UpstreamCall } from '../../src/core/provider.js';
import type { ChatRequest } from '../../src/core/openai-schema.js';
import type { ChatChunk } from '../../src/core/openai-types.js';
import { collect, expectGatewayError, finishReasons } from '../helpers/chat.js';
import { MOCK_USAGE, type MockUpstream } from '../mocks/mock-upstream.js';

export interface ContractSubject {
  mock: MockUpstream;
  adapter: ProviderAdapter;
  /** The upstream model name to call. */
  model: string;
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function chat(extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'public-name',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello.' },
    ],
    max_tokens: 50,
    ...extra,
  };
}

function textOf(chunks: ChatChunk[]): string {
  return chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');
}

function toolCallsOf(chunks: ChatChunk[]): { name: string; arguments: string }[] {
  const calls: { name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      for (const delta of choice.delta.tool_calls ?? []) {
        calls[delta.index] ??= { name: '', arguments: '' };
        calls[delta.index]!.name += delta.function?.name ?? '';
        calls[delta.index]!.arguments += delta.function?.arguments ?? '';
      }
    }
  }
  return calls;
}

export function runAdapterContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`adapter contract: ${name}`, () => {
    let subject: ContractSubject;
    const call = (signal: AbortSignal = new AbortController().signal): UpstreamCall => ({
      model: subject.model,
      signal,
      requestId: 'req-contract-1',
    });

    before(async () => {
      subject = await setup();
    });
    after(async () => {
      await subject.adapter.close?.();
      await subject.mock.close();
    });

    test('text: non-stream answer, finish reason and usage', async () => {
      subject.mock.setScenario({ kind: 'text', text: 'Hello there, friend.' });
      const response = await subject.adapter.chat(chat(), call());
      assert.equal(response.object, 'chat.completion');
      assert.equal(response.choices[0]!.message.content, 'Hello there, friend.');
      assert.equal(response.choices[0]!.finish_reason, 'stop');
      assert.equal(response.usage.prompt_tokens, MOCK_USAGE.input);
      assert.equal(response.usage.completion_tokens, MOCK_USAGE.output);
      assert.equal(response.usage.total_tokens, MOCK_USAGE.input + MOCK_USAGE.output);
    });

    test('text: stream deltas, one finish reason, usage at the end', async () => {
      subject.mock.setScenario({ kind: 'text', text: 'Streaming works fine.' });
      const chunks = await collect(subject.adapter.streamChat(chat({ stream: true }), call()));
      assert.equal(textOf(chunks), 'Streaming works fine.');
      assert.deepEqual(finishReasons(chunks), ['stop']);
      const usage = chunks.at(-1)!.usage;
      assert.ok(usage, 'last chunk carries usage');
      assert.equal(usage.prompt_tokens, MOCK_USAGE.input);
      assert.equal(usage.completion_tokens, MOCK_USAGE.output);
      for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
    });

    test('tools: non-stream tool call is translated both ways', async () => {
      subject.mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Paris' } });
      const response = await subject.adapter.chat(chat({ tools: [weatherTool], tool_choice: 'auto' }), call());
      const choice = response.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls?.length, 1);
      const toolCall = choice.message.tool_calls![0]!;
      assert.equal(toolCall.type, 'function');
      assert.equal(toolCall.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(toolCall.function.arguments), { city: 'Paris' });
      assert.ok(toolCall.id.length > 0);
    });

    test('tools: streamed tool call assembles to the same call', async () => {
      subject.mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Oslo' } });
      const chunks = await collect(subject.adapter.streamChat(chat({ stream: true, tools: [weatherTool] }), call()));
      const calls = toolCallsOf(chunks);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0]!.arguments), { city: 'Oslo' });
      assert.deepEqual(finishReasons(chunks), ['tool_calls']);
    });

    test('tools: a tool result turn is accepted', async () => {
      subject.mock.setScenario({ kind: 'text', text: 'It is sunny in Paris.' });
      const response = await subject.adapter.chat(
        chat({
          tools: [weatherTool],
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
            },
            { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' },
          ],
        }),
        call(),
      );
      assert.equal(response.choices[0]!.message.content, 'It is sunny in Paris.');
    });

    test('JSON mode: json_object output arrives as parseable JSON', async () => {
      subject.mock.setScenario({ kind: 'json', value: { answer: 42, unit: 'none' } });
      const response = await subject.adapter.chat(chat({ response_format: { type: 'json_object' } }), call());
      assert.deepEqual(JSON.parse(response.choices[0]!.message.content ?? ''), { answer: 42, unit: 'none' });
    });

    test('errors: 400 is a non-retryable invalid request', async () => {
      subject.mock.setScenario({ kind: 'error', status: 400, message: 'bad parameter foo' });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.code, 'invalid_request');
        assert.equal(error.retryable, false);
        assert.equal(error.upstreamStatus, 400);
        assert.match(error.message, /bad parameter foo/);
      });
    });

    test('errors: 429 with retry-after is retryable and keeps the delay', async () => {
      subject.mock.setScenario({ kind: 'error', status: 429, message: 'slow down', retryAfterSeconds: 7 });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.code, 'upstream_rate_limited');
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfterSeconds, 7);
      });
    });

    test('errors: 500 and 503 are retryable upstream failures', async () => {
      subject.mock.setScenario({ kind: 'error', status: 500, message: 'boom' });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.retryable, true);
        assert.equal(error.status, 502);
      });
      subject.mock.setScenario({ kind: 'error', status: 503, message: 'overloaded' });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.code, 'upstream_unavailable');
        assert.equal(error.retryable, true);
      });
    });

    test('errors: 401 from upstream is a gateway-side credential problem', async () => {
      subject.mock.setScenario({ kind: 'error', status: 401, message: 'invalid key' });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.code, 'upstream_auth_failed');
        assert.equal(error.retryable, false);
      });
    });

    test('errors: context window overflow is classified', async () => {
      subject.mock.setScenario({ kind: 'error', status: 400, message: 'too long', contextLength: true });
      await expectGatewayError(subject.adapter.chat(chat(), call()), (error) => {
        assert.equal(error.code, 'context_length_exceeded');
        assert.equal(error.retryable, false);
      });
    });

    test('errors: a failing stream throws before its first chunk', async () => {
      subject.mock.setScenario({ kind: 'error', status: 429, message: 'limited', retryAfterSeconds: 2 });
      const iterator = subject.adapter.streamChat(chat({ stream: true }), call())[Symbol.asyncIterator]();
      await expectGatewayError(iterator.next(), (error) => {
        assert.equal(error.code, 'upstream_rate_limited');
        assert.equal(error.retryAfterSeconds, 2);
      });
    });

    test('streams: malformed event is an upstream_bad_response', async () => {
      subject.mock.setScenario({ kind: 'malformed_stream' });
      await expectGatewayError(collect(subject.adapter.streamChat(chat({ stream: true }), call())), (error) => {
        assert.equal(error.code, 'upstream_bad_response');
      });
    });

    test('streams: truncated stream is an error, never a clean finish', async () => {
      subject.mock.setScenario({ kind: 'truncated_stream' });
      const seen: ChatChunk[] = [];
      await expectGatewayError(
        (async () => {
          for await (const batch of subject.adapter.streamChat(chat({ stream: true }), call())) seen.push(...batch);
        })(),
        (error) => assert.equal(error.code, 'upstream_bad_response'),
      );
      assert.deepEqual(finishReasons(seen), [], 'no finish reason was made up');
    });

    test('streams: aborting the signal aborts the upstream request', async () => {
      subject.mock.setScenario({ kind: 'hang_stream' });
      const before = subject.mock.aborted;
      const controller = new AbortController();
      const iterator = subject.adapter.streamChat(chat({ stream: true }), call(controller.signal))[Symbol.asyncIterator]();
      await iterator.next();
      controller.abort();
      await assert.rejects(iterator.next());
      for (let i = 0; i < 50 && subject.mock.aborted === before; i++) await sleep(20);
      assert.equal(subject.mock.aborted, before + 1, 'the mock saw the connection close');
    });

    test('requests reach the upstream with the deployment model name', async () => {
      subject.mock.setScenario({ kind: 'text', text: 'ok' });
      await subject.adapter.chat(chat(), call());
      const last = subject.mock.requests.at(-1)!;
      const sentModel = (last.body as { model?: string } | null)?.model;
      assert.ok(sentModel === subject.model || last.path.includes(subject.model), `model ${subject.model} appears in body or path`);
    });
  });
}
