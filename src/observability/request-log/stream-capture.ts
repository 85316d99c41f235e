/**
 * A streamed response's body for the request log: the text of its content deltas (and refusals, and legacy
 * completion text) and its tool calls' names and arguments, per choice, accumulated up to `maxBytes` of text.
 * Beyond that nothing more is kept and the body is marked `truncated`. It exists only while `request_log.bodies`
 * is on (dispatch creates it), so a stream with bodies off accumulates nothing.
 */
import type { Usage } from '../../core/openai-types.js';
import { chunkOf, type Relayed } from '../../core/provider.js';

/** What the capture reads off a chunk; chat chunks and legacy completion chunks both have this shape. */
export interface StreamedChunk {
  choices: readonly {
    index: number;
    finish_reason: string | null;
    /** Legacy completions. */
    text?: string;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: readonly { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
  }[];
  usage?: Usage | null;
}

interface CapturedCall {
  id?: string;
  name: string;
  arguments: string;
}

interface CapturedChoice {
  index: number;
  content: string;
  refusal?: string;
  tool_calls?: CapturedCall[];
  finish_reason: string | null;
}

export class StreamCapture {
  private readonly choices = new Map<number, CapturedChoice>();
  private usage: Usage | undefined;
  private room: number;
  private truncated = false;

  constructor(maxBytes: number) {
    this.room = maxBytes;
  }

  /** A relayed stream is opened with `parseAll` while capturing, so every item has its chunk. */
  add(batch: readonly Relayed<StreamedChunk>[]): void {
    for (const item of batch) {
      const chunk = chunkOf(item);
      if (chunk === undefined) continue;
      if (chunk.usage) this.usage = chunk.usage;
      for (const choice of chunk.choices) {
        const captured = this.choiceAt(choice.index);
        if (choice.finish_reason !== null) captured.finish_reason = choice.finish_reason;
        if (this.truncated) continue;
        if (choice.text) captured.content += this.take(choice.text);
        const delta = choice.delta;
        if (delta === undefined) continue;
        if (delta.content) captured.content += this.take(delta.content);
        if (delta.refusal) captured.refusal = (captured.refusal ?? '') + this.take(delta.refusal);
        for (const call of delta.tool_calls ?? []) {
          const calls = (captured.tool_calls ??= []);
          const target = (calls[call.index] ??= { name: '', arguments: '' });
          if (call.id !== undefined) target.id = call.id;
          if (call.function?.name) target.name += this.take(call.function.name);
          if (call.function?.arguments) target.arguments += this.take(call.function.arguments);
        }
      }
    }
  }

  /** The body as JSON, for redaction like any other body. */
  json(): string {
    return JSON.stringify({
      object: 'stream',
      choices: [...this.choices.values()],
      ...(this.usage === undefined ? {} : { usage: this.usage }),
      truncated: this.truncated,
    });
  }

  private choiceAt(index: number): CapturedChoice {
    let choice = this.choices.get(index);
    if (choice === undefined) {
      choice = { index, content: '', finish_reason: null };
      this.choices.set(index, choice);
    }
    return choice;
  }

  /** As much of `text` as there is room for; past the limit, nothing, and the body is marked truncated. */
  private take(text: string): string {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= this.room) {
      this.room -= bytes;
      return text;
    }
    this.truncated = true;
    // Characters stand in for bytes here (never fewer); the logged body is cut to `max_body_bytes` exactly later.
    const kept = text.slice(0, this.room);
    this.room = 0;
    return kept;
  }
}
