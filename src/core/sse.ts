/** Server-sent events, both directions: one parser for every upstream, one encoder for every ingress. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Maps an upstream's SSE events to internal chunks (one per provider dialect). */
export interface SSETranslator<C> {
  /** Adds the chunks one event makes to `batch`; true when it was the stream's last event. Throws for errors. */
  event(message: EventSourceMessage, batch: C[]): boolean;
  /** The input ended without a last event: add any closing chunks to `batch`, or throw if the stream was cut. */
  end(batch: C[]): void;
}

/** What a reader made of one piece of decoded text: the items it completed, and the failure it met, if any. */
export interface TextRead<C> {
  completed: C[];
  failure?: { error: unknown };
}

/**
 * Drives a reader over an SSE byte stream, one batch per network read, decoding UTF-8 split across reads. Items a
 * read completed before a failure are handed out before the failure is thrown. Stops reading once `ended()`; the
 * result says whether the stream ended itself (its last event) rather than by running out of input.
 */
export async function* batchesPerRead<C>(
  body: AsyncIterable<Uint8Array>,
  read: (text: string) => TextRead<C>,
  ended: () => boolean,
): AsyncGenerator<C[], boolean> {
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    const { completed, failure } = read(decoder.decode(bytes, { stream: true }));
    if (completed.length > 0) yield completed;
    if (failure !== undefined) throw failure.error;
    if (ended()) return true;
  }
  // Flushes the decoder. A final event without its blank-line terminator is incomplete; the readers drop it.
  const { completed, failure } = read(decoder.decode());
  if (completed.length > 0) yield completed;
  if (failure !== undefined) throw failure.error;
  return ended();
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
  /** Parses `text`: the chunks it completed, and the translator's failure if it threw. */
  const take = (text: string): TextRead<C> => {
    let failure: { error: unknown } | undefined;
    try {
      parser.feed(text);
    } catch (error) {
      failure = { error };
    }
    const completed = batch;
    batch = [];
    return { completed, failure };
  };
  if (yield* batchesPerRead(body, take, () => ended)) return;
  translator.end(batch);
  if (batch.length > 0) yield batch;
}

/** `data: <json>\n\n`, optionally with a named event (Anthropic's dialect). */
export function encodeSSE(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}
