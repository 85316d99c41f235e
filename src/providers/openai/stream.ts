/** OpenAI-dialect SSE → internal chunks, with the checks that turn broken upstream streams into clear errors. */
import type { EventSourceMessage } from 'eventsource-parser';
import { translateSSE } from '../../core/sse.js';
import { malformedStreamError, truncatedStreamError, upstreamError } from '../../core/upstream-errors.js';
import { describeOpenAIError } from './errors.js';

interface ChoiceLike {
  index?: number;
  finish_reason?: string | null;
}

/** What one event's data is: a chunk, nothing (empty data), or the end of the stream (`[DONE]`). */
export type OpenAIEvent<T> = { chunk: T } | 'empty' | 'done';

/**
 * The per-event checks of an OpenAI-dialect stream and the finish bookkeeping that tells a complete stream from
 * a cut one: a stream is complete on `[DONE]`, or at end of input once every choice has a finish reason (some
 * engines omit `[DONE]`); any other end is a truncated stream.
 */
export class OpenAIStreamChecks<T> {
  private readonly open = new Set<number>();
  private finished = 0;

  constructor(
    private readonly provider: string,
    private readonly normalize: (payload: T) => T,
  ) {}

  /** Parses, checks and normalizes one event's data; throws for malformed data and in-band upstream errors. */
  event(rawData: string, eventName: string | undefined): OpenAIEvent<T> {
    const data = rawData.trim();
    if (data === '[DONE]') return 'done';
    if (data === '') return 'empty';
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      throw malformedStreamError(this.provider, 'data is not JSON');
    }
    if (payload === null || typeof payload !== 'object') throw malformedStreamError(this.provider, 'data is not an object');
    const record = payload as Record<string, unknown>;
    if (eventName === 'error' || 'error' in record) {
      // vLLM, SGLang and OpenAI report mid-stream failures as an error payload.
      const described = describeOpenAIError(record, 500);
      throw upstreamError(this.provider, { status: 500, message: described.message || 'stream error', kind: described.kind });
    }
    if (!Array.isArray(record.choices)) throw malformedStreamError(this.provider, 'chunk has no choices array');
    for (const choice of record.choices as ChoiceLike[]) {
      const index = choice.index ?? 0;
      if (choice.finish_reason) {
        if (this.open.delete(index) || !this.open.has(index)) this.finished += 1;
      } else {
        this.open.add(index);
      }
    }
    return { chunk: this.normalize(payload as T) };
  }

  /** A choice seen without a finish reason in a frame that was relayed unparsed. */
  unfinished(index: number): void {
    this.open.add(index);
  }

  /** The input ended without `[DONE]`: throws unless every choice finished. */
  end(): void {
    if (this.open.size > 0 || this.finished === 0) throw truncatedStreamError(this.provider);
  }
}

/** Yields each read's parsed `data:` payloads (a `ChunkStream`), checked as `OpenAIStreamChecks` describes. */
export function readOpenAIStream<T>(
  provider: string,
  body: AsyncIterable<Uint8Array>,
  normalize: (payload: T) => T = (payload) => payload,
): AsyncGenerator<T[]> {
  const checks = new OpenAIStreamChecks<T>(provider, normalize);
  return translateSSE<T>(body, {
    event(message: EventSourceMessage, batch: T[]): boolean {
      const read = checks.event(message.data, message.event);
      if (read === 'done') return true;
      if (read !== 'empty') batch.push(read.chunk);
      return false;
    },
    end() {
      checks.end();
    },
  });
}
