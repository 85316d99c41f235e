/** Anthropic `Message` → internal chat response; the stop-reason and usage mappings are shared with streams. */
import { GatewayError } from '../../core/errors.js';
import type { ToolCall } from '../../core/openai-schema.js';
import type { ChatResponse, FinishReason, Usage } from '../../core/openai-types.js';
import { asCount, asRecord, asString, type AnthropicUsage } from './wire.js';

export function finishReasonOf(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, and pause_turn (a server-tool pause the caller cannot resume through this API).
      return 'stop';
  }
}

/** Anthropic's `input_tokens` excludes cached prompt tokens; OpenAI's `prompt_tokens` includes them. */
export function usageOf(usage: AnthropicUsage): Usage {
  const read = usage.cache_read_input_tokens ?? 0;
  const written = usage.cache_creation_input_tokens;
  const prompt = (usage.input_tokens ?? 0) + read + (written ?? 0);
  const completion = usage.output_tokens ?? 0;
  const result: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: read },
  };
  if (written != null) result.cache_creation_input_tokens = written;
  return result;
}

/** Reads the counters out of an upstream `usage` object, ignoring anything that is not a number. */
export function readUsage(value: unknown): AnthropicUsage {
  const record = asRecord(value) ?? {};
  const usage: AnthropicUsage = {};
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const count = asCount(record[key]);
    if (count !== undefined) usage[key] = count;
  }
  return usage;
}

export const chatIdOf = (messageId: string) => `chatcmpl-${messageId}`;

export function badResponse(provider: string, detail: string): GatewayError {
  return new GatewayError('upstream_bad_response', `Upstream ${provider} returned ${detail}.`, { retryable: true });
}

export function fromAnthropicResponse(provider: string, body: unknown): ChatResponse {
  const message = asRecord(body);
  if (message === undefined || !Array.isArray(message.content)) throw badResponse(provider, 'a message without content');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const item of message.content as unknown[]) {
    const block = asRecord(item);
    // Thinking and server-tool blocks have no place in the chat completion shape.
    if (block?.type === 'text') text += asString(block.text) ?? '';
    if (block?.type === 'tool_use') {
      toolCalls.push({
        id: asString(block.id) ?? `call_${toolCalls.length}`,
        type: 'function',
        function: { name: asString(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const messageId = asString(message.id) ?? `msg_${Date.now()}`;
  return {
    id: chatIdOf(messageId),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: asString(message.model) ?? '',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text !== '' || toolCalls.length === 0 ? text : null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReasonOf(asString(message.stop_reason)),
        logprobs: null,
      },
    ],
    usage: usageOf(readUsage(message.usage)),
  };
}
