/**
 * Internal chunk stream → Anthropic Messages SSE, in Anthropic's order: message_start, then per content block
 * content_block_start / content_block_delta… / content_block_stop (text and each tool call are separate blocks
 * with increasing indexes), then message_delta (stop reason, usage) and message_stop.
 */
import type { GatewayContext } from '../../core/context.js';
import { anthropicErrorBody, streamFailure } from '../../core/errors.js';
import type { ChatChunk, FinishReason, Usage } from '../../core/openai-types.js';
import { encodeSSE } from '../../core/sse.js';
import { deltaUsage, matchedStopSequence, messageShell, messageUsage, stopReason, toolUseBlock } from './to-message.js';
import type { StreamEvent } from './types.js';

export interface EventEncoderOptions {
  /** The model name the caller asked for, echoed in message_start. */
  model: string;
  stopSequences: readonly string[];
}

export interface EventEncoder {
  /** The events one chunk produces; the first call also opens the message. */
  push(chunk: ChatChunk): StreamEvent[];
  /** Closes the open block and the message, once the upstream stream has ended cleanly. */
  end(): StreamEvent[];
}

export function createEventEncoder(options: EventEncoderOptions): EventEncoder {
  let started = false;
  let lastIndex = -1;
  let open: { index: number; kind: 'text' | 'tool' } | undefined;
  /** Tool-call index (OpenAI) → content block index (Anthropic). */
  const toolBlocks = new Map<number, number>();
  let finish: FinishReason | null = null;
  let stopSequence: string | null = null;
  let usage: Usage | undefined;

  function close(events: StreamEvent[]): void {
    if (open === undefined) return;
    events.push({ type: 'content_block_stop', index: open.index });
    open = undefined;
  }

  function openBlock(events: StreamEvent[], kind: 'text' | 'tool'): number {
    close(events);
    open = { index: ++lastIndex, kind };
    return open.index;
  }

  return {
    push(chunk) {
      const events: StreamEvent[] = [];
      if (chunk.usage) usage = chunk.usage;
      if (!started) {
        started = true;
        // Input tokens as far as known now: most upstreams report usage only at the end (message_delta).
        const known = messageUsage(usage === undefined ? undefined : { ...usage, completion_tokens: 0 });
        const message = messageShell(chunk.id, options.model, known);
        events.push({ type: 'message_start', message });
      }
      // Anthropic has no `n`: only the first choice exists.
      const choice = chunk.choices.find((candidate) => candidate.index === 0);
      if (choice === undefined) return events;
      const text = choice.delta.content ?? choice.delta.refusal;
      if (text != null && text !== '') {
        let index = open?.kind === 'text' ? open.index : undefined;
        if (index === undefined) {
          index = openBlock(events, 'text');
          events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } });
        }
        events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      }
      for (const call of choice.delta.tool_calls ?? []) {
        let index = toolBlocks.get(call.index);
        if (index === undefined) {
          index = openBlock(events, 'tool');
          toolBlocks.set(call.index, index);
          events.push({ type: 'content_block_start', index, content_block: toolUseBlock(call.id, call.function?.name ?? '', {}) });
        }
        // A late fragment of an earlier (already stopped) tool call still goes to its own index, where SDKs append it.
        const json = call.function?.arguments;
        if (json !== undefined && json !== '') events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } });
      }
      if (choice.finish_reason !== null) {
        finish = choice.finish_reason;
        stopSequence = matchedStopSequence(choice, options.stopSequences);
      }
      return events;
    },

    end() {
      const events: StreamEvent[] = [];
      close(events);
      events.push({
        type: 'message_delta',
        delta: { stop_reason: stopReason(finish, stopSequence), stop_sequence: stopSequence, stop_details: null, container: null },
        usage: deltaUsage(usage),
      });
      events.push({ type: 'message_stop' });
      return events;
    },
  };
}

const frame = (event: StreamEvent): string => encodeSSE(event, event.type);

/**
 * The SSE body. Headers are already committed when this runs (the first chunk arrived), so a later failure is
 * reported in-band as an `error` event with no message_stop, which SDKs raise as an API error.
 */
export async function* anthropicSSE(
  ctx: GatewayContext,
  answer: { first: ChatChunk[]; rest: AsyncIterator<ChatChunk[]> },
  options: EventEncoderOptions,
): AsyncGenerator<string> {
  const encoder = createEventEncoder(options);
  /** One string per batch: one socket write per upstream read. */
  const frames = (batch: ChatChunk[]) => {
    let text = '';
    for (const chunk of batch) for (const event of encoder.push(chunk)) text += frame(event);
    return text;
  };
  try {
    yield frames(answer.first);
    for (;;) {
      const next = await answer.rest.next();
      if (next.done) break;
      const text = frames(next.value);
      if (text !== '') yield text;
    }
  } catch (thrown) {
    const { error, tellClient } = streamFailure(ctx.signal, thrown);
    ctx.errorCode = error.code;
    if (tellClient) yield encodeSSE(anthropicErrorBody(error, ctx.requestId), 'error');
    return;
  }
  yield encoder.end().map(frame).join('');
}
