/**
 * Gemini SSE (`streamGenerateContent?alt=sse`) → internal chunks. Each event is a whole GenerateContentResponse
 * fragment: text parts are deltas, function calls arrive complete, `finishReason` closes a candidate, and
 * `usageMetadata` (repeated, cumulative) is reported once at the end as a usage-only chunk.
 */
import type { ChatChunk, ChatChunkChoice } from '../../core/openai-types.js';
import type { EventSourceMessage } from 'eventsource-parser';
import { translateSSE } from '../../core/sse.js';
import { malformedStreamError, truncatedStreamError, upstreamError } from '../../core/upstream-errors.js';
import { describeGeminiError } from './errors.js';
import {
  blockedPromptError,
  finishReasonOf,
  logprobsOf,
  partsOf,
  responseIdOf,
  toolCallOf,
  usageOf,
} from './response.js';
import type { GeminiResponse, GeminiUsageMetadata } from './wire.js';

interface CandidateState {
  toolCalls: number;
  finished: boolean;
  /** Whether a delta with `role` went out for this choice. */
  announced: boolean;
}

function parseEvent(provider: string, data: string): GeminiResponse {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    throw malformedStreamError(provider, 'data is not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw malformedStreamError(provider, 'data is not an object');
  }
  if ('error' in payload) {
    // Google reports a failure after the 200 as an error envelope in the stream.
    const described = describeGeminiError(payload, 500);
    const code = (payload.error as { code?: unknown } | null)?.code;
    throw upstreamError(provider, { status: typeof code === 'number' ? code : 500, message: described.message, kind: described.kind });
  }
  return payload as GeminiResponse;
}

/** Gemini events → a `ChunkStream` of chat chunks, one batch per network read. */
export function readGeminiStream(provider: string, body: AsyncIterable<Uint8Array>, model: string): AsyncGenerator<ChatChunk[]> {
  const candidates = new Map<number, CandidateState>();
  let usage: GeminiUsageMetadata | undefined;
  let base: Omit<ChatChunk, 'choices'> | undefined;

  function event(message: EventSourceMessage, batch: ChatChunk[]): boolean {
    const data = message.data.trim();
    if (data === '') return false;
    const event = parseEvent(provider, data);
    const blocked = blockedPromptError(provider, event);
    if (blocked !== undefined) throw blocked;
    if (event.usageMetadata !== undefined) usage = event.usageMetadata;
    base ??= {
      id: responseIdOf(event),
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: event.modelVersion ?? model,
    };

    const choices: ChatChunkChoice[] = [];
    for (const [position, candidate] of (event.candidates ?? []).entries()) {
      const index = candidate.index ?? position;
      let state = candidates.get(index);
      if (state === undefined) {
        state = { toolCalls: 0, finished: false, announced: false };
        candidates.set(index, state);
      }
      const { text, calls } = partsOf(candidate);
      // A choice's first delta carries the role, as OpenAI's do. It rides on content from the same event rather
      // than a chunk of its own, so an abort between two reads never finds a buffered chunk still to hand out.
      const choice: ChatChunkChoice = { index, delta: state.announced ? {} : { role: 'assistant' }, finish_reason: null };
      if (text !== '') choice.delta.content = text;
      if (calls.length > 0) {
        const first = state.toolCalls;
        choice.delta.tool_calls = calls.map((call, offset) => ({ index: first + offset, ...toolCallOf(call, first + offset) }));
        state.toolCalls += calls.length;
      }
      const logprobs = logprobsOf(candidate.logprobsResult);
      if (logprobs !== null) choice.logprobs = logprobs;
      if (candidate.finishReason !== undefined && !state.finished) {
        state.finished = true;
        choice.finish_reason = finishReasonOf(candidate.finishReason, state.toolCalls > 0);
      }
      if (text !== '' || calls.length > 0 || choice.finish_reason !== null) {
        state.announced = true;
        choices.push(choice);
      }
    }
    if (choices.length > 0) batch.push({ ...base, choices });
    return false;
  }

  return translateSSE(body, {
    event,
    end(batch) {
      const states = [...candidates.values()];
      if (states.length === 0 || states.some((state) => !state.finished)) throw truncatedStreamError(provider);
      if (usage !== undefined && base !== undefined) batch.push({ ...base, choices: [], usage: usageOf(usage) });
    },
  });
}
