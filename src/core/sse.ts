/** Server-sent events, both directions: one parser for every upstream, one encoder for every ingress. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Parses an SSE byte stream into messages. Works for any chunking of the input, including split UTF-8. */
export async function* parseSSE(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => pending.push(message) });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    while (pending.length > 0) yield pending.shift() as EventSourceMessage;
  }
  parser.feed(decoder.decode());
  // A final event without its blank-line terminator is incomplete; parsers drop it, so do we.
  while (pending.length > 0) yield pending.shift() as EventSourceMessage;
}

/** `data: <json>\n\n`, optionally with a named event (Anthropic's dialect). */
export function encodeSSE(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}
