/** What the simulated model will answer to a chat request: text, JSON or tool calls, per choice. */
import type { ChatMessage, ChatRequest, Tool } from '../../core/openai-schema.js';
import type { FinishReason } from '../../core/openai-types.js';
import { createRandom, estimateTokens, generateTokens, hashString, sampleFromSchema } from './generate.js';

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface PlannedChoice {
  /** Content split into tokens, as they will stream. */
  tokens: string[];
  toolCalls: PlannedToolCall[];
  finishReason: FinishReason;
}

export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => ('text' in part ? part.text : '')).join(' ');
}

export function promptTokens(request: ChatRequest): number {
  let total = 0;
  for (const message of request.messages) {
    total += 4 + estimateTokens(messageText(message));
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) total += estimateTokens(call.function.name + call.function.arguments);
    }
  }
  for (const tool of request.tools ?? []) total += estimateTokens(JSON.stringify(tool.function));
  return total + 3;
}

function chooseTool(request: ChatRequest): Tool | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === 'none') return undefined;
  const last = request.messages[request.messages.length - 1];
  if (typeof choice === 'object') return tools.find((tool) => tool.function.name === choice.function.name);
  if (choice === 'required') return tools[0];
  // auto: call a tool when the user's last message names it, and not right after a tool result.
  if (last === undefined || last.role !== 'user') return undefined;
  const text = messageText(last).toLowerCase();
  return tools.find((tool) => text.includes(tool.function.name.toLowerCase()));
}

/** Splits text into stream tokens of about four characters, keeping the exact text when joined. */
export function tokenize(text: string): string[] {
  return text.match(/.{1,4}/gs) ?? [];
}

function applyStop(tokens: string[], stop: string[]): { tokens: string[]; stopped: boolean } {
  if (stop.length === 0) return { tokens, stopped: false };
  const text = tokens.join('');
  let cut = -1;
  for (const sequence of stop) {
    const at = text.indexOf(sequence);
    if (sequence !== '' && at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  if (cut < 0) return { tokens, stopped: false };
  const kept: string[] = [];
  let length = 0;
  for (const token of tokens) {
    if (length + token.length > cut) {
      if (cut > length) kept.push(token.slice(0, cut - length));
      break;
    }
    kept.push(token);
    length += token.length;
  }
  return { tokens: kept, stopped: true };
}

export function planChat(request: ChatRequest, defaultMaxTokens: number): PlannedChoice[] {
  const seedText = JSON.stringify(request.messages) + String(request.seed ?? '');
  const limit = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const stop = request.stop == null ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
  const choices: PlannedChoice[] = [];
  for (let index = 0; index < (request.n ?? 1); index++) {
    const random = createRandom(hashString(seedText, index + 1));
    const tool = chooseTool(request);
    if (tool !== undefined) {
      const calls = [tool].map((chosen, i) => ({
        id: `call_${hashString(seedText + chosen.function.name, i).toString(36)}${index}`,
        name: chosen.function.name,
        arguments: JSON.stringify(sampleFromSchema(chosen.function.parameters, random)),
      }));
      choices.push({ tokens: [], toolCalls: calls, finishReason: 'tool_calls' });
      continue;
    }
    let tokens: string[];
    const format = request.response_format;
    if (format?.type === 'json_object') {
      tokens = tokenize(JSON.stringify({ answer: generateTokens(random, 8).join('') }));
    } else if (format?.type === 'json_schema') {
      const schema = format.json_schema.schema ?? { type: 'object' };
      tokens = tokenize(JSON.stringify(sampleFromSchema(schema, random)));
    } else {
      const natural = 8 + Math.floor(random() * Math.max(1, defaultMaxTokens - 8));
      tokens = generateTokens(random, Math.min(natural, limit ?? natural));
    }
    const stopped = applyStop(tokens, stop);
    tokens = stopped.tokens;
    let finishReason: FinishReason = 'stop';
    if (!stopped.stopped && limit !== undefined && tokens.length > limit) {
      tokens = tokens.slice(0, limit);
      finishReason = 'length';
    } else if (!stopped.stopped && limit !== undefined && tokens.length === limit && format === undefined) {
      finishReason = 'length';
    }
    choices.push({ tokens, toolCalls: [], finishReason });
  }
  return choices;
}

export function completionTokens(choices: PlannedChoice[]): number {
  return choices.reduce(
    (sum, choice) =>
      sum + choice.tokens.length + choice.toolCalls.reduce((calls, call) => calls + estimateTokens(call.arguments) + 4, 0),
    0,
  );
}
