/** Server-sent events, both directions: one parser for every upstream, one encoder for every ingress. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Parses an SSE byte stream. Yields, per network read, the events that read completed, in order (a read that
 * completes none yields nothing): the events of one read travel on together, and none waits for a later read.
 * Works for any chunking of the input, including split UTF-8.
 */
export async function* parseSSE(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage[]> {
  const decoder = new TextDecoder();
  let events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => events.push(message) });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (events.length === 0) continue;
    const completed = events;
    events = [];
    yield completed;
  }
  parser.feed(decoder.decode());
  // A final event without its blank-line terminator is incomplete; parsers drop it, so do we.
  if (events.length > 0) yield events;
}

/** Maps an upstream's SSE events to internal chunks (one per provider dialect). */
export interface SSETranslator<C> {
  /** Adds the chunks one event makes to `batch`; true when it was the stream's last event. Throws for errors. */
  event(message: EventSourceMessage, batch: C[]): boolean;
  /** The input ended without a last event: add any closing chunks to `batch`, or throw if the stream was cut. */
  end(batch: C[]): void;
}

/**
 * An SSE byte stream as batches of chunks, one batch per network read (`ChunkStream` in core/provider.ts).
 * Chunks that came before a failure in the same read are handed out before the failure is thrown.
 */
export async function* translateSSE<C>(body: AsyncIterable<Uint8Array>, translator: SSETranslator<C>): AsyncGenerator<C[]> {
  for await (const messages of parseSSE(body)) {
    const batch: C[] = [];
    let ended = false;
    let failure: { error: unknown } | undefined;
    try {
      for (const message of messages) {
        ended = translator.event(message, batch);
        if (ended) break;
      }
    } catch (error) {
      failure = { error };
    }
    if (batch.length > 0) yield batch;
    if (failure !== undefined) throw failure.error;
    if (ended) return;
  }
  const batch: C[] = [];
  translator.end(batch);
  if (batch.length > 0) yield batch;
}

/** `data: <json>\n\n`, optionally with a named event (Anthropic's dialect). */
export function encodeSSE(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}
