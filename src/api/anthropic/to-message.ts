/**
 * Internal chat response → Anthropic Message. The pieces (stop reason, usage, ids, tool input) are exported for
 * the stream encoder, so a streamed and a non-streamed answer describe themselves the same way.
 */
import { randomUUID } from 'node:crypto';
import type { ChatChoice, ChatResponse, FinishReason, Usage } from '../../core/openai-types.js';
import type { AnthropicMessage, DeltaUsage, MessageContent, MessageUsage, StopReason, ToolUseContent } from './types.js';

/** Keeps an upstream's `msg_` id (the anthropic adapter's) so logs on both sides match; mints one otherwise. */
export function messageId(upstreamId: string | undefined): string {
  return upstreamId !== undefined && /^msg_[A-Za-z0-9_-]+$/.test(upstreamId) ? upstreamId : `msg_${randomUUID().replaceAll('-', '')}`;
}

/** Anthropic tool ids match `^[a-zA-Z0-9_-]+$`; the client sends them back, so the mapping must be stable. */
export function toolUseId(id: string | undefined): string {
  if (id === undefined || id === '') return `toolu_${randomUUID().replaceAll('-', '')}`;
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/**
 * Tool arguments as the `input` object Anthropic promises. A model that produced broken or non-object JSON gets
 * an empty input rather than failing the whole answer; the stream path passes the raw text through unchanged.
 */
export function toolInput(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: see above
  }
  return {};
}

export function toolUseBlock(id: string | undefined, name: string, input: Record<string, unknown>): ToolUseContent {
  return { type: 'tool_use', id: toolUseId(id), name, input, caller: { type: 'direct' } };
}

/**
 * The stop sequence that ended the answer, when the upstream says which. OpenAI's wire format does not; vLLM and
 * SGLang report it as `choices[].stop_reason`, which reaches us untouched on the choice object.
 */
export function matchedStopSequence(choice: object, stopSequences: readonly string[]): string | null {
  const reported = 'stop_reason' in choice ? choice.stop_reason : undefined;
  return typeof reported === 'string' && stopSequences.includes(reported) ? reported : null;
}

export function stopReason(finish: FinishReason | null, stopSequence: string | null): StopReason | null {
  switch (finish) {
    case 'stop':
      return stopSequence === null ? 'end_turn' : 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return null;
  }
}

/** Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's prompt_tokens includes them. */
export function deltaUsage(usage: Partial<Usage> | null | undefined): DeltaUsage {
  const cacheRead = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheCreation = usage?.cache_creation_input_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cacheRead - cacheCreation),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
    server_tool_use: null,
  };
}

export function messageUsage(usage: Partial<Usage> | null | undefined): MessageUsage {
  const { server_tool_use, ...counts } = deltaUsage(usage);
  return { ...counts, cache_creation: null, server_tool_use, service_tier: null, inference_geo: null };
}

function content(choice: ChatChoice | undefined): MessageContent[] {
  if (choice === undefined) return [];
  const blocks: MessageContent[] = [];
  const text = choice.message.content ?? choice.message.refusal ?? '';
  if (text !== '') blocks.push({ type: 'text', text, citations: null });
  for (const call of choice.message.tool_calls ?? []) {
    blocks.push(toolUseBlock(call.id, call.function.name, toolInput(call.function.arguments)));
  }
  return blocks;
}

/** A message before its content and stop reason are known: the body of message_start, and the base of a reply. */
export function messageShell(upstreamId: string | undefined, model: string, usage: MessageUsage): AnthropicMessage {
  return {
    id: messageId(upstreamId),
    type: 'message',
    role: 'assistant',
    content: [],
    model,
    stop_reason: null,
    stop_sequence: null,
    stop_details: null,
    container: null,
    usage,
  };
}

/** `model` is the name the caller asked for, as Anthropic echoes it, not the upstream's name for it. */
export function toAnthropicMessage(response: ChatResponse, model: string, stopSequences: readonly string[] = []): AnthropicMessage {
  const choice = response.choices[0];
  const stopSequence = choice === undefined ? null : matchedStopSequence(choice, stopSequences);
  return {
    ...messageShell(response.id, model, messageUsage(response.usage)),
    content: content(choice),
    stop_reason: stopReason(choice?.finish_reason ?? null, stopSequence),
    stop_sequence: stopSequence,
  };
}
