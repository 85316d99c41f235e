/** OpenAI-dialect SSE → internal chunks, with the checks that turn broken upstream streams into clear errors. */
import type { EventSourceMessage } from 'eventsource-parser';
import { translateSSE } from '../../core/sse.js';
import { malformedStreamError, truncatedStreamError, upstreamError } from '../../core/upstream-errors.js';
import { describeOpenAIError } from './errors.js';

interface ChoiceLike {
  index?: number;
  finish_reason?: string | null;
}

/**
 * Yields each read's parsed `data:` payloads (a `ChunkStream`). Ends normally on `[DONE]`, or at end of input
 * once every choice has a finish reason (some engines omit `[DONE]`); any other end is a truncated stream.
 */
export function readOpenAIStream<T>(
  provider: string,
  body: AsyncIterable<Uint8Array>,
  normalize: (payload: T) => T = (payload) => payload,
): AsyncGenerator<T[]> {
  const open = new Set<number>();
  let finished = 0;
  return translateSSE<T>(body, {
    event(message: EventSourceMessage, batch: T[]): boolean {
      const data = message.data.trim();
      if (data === '[DONE]') return true;
      if (data === '') return false;
      let payload: unknown;
      try {
        payload = JSON.parse(data);
      } catch {
        throw malformedStreamError(provider, 'data is not JSON');
      }
      if (payload === null || typeof payload !== 'object') throw malformedStreamError(provider, 'data is not an object');
      const record = payload as Record<string, unknown>;
      if (message.event === 'error' || 'error' in record) {
        // vLLM, SGLang and OpenAI report mid-stream failures as an error payload.
        const described = describeOpenAIError(record, 500);
        throw upstreamError(provider, { status: 500, message: described.message || 'stream error', kind: described.kind });
      }
      if (!Array.isArray(record.choices)) throw malformedStreamError(provider, 'chunk has no choices array');
      for (const choice of record.choices as ChoiceLike[]) {
        const index = choice.index ?? 0;
        if (choice.finish_reason) {
          if (open.delete(index) || !open.has(index)) finished += 1;
        } else {
          open.add(index);
        }
      }
      batch.push(normalize(payload as T));
      return false;
    },
    end() {
      if (open.size > 0 || finished === 0) throw truncatedStreamError(provider);
    },
  });
}
