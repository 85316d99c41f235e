/**
 * Counting a chat request's input tokens the way OpenAI does (gpt-tokenizer; DESIGN.md §6 token budgets):
 * each message costs 3 tokens of framing plus its role, content and name (a name 1 more), and the reply is
 * primed with 3. Tool calls, tool definitions and a JSON schema count as their text; an image as OpenAI's
 * 85 (low detail) or 765 tokens (a 1024×1024 tile set); audio and file data at 4 characters a token. For models
 * that are not OpenAI's this is an approximation (their tokenizers differ by roughly ±20%).
 *
 * Counting is for limits and trimming only; the provider's reported usage wins for accounting. It costs about
 * 20–50 µs per KB of text on one core, so the hot path first takes `upperBound` (`promptUpperBound` for legacy
 * completions): byte-level BPE never makes more tokens than UTF-8 bytes, so a request whose byte count fits
 * needs no tokenising at all. A legacy completion's prompt is counted as its bare text (no framing); each prompt
 * of an array is its own completion.
 */
import type { ChatMessage, ChatRequest, CompletionRequest } from '../core/openai-schema.js';
import type { TokenEncoding } from '../core/model-limits.js';

export type CountTokens = (text: string) => number;

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
const TOKENS_PER_TOOL_CALL = 4;
const IMAGE_TOKENS = { low: 85, high: 765 } as const;
const DATA_CHARS_PER_TOKEN = 4;

/** Caller text may contain `<|endoftext|>`: it is text, not a special token, and must not throw. */
const asText = { disallowedSpecial: new Set<string>() };

const loaded = new Map<TokenEncoding, Promise<CountTokens>>();

/** The counter for an encoding; its vocabulary (a few MB) is loaded on first use and kept. */
export function tokenCounter(encoding: TokenEncoding): Promise<CountTokens> {
  let counter = loaded.get(encoding);
  if (counter === undefined) {
    const module = encoding === 'cl100k_base' ? import('gpt-tokenizer/encoding/cl100k_base') : import('gpt-tokenizer/encoding/o200k_base');
    counter = module.then(({ countTokens }) => (text: string) => (text === '' ? 0 : countTokens(text, asText)));
    loaded.set(encoding, counter);
  }
  return counter;
}

type Part = Exclude<ChatMessage['content'], string | null | undefined>[number];

/** Tokens a content part adds beyond text (images, audio, files); text goes through `text`. */
function partTokens(part: Part, text: (value: string) => number): number {
  switch (part.type) {
    case 'text':
      return text(part.text);
    case 'refusal':
      return text(part.refusal);
    case 'image_url':
      return part.image_url.detail === 'low' ? IMAGE_TOKENS.low : IMAGE_TOKENS.high;
    case 'input_audio':
      return Math.ceil(part.input_audio.data.length / DATA_CHARS_PER_TOKEN);
    case 'file':
      return Math.ceil((part.file.file_data?.length ?? 0) / DATA_CHARS_PER_TOKEN) + text(part.file.filename ?? '');
  }
}

/** One message's tokens, with `text` counting a string (exactly, or its upper bound). */
function messageTokens(message: ChatMessage, text: (value: string) => number): number {
  let tokens = TOKENS_PER_MESSAGE + text(message.role);
  const { content } = message;
  if (typeof content === 'string') tokens += text(content);
  else if (Array.isArray(content)) for (const part of content) tokens += partTokens(part, text);
  if ('name' in message && message.name !== undefined) tokens += text(message.name) + TOKENS_PER_NAME;
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) tokens += TOKENS_PER_TOOL_CALL + text(call.function.name) + text(call.function.arguments);
    if (message.function_call) tokens += TOKENS_PER_TOOL_CALL + text(message.function_call.name) + text(message.function_call.arguments);
  }
  return tokens;
}

/** Tokens outside the messages: reply priming, tool definitions, a response JSON schema. */
function requestTokens(request: ChatRequest, text: (value: string) => number): number {
  let tokens = REPLY_PRIMING;
  for (const tool of request.tools ?? []) tokens += text(JSON.stringify(tool.function));
  if (request.response_format?.type === 'json_schema') tokens += text(JSON.stringify(request.response_format.json_schema));
  return tokens;
}

export interface ChatTokenCount {
  /** Tokens of each message, in order. */
  messages: number[];
  /** Tokens outside the messages (priming, tools, schema). */
  fixed: number;
  total: number;
}

export function countChatTokens(request: ChatRequest, count: CountTokens): ChatTokenCount {
  const messages = request.messages.map((message) => messageTokens(message, count));
  const fixed = requestTokens(request, count);
  return { messages, fixed, total: fixed + messages.reduce((sum, tokens) => sum + tokens, 0) };
}

/** Token count of one message (a summary the budget stage inserts). */
export function countMessageTokens(message: ChatMessage, count: CountTokens): number {
  return messageTokens(message, count);
}

const utf8Bytes = (value: string) => Buffer.byteLength(value, 'utf8');

/** A cheap bound no exact count exceeds: UTF-8 bytes stand in for tokens. No tokenizer, no allocation per string. */
export function upperBound(request: ChatRequest): number {
  let tokens = requestTokens(request, utf8Bytes);
  for (const message of request.messages) tokens += messageTokens(message, utf8Bytes);
  return tokens;
}

type Prompt = CompletionRequest['prompt'];

/** Tokens of each prompt of a legacy completion: text through `count`, a token array as its length. */
export function countPromptTokens(prompt: Prompt, count: CountTokens): number[] {
  if (typeof prompt === 'string') return [count(prompt)];
  if (prompt.length === 0) return [0];
  if (typeof prompt[0] === 'number') return [prompt.length];
  return (prompt as readonly (string | readonly number[])[]).map((one) => (typeof one === 'string' ? count(one) : one.length));
}

/** The largest prompt's tokens bounded by its UTF-8 bytes (token arrays exactly): no tokenizer. */
export function promptUpperBound(prompt: Prompt): number {
  return Math.max(...countPromptTokens(prompt, utf8Bytes));
}
