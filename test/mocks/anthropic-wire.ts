/**
 * Bodies and SSE frames the Anthropic mock upstream sends, shaped as specs/anthropic-openapi.json says (Message,
 * MessageStreamEvent, ErrorResponse) and in the order the real API streams them.
 */
import { specPath } from '../helpers/openapi.js';
import { MOCK_USAGE } from './mock-upstream.js';

export const anthropicSpecPath = specPath('anthropic-openapi.json');

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface UsageCounts {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export const defaultUsage: UsageCounts = {
  input_tokens: MOCK_USAGE.input,
  output_tokens: MOCK_USAGE.output,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

export type PlannedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface MessagePlan {
  id: string;
  model: string;
  blocks: PlannedBlock[];
  stopReason: StopReason;
  stopSequence: string | null;
  usage: UsageCounts;
}

/** One SSE frame: Anthropic always names the event and repeats the name as `type` in the data. */
export interface Frame {
  event: string;
  data: unknown;
}

export const encodeFrame = (frame: Frame): string => `event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;

export function usageObject(usage: UsageCounts): Record<string, unknown> {
  return {
    ...usage,
    cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
  };
}

function contentBlock(block: PlannedBlock, streaming: boolean): Record<string, unknown> {
  if (block.type === 'text') return { type: 'text', text: streaming ? '' : block.text, citations: null };
  return { type: 'tool_use', id: block.id, name: block.name, input: streaming ? {} : block.input, caller: { type: 'direct' } };
}

export function messageObject(plan: MessagePlan): Record<string, unknown> {
  return {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    content: plan.blocks.map((block) => contentBlock(block, false)),
    model: plan.model,
    stop_reason: plan.stopReason,
    stop_sequence: plan.stopSequence,
    stop_details: null,
    container: null,
    usage: usageObject(plan.usage),
  };
}

/** Splits text into `parts` roughly equal pieces, as token deltas would. */
function pieces(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The full event sequence for a message, ping included, exactly as Anthropic orders it. */
export function streamFrames(plan: MessagePlan): Frame[] {
  const frames: Frame[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          ...messageObject(plan),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usageObject({ ...plan.usage, output_tokens: 1 }),
        },
      },
    },
  ];
  plan.blocks.forEach((block, index) => {
    frames.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: contentBlock(block, true) } });
    if (index === 0) frames.push({ event: 'ping', data: { type: 'ping' } });
    // Tool input streams as JSON fragments, the first one empty, as the real API sends it.
    const deltas =
      block.type === 'text'
        ? pieces(block.text, 3).map((text) => ({ type: 'text_delta', text }))
        : ['', ...pieces(JSON.stringify(block.input), 3)].map((partial_json) => ({ type: 'input_json_delta', partial_json }));
    for (const delta of deltas) frames.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } });
    frames.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = plan.usage;
  frames.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: plan.stopReason, stop_sequence: plan.stopSequence, stop_details: null, container: null },
        usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens, server_tool_use: null },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return frames;
}

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function errorTypeFor(status: number): string {
  return errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function errorBody(status: number, message: string, requestId: string, type = errorTypeFor(status)): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** How Anthropic words a prompt over the model's context window (HTTP 400, invalid_request_error). */
export const contextLengthMessage = 'prompt is too long: 208443 tokens > 200000 maximum';
