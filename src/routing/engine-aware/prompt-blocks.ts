/**
 * The prompt as prefix-affinity sees it: the request rendered to text (roles and message text in order, the
 * way chat templates lay them out), cut into fixed-size blocks, each block's hash chained to the one before, so
 * that equal hashes at position i mean equal prompts up to the end of block i, as in an engine's prefix cache.
 * Only full blocks count (engines cache full blocks too), and only the first `maxBlocks`: the cost per request
 * is bounded whatever the prompt's length.
 */
import type { ChatMessage, ChatRequest, CompletionRequest } from '../../core/openai-schema.js';

export type PromptRequest = ChatRequest | CompletionRequest;

export interface PromptBlockOptions {
  blockChars: number;
  maxBlocks: number;
}

/** Chained hashes of the prompt's leading full blocks; empty when the prompt is shorter than one block. */
export function promptBlockHashes(request: PromptRequest, options: PromptBlockOptions): number[] {
  const limit = options.blockChars * options.maxBlocks;
  const text = renderPrompt(request, limit);
  const hashes: number[] = [];
  let previous = 0;
  for (let start = 0; start + options.blockChars <= text.length && hashes.length < options.maxBlocks; start += options.blockChars) {
    previous = hashBlock(text, start, start + options.blockChars, previous);
    hashes.push(previous);
  }
  return hashes;
}

/** The prompt's text up to `limit` characters. */
export function renderPrompt(request: PromptRequest, limit: number): string {
  const parts = new BoundedText(limit);
  if (isChatRequest(request)) {
    if (request.tools !== undefined && request.tools !== null) parts.add(`tools\n${JSON.stringify(request.tools)}\n`);
    for (const message of request.messages) {
      if (parts.full) break;
      parts.add(`${message.role}\n`);
      parts.add(messageText(message));
      parts.add('\n');
    }
  } else {
    parts.add(completionPromptText(request.prompt));
  }
  return parts.text();
}

function isChatRequest(request: PromptRequest): request is ChatRequest {
  return Array.isArray((request as Partial<ChatRequest>).messages);
}

function messageText(message: ChatMessage): string {
  const { content } = message;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text') text += part.text;
      else if (part.type === 'refusal') text += part.refusal;
      else if (part.type === 'image_url') text += `[image ${part.image_url.url.slice(0, 256)}]`;
      else text += `[${part.type}]`;
    }
  }
  if (message.role === 'assistant' && message.tool_calls !== undefined) {
    for (const call of message.tool_calls) text += `\n${call.function.name}(${call.function.arguments})`;
  }
  return text;
}

/** A batch of prompts is routed by its first; token prompts by their token ids. */
function completionPromptText(prompt: CompletionRequest['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  const first = prompt[0];
  if (first === undefined) return '';
  if (typeof first === 'string') return first;
  if (typeof first === 'number') return (prompt as number[]).join(',');
  return first.join(',');
}

/** Collects strings until `limit` characters, then ignores the rest. */
class BoundedText {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.length >= this.limit;
  }

  add(part: string): void {
    if (this.full || part.length === 0) return;
    const kept = part.length <= this.limit - this.length ? part : part.slice(0, this.limit - this.length);
    this.parts.push(kept);
    this.length += kept.length;
  }

  text(): string {
    return this.parts.join('');
  }
}

/**
 * A 53-bit hash (cyrb53) of `text[start, end)` seeded with the previous block's hash. Not cryptographic: a
 * collision only makes one request prefer a deployment it did not need to, and the inputs are the caller's own.
 */
export function hashBlock(text: string, start: number, end: number, seed: number): number {
  const seedLow = seed % 0x1_0000_0000;
  const seedHigh = Math.floor(seed / 0x1_0000_0000);
  let h1 = 0xdeadbeef ^ seedLow;
  let h2 = 0x41c6ce57 ^ seedHigh;
  for (let i = start; i < end; i++) {
    const char = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ char, 2654435761);
    h2 = Math.imul(h2 ^ char, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 0x1_0000_0000 * ((h2 >>> 0) & 0x1f_ffff) + (h1 >>> 0);
}
