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
import { batchesPerRead } from '../../core/sse.js';

const dataPrefix = 'data: ';
/** The only spelling of a choice's start that is relayed: OpenAI's and the engines' compact form. */
const choiceStart = '"choices":[{';
/**
 * A null usage right after the one choice closed, so certainly the chunk's own member: OpenAI sends it on every
 * chunk once usage was asked for (and the gateway always asks).
 */
const nullUsageAfterChoice = '"finish_reason":null}],"usage":null';
const usageOffset = nullUsageAfterChoice.indexOf('"usage"');
/** Every JSON key the test must see. A key cannot match inside a JSON string, where its quotes are escaped. */
const keysToCheck = /"(?:usage|error|index|finish_reason|system_fingerprint)"/g;

/** Where the value of the key that ends at `afterKey` starts, when it is `null`; -1 otherwise. */
function nullValueAt(text: string, afterKey: number): number {
  let position = afterKey;
  while (text.charCodeAt(position) === 32) position += 1;
  if (text.charCodeAt(position) !== 58 /* : */) return -1;
  position += 1;
  while (text.charCodeAt(position) === 32) position += 1;
  return text.startsWith('null', position) ? position : -1;
}

/** The non-negative integer right after `"index":`, or -1. */
function indexValue(text: string, afterKey: number): number {
  if (text.charCodeAt(afterKey) !== 58 /* : */) return -1;
  let position = afterKey + 1;
  let index = 0;
  for (let digit = text.charCodeAt(position) - 48; digit >= 0 && digit <= 9; digit = text.charCodeAt(position) - 48) {
    index = index * 10 + digit;
    position += 1;
  }
  const next = text.charCodeAt(position);
  return position > afterKey + 1 && (next === 44 /* , */ || next === 125) /* } */ ? index : -1;
}

/** What the gateway reads off a frame it relays unparsed. */
export interface RelayableFrame {
  /** The index of the frame's one choice. */
  choice: number;
  /** Where `,"usage":null` starts, -1 when absent (see `RawFrame.forClient`). */
  nullUsageAt: number;
}

/**
 * What a frame the gateway would relay unchanged holds, or undefined when the frame must be parsed (a wrong
 * undefined just costs a parse). Relayed: one `data: {…}` line holding one choice (one `"index"`, so no tool
 * calls either) whose finish reason is null, with no usage but OpenAI's null one, no `"error"` and no null
 * `system_fingerprint` (dropped for engines). One regular-expression pass finds the keys: cheaper than a search
 * per key. `frame` ends with its blank line and has no `\r`.
 */
export function relayableFrame(frame: string): RelayableFrame | undefined {
  const close = frame.length - 3;
  if (!frame.startsWith(dataPrefix) || frame.charCodeAt(dataPrefix.length) !== 123 /* { */ || frame.charCodeAt(close) !== 125 /* } */) return undefined;
  if (frame.indexOf('\n') !== close + 1) return undefined;
  let choice = -1;
  let sawFinishReason = false;
  let nullUsageAt = -1;
  keysToCheck.lastIndex = 0;
  // `test` rather than `exec`: no match array per key. The key's last letter tells which one matched.
  while (keysToCheck.test(frame)) {
    const afterKey = keysToCheck.lastIndex;
    switch (frame.charCodeAt(afterKey - 2)) {
      case 120 /* index */:
        if (choice >= 0 || !frame.startsWith(choiceStart, afterKey - '"index"'.length - choiceStart.length)) return undefined;
        choice = indexValue(frame, afterKey);
        if (choice < 0) return undefined;
        break;
      case 110 /* finish_reason */:
        if (choice < 0 || sawFinishReason || nullValueAt(frame, afterKey) < 0) return undefined;
        sawFinishReason = true;
        break;
      case 101 /* usage */:
        if (nullUsageAt >= 0 || !frame.startsWith(nullUsageAfterChoice, afterKey - '"usage"'.length - usageOffset)) return undefined;
        nullUsageAt = afterKey - '"usage"'.length - 1;
        break;
      case 116 /* system_fingerprint */:
        if (nullValueAt(frame, afterKey) >= 0) return undefined;
        break;
      default /* error */:
        return undefined;
    }
  }
  return sawFinishReason ? { choice, nullUsageAt } : undefined;
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
    const relayable = relayableFrame(sse);
    if (relayable !== undefined) {
      if (!parseAll) {
        checks.unfinished(relayable.choice);
        batch.push(new RawFrame<T>(sse, undefined, relayable.nullUsageAt));
        return false;
      }
      const read = checks.event(sse.slice(dataPrefix.length, -2), undefined);
      if (read === 'done' || read === 'empty') return read === 'done';
      batch.push(new RawFrame(sse, read.chunk, relayable.nullUsageAt));
      return false;
    }
    if (sse.startsWith('data:') && sse.indexOf('\n') === sse.length - 2) return event(sse.slice(sse.charCodeAt(5) === 32 ? 6 : 5, -2), undefined);
    parser.feed(sse);
    return ended;
  };
  let pending = '';
  let splitting = true;
  /** Reads `text` frame by frame; throws when a frame does (the items before it are drained first). */
  const feed = (text: string): void => {
    if (splitting && text.includes('\r')) {
      splitting = false;
      text = pending + text;
      pending = '';
    }
    if (!splitting) {
      parser.feed(text);
      return;
    }
    pending += text;
    let start = 0;
    for (let end = pending.indexOf('\n\n'); end >= 0 && !ended; end = pending.indexOf('\n\n', start)) {
      const sse = pending.slice(start, end + 2);
      start = end + 2;
      if (sse !== '\n\n' && frame(sse)) ended = true;
    }
    if (start > 0) pending = pending.slice(start);
  };
  const drain = (): Relayed<T>[] => {
    const completed = batch;
    batch = [];
    return completed;
  };
  // A final frame without its blank line is incomplete and dropped, as the SSE parser does.
  if (yield* batchesPerRead(body, feed, drain, () => ended)) return;
  checks.end();
}
