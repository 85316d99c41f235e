/**
 * OpenAI-dialect SSE relayed to an OpenAI-dialect client (`ProviderAdapter.relayChat`): a frame the gateway would
 * not change goes out as the upstream's own text, and only the frames that matter are parsed — usage (cost, and
 * the client's `include_usage`), finish reasons (engine aliases, and the finish bookkeeping), errors, and
 * whatever an engine quirk rewrites. Parsing one JSON frame and encoding it again cost more than the rest of
 * the stream's path together.
 */
import { createParser } from 'eventsource-parser';
import { RawFrame, type Relayed } from '../../core/provider.js';
import { OpenAIStreamChecks } from './stream.js';

const dataPrefix = 'data: ';
/** A frame's one choice in OpenAI's and the engines' compact form; other spellings are parsed, not relayed. */
const choicePrefix = '"choices":[{"index":';
const indexOffset = choicePrefix.indexOf('"index"');

/** Whether `key` (a quoted JSON key found at `at`) has the value `null`. */
function isNullAt(text: string, at: number, key: string): boolean {
  let position = at + key.length;
  while (text.charCodeAt(position) === 32) position += 1;
  if (text.charCodeAt(position) !== 58 /* : */) return false;
  position += 1;
  while (text.charCodeAt(position) === 32) position += 1;
  return text.startsWith('null', position);
}

function hasNullValue(text: string, key: string): boolean {
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) if (isNullAt(text, at, key)) return true;
  return false;
}

/**
 * The choice index of a frame the gateway would relay unchanged, or -1 when the frame must be parsed. Substring
 * tests only (a key cannot match inside a JSON string, where its quotes are escaped); a wrong -1 just costs a
 * parse. Relayed: one `data: {…}` line holding one choice (one `"index"`, so no tool calls either) whose
 * finish reason is null, with no `"usage"`, no `"error"` and no null `system_fingerprint` (dropped for engines).
 * `frame` ends with its blank line and has no `\r`.
 */
export function unchangedChoiceIndex(frame: string): number {
  const close = frame.length - 3;
  if (!frame.startsWith(dataPrefix) || frame.charCodeAt(dataPrefix.length) !== 123 /* { */ || frame.charCodeAt(close) !== 125 /* } */) return -1;
  if (frame.indexOf('\n') !== close + 1) return -1;
  if (frame.includes('"usage"') || frame.includes('"error"')) return -1;
  const choices = frame.indexOf(choicePrefix);
  if (choices < 0 || frame.indexOf('"index"') !== choices + indexOffset || frame.includes('"index"', choices + choicePrefix.length)) return -1;
  const finish = frame.indexOf('"finish_reason"');
  if (finish < 0 || frame.includes('"finish_reason"', finish + 1) || !isNullAt(frame, finish, '"finish_reason"')) return -1;
  if (hasNullValue(frame, '"system_fingerprint"')) return -1;
  let position = choices + choicePrefix.length;
  let index = 0;
  const first = position;
  for (let digit = frame.charCodeAt(position) - 48; digit >= 0 && digit <= 9; digit = frame.charCodeAt(position) - 48) {
    index = index * 10 + digit;
    position += 1;
  }
  const next = frame.charCodeAt(position);
  return position > first && (next === 44 /* , */ || next === 125) /* } */ ? index : -1;
}

/**
 * Each read's frames (a `ChunkStream` of `Relayed` items), checked and ended exactly as `readOpenAIStream`.
 * Frames split on `\n\n`; a stream that uses `\r` line endings is handed to the full SSE parser instead, as are
 * frames this splitter does not read itself (comments, named events, several lines).
 */
export async function* relayOpenAIStream<T>(
  provider: string,
  body: AsyncIterable<Uint8Array>,
  normalize: (payload: T) => T,
  parseAll: boolean,
): AsyncGenerator<Relayed<T>[]> {
  const checks = new OpenAIStreamChecks<T>(provider, normalize);
  const decoder = new TextDecoder();
  let batch: Relayed<T>[] = [];
  let ended = false;
  /** Adds one event's chunk to the batch; true on `[DONE]`. */
  const event = (data: string, name: string | undefined): boolean => {
    const read = checks.event(data, name);
    if (read === 'done') return true;
    if (read !== 'empty') batch.push(read.chunk);
    return false;
  };
  const parser = createParser({
    onEvent: (message) => {
      if (!ended) ended = event(message.data, message.event);
    },
  });
  /** One complete frame, its blank line included; true when it ended the stream. */
  const frame = (sse: string): boolean => {
    const index = unchangedChoiceIndex(sse);
    if (index >= 0) {
      if (!parseAll) {
        checks.unfinished(index);
        batch.push(new RawFrame<T>(sse));
        return false;
      }
      const read = checks.event(sse.slice(dataPrefix.length, -2), undefined);
      if (read === 'done' || read === 'empty') return read === 'done';
      batch.push(new RawFrame(sse, read.chunk));
      return false;
    }
    if (sse.startsWith('data:') && sse.indexOf('\n') === sse.length - 2) return event(sse.slice(sse.charCodeAt(5) === 32 ? 6 : 5, -2), undefined);
    parser.feed(sse);
    return ended;
  };
  let pending = '';
  let splitting = true;
  /** Reads `text`: the items it completed, and the failure if a frame threw. */
  const take = (text: string): { completed: Relayed<T>[]; failure?: { error: unknown } } => {
    let failure: { error: unknown } | undefined;
    try {
      if (splitting && text.includes('\r')) {
        splitting = false;
        text = pending + text;
        pending = '';
      }
      if (!splitting) {
        parser.feed(text);
      } else {
        pending += text;
        let start = 0;
        for (let end = pending.indexOf('\n\n'); end >= 0 && !ended; end = pending.indexOf('\n\n', start)) {
          const sse = pending.slice(start, end + 2);
          start = end + 2;
          if (sse !== '\n\n' && frame(sse)) ended = true;
        }
        if (start > 0) pending = pending.slice(start);
      }
    } catch (error) {
      failure = { error };
    }
    const completed = batch;
    batch = [];
    return { completed, failure };
  };
  for await (const bytes of body) {
    const { completed, failure } = take(decoder.decode(bytes, { stream: true }));
    if (completed.length > 0) yield completed;
    if (failure !== undefined) throw failure.error;
    if (ended) return;
  }
  // Flushes the decoder. A final frame without its blank line is incomplete and dropped, as the SSE parser does.
  const { completed, failure } = take(decoder.decode());
  if (completed.length > 0) yield completed;
  if (failure !== undefined) throw failure.error;
  if (ended) return;
  checks.end();
}
