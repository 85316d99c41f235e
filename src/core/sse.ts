/** Server-sent events, both directions: one parser for every upstream, one encoder for every ingress. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Maps an upstream's SSE events to internal chunks (one per provider dialect). */
export interface SSETranslator<C> {
  /** Adds the chunks one event makes to `batch`; true when it was the stream's last event. Throws for errors. */
  event(message: EventSourceMessage, batch: C[]): boolean;
  /** The input ended without a last event: add any closing chunks to `batch`, or throw if the stream was cut. */
  end(batch: C[]): void;
}

/**
 * Drives a reader over an SSE byte stream, one batch per network read, decoding UTF-8 split across reads: `feed`
 * reads a piece of text (and throws for a stream that failed), `drain` hands over and clears the items completed so
 * far. Items a read completed before a failure are handed out before the failure is thrown. Stops reading once
 * `ended()`; the result says whether the stream ended itself (its last event) rather than by running out of input.
 */
export async function* batchesPerRead<C>(
  body: AsyncIterable<Uint8Array>,
  feed: (text: string) => void,
  drain: () => C[],
  ended: () => boolean,
): AsyncGenerator<C[], boolean> {
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    yield* readOnce(decoder.decode(bytes, { stream: true }), feed, drain);
    if (ended()) return true;
  }
  // Flushes the decoder. A final event without its blank-line terminator is incomplete; the readers drop it.
  yield* readOnce(decoder.decode(), feed, drain);
  return ended();
}

/** One read: its completed items (if any), then its failure (if any). */
function* readOnce<C>(text: string, feed: (text: string) => void, drain: () => C[]): Generator<C[]> {
  let failure: { error: unknown } | undefined;
  try {
    feed(text);
  } catch (error) {
    failure = { error };
  }
  const completed = drain();
  if (completed.length > 0) yield completed;
  if (failure !== undefined) throw failure.error;
}

/**
 * An SSE byte stream as batches of chunks, one batch per network read (`ChunkStream` in core/provider.ts): the
 * chunks of the events a read completed, in order; none waits for a later read. Works for any chunking of the
 * input, including split UTF-8. Chunks that came before a failure in the same read are handed out before the
 * failure is thrown.
 */
export async function* translateSSE<C>(body: AsyncIterable<Uint8Array>, translator: SSETranslator<C>): AsyncGenerator<C[]> {
  let batch: C[] = [];
  let ended = false;
  const parser = createParser({
    onEvent: (message) => {
      if (!ended) ended = translator.event(message, batch);
    },
  });
  const drain = (): C[] => {
    const completed = batch;
    batch = [];
    return completed;
  };
  if (yield* batchesPerRead(body, (text) => parser.feed(text), drain, () => ended)) return;
  translator.end(batch);
  if (batch.length > 0) yield batch;
}

/** `data: <json>\n\n`, optionally with a named event (Anthropic's dialect). */
export function encodeSSE(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}
