import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countInputTokens } from '../../src/api/anthropic/count-tokens.js';
import { messagesRequestSchema, type MessagesRequest } from '../../src/api/anthropic/schema.js';
import { toAnthropicMessage } from '../../src/api/anthropic/to-message.js';
import { toChatRequest } from '../../src/api/anthropic/to-chat-request.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatResponse } from '../../src/core/openai-types.js';

const parse = (body: Record<string, unknown>): MessagesRequest =>
  messagesRequestSchema.parse({ model: 'm', max_tokens: 100, ...body });

const translate = (body: Record<string, unknown>) => toChatRequest(parse(body));

function refusal(body: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => translate(body),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && pattern.test(error.message),
  );
}

describe('Anthropic request → internal chat request', () => {
  test('maps system, sampling, stop sequences, user id and top_k', () => {
    const chat = translate({
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    assert.equal(chat.max_tokens, 100);
    assert.equal(chat.temperature, 0.2);
    assert.equal(chat.top_p, 0.9);
    assert.equal(chat.top_k, 40);
    assert.deepEqual(chat.stop, ['END']);
    assert.equal(chat.user, 'u-1');
    assert.equal(chat.stream, true);
  });

  test('keeps cache_control on system blocks', () => {
    const chat = translate({
      system: [
        { type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'rules' },
      ],
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(chat.messages[0], {
      role: 'system',
      content: [
        { type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'rules' },
      ],
    });
  });

  test('turns images into data: URLs and url images into image_url parts', () => {
    const chat = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  test('turns tool_use into assistant tool_calls and tool_result into tool messages, marking errors', () => {
    const chat = translate({
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'service down' }], is_error: true },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages.slice(1), [
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: service down' },
      { role: 'user', content: 'Summarise.' },
    ]);
    assert.deepEqual(chat.tools, [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ]);
  });

  test('moves images returned by a tool into a user message after the tool message', () => {
    const chat = translate({
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [
                { type: 'text', text: 'screenshot taken' },
                { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(chat.messages.slice(1), [
      { role: 'tool', tool_call_id: 't1', content: 'screenshot taken' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Images returned by tool call t1:' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
        ],
      },
    ]);
  });

  test('maps tool_choice auto/any/tool/none and disable_parallel_tool_use', () => {
    const tools = [{ name: 'f', input_schema: { type: 'object' } }];
    const messages = [{ role: 'user', content: 'x' }];
    assert.equal(translate({ tools, messages, tool_choice: { type: 'auto' } }).tool_choice, 'auto');
    assert.equal(translate({ tools, messages, tool_choice: { type: 'any' } }).tool_choice, 'required');
    assert.equal(translate({ tools, messages, tool_choice: { type: 'none' } }).tool_choice, 'none');
    const forced = translate({ tools, messages, tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true } });
    assert.deepEqual(forced.tool_choice, { type: 'function', function: { name: 'f' } });
    assert.equal(forced.parallel_tool_calls, false);
    assert.equal(translate({ messages, tool_choice: { type: 'any' } }).tool_choice, undefined, 'no tools, no tool_choice');
  });

  test('maps output_config.format to a json_schema response format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const chat = translate({ messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema } } });
    assert.deepEqual(chat.response_format, { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  test('drops thinking blocks from earlier turns', () => {
    const chat = translate({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'y' }] },
        { role: 'user', content: 'z' },
      ],
    });
    assert.deepEqual(chat.messages[1], { role: 'assistant', content: 'y' });
  });

  test('refuses what it cannot translate, naming the feature', () => {
    const messages = [{ role: 'user', content: 'x' }];
    refusal({ messages, thinking: { type: 'enabled', budget_tokens: 2048 } }, /^thinking: extended thinking is not supported/);
    refusal({ messages, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /^tools\[0\]: server tool `web_search_20250305`/);
    refusal(
      { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } }] }] },
      /^messages\[0\]\.content\[0\]: document blocks/,
    );
    refusal({ messages, mcp_servers: [{ type: 'url', url: 'https://x', name: 'x' }] }, /^mcp_servers: /);
    refusal({ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b', input: {} }] }] }, /belong in assistant messages/);
    assert.equal(translate({ messages, thinking: { type: 'disabled' } }).messages.length, 1, 'disabled thinking is fine');
  });

  test('schema rejects what Anthropic rejects: missing max_tokens, temperature over 1, unknown block types', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    assert.equal(messagesRequestSchema.safeParse(base).success, false);
    assert.equal(messagesRequestSchema.safeParse({ ...base, max_tokens: 1, temperature: 1.5 }).success, false);
    const unknown = messagesRequestSchema.safeParse({ ...base, max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'video' }] }] });
    assert.equal(unknown.success, false);
    assert.match(unknown.error!.issues[0]!.message, /unknown content block type "video"/);
    const custom = messagesRequestSchema.safeParse({ ...base, max_tokens: 1, tools: [{ name: 'f' }] });
    assert.match(custom.error!.issues[0]!.message, /input_schema/);
  });
});

function response(message: Partial<ChatResponse['choices'][number]['message']>, finish: ChatResponse['choices'][number]['finish_reason']): ChatResponse {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-name',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null }],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 7,
      total_tokens: 107,
      prompt_tokens_details: { cached_tokens: 30 },
      cache_creation_input_tokens: 20,
    },
  };
}

describe('internal chat response → Anthropic Message', () => {
  test('renders text with the requested model name and cache-aware usage', () => {
    const message = toAnthropicMessage(response({ content: 'Hello.' }, 'stop'), 'fast');
    assert.match(message.id, /^msg_[0-9a-f]{32}$/);
    assert.equal(message.model, 'fast');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello.', citations: null }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.stop_sequence, null);
    assert.deepEqual(
      [message.usage.input_tokens, message.usage.output_tokens, message.usage.cache_read_input_tokens, message.usage.cache_creation_input_tokens],
      [50, 7, 30, 20],
    );
  });

  test('renders tool calls as tool_use blocks with parsed input', () => {
    const message = toAnthropicMessage(
      response({ tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, 'tool_calls'),
      'm',
    );
    assert.deepEqual(message.content, [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } }]);
    assert.equal(message.stop_reason, 'tool_use');
  });

  test('maps finish reasons and reports a stop sequence when the upstream names it', () => {
    assert.equal(toAnthropicMessage(response({ content: 'x' }, 'length'), 'm').stop_reason, 'max_tokens');
    assert.equal(toAnthropicMessage(response({ refusal: 'no' }, 'content_filter'), 'm').stop_reason, 'refusal');
    const vllm = response({ content: 'x' }, 'stop');
    Object.assign(vllm.choices[0]!, { stop_reason: 'END' });
    const message = toAnthropicMessage(vllm, 'm', ['END']);
    assert.deepEqual([message.stop_reason, message.stop_sequence], ['stop_sequence', 'END']);
  });

  test('keeps an upstream msg_ id and makes tool ids safe for Anthropic clients', () => {
    const upstream = { ...response({ tool_calls: [{ id: 'call:1/x', type: 'function', function: { name: 'f', arguments: 'not json' } }] }, 'tool_calls'), id: 'msg_abc' };
    const message = toAnthropicMessage(upstream, 'm');
    assert.equal(message.id, 'msg_abc');
    assert.deepEqual(message.content[0], { type: 'tool_use', id: 'call_1_x', name: 'f', input: {}, caller: { type: 'direct' } });
  });
});

describe('count_tokens', () => {
  // Known o200k counts: "Hello, world!" 4, "You are terse." 4, "The quick brown fox jumps over the lazy dog." 10,
  // each role 1. A message is 3 tokens of framing + its role + its content; the reply is primed with 3.
  test('counts a message with the tokenizer: framing + role + content + priming', async () => {
    const chat = translate({ messages: [{ role: 'user', content: 'Hello, world!' }] });
    assert.equal(await countInputTokens(chat, 'claude-sonnet-4-20250514'), 3 + 1 + 4 + 3);
  });

  test('counts the system prompt as a message of its own', async () => {
    const chat = translate({ system: 'You are terse.', messages: [{ role: 'user', content: 'Hello, world!' }] });
    assert.equal(await countInputTokens(chat, 'claude-sonnet-4-20250514'), 3 + 1 + 4 + (3 + 1 + 4) + 3);
  });

  test('counts every turn, and tool definitions as their JSON text', async () => {
    const messages = [
      { role: 'user', content: 'Hello, world!' },
      { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.' },
      { role: 'user', content: 'Hello, world!' },
    ];
    const plain = await countInputTokens(translate({ messages }), 'claude-3-5-haiku');
    assert.equal(plain, 3 * (3 + 1) + 4 + 10 + 4 + 3);
    const tool = { name: 'get_weather', description: 'Get the weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
    const withTool = await countInputTokens(translate({ messages, tools: [tool] }), 'claude-3-5-haiku');
    assert.ok(withTool - plain >= 20 && withTool - plain <= 40, `the tool definition adds its ~30 tokens (added ${withTool - plain})`);
  });

  test('long text is counted by the tokenizer, not at four characters a token', async () => {
    const chat = translate({ messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(40) }] });
    const counted = await countInputTokens(chat, 'claude-sonnet-4');
    // 40 sentences of 10 tokens (the leading space of each repeat merges into "The"), not 1,800 chars / 4 = 450.
    assert.ok(counted >= 400 && counted <= 410, `about 400 + framing, got ${counted}`);
  });
});
