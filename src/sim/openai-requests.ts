/**
 * Turns OpenAI chat and completions bodies into engine requests: validation (the gateway's own request schemas),
 * the served model name, n = 1, prompt tokenisation, the output limit and vLLM's `ignore_eos` extension.
 */
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import { chatRequestSchema, completionRequestSchema, type ChatMessage } from '../core/openai-schema.js';
import { tokenize, tokenizeChat } from './tokenizer.js';

export interface ParsedGeneration {
  kind: 'chat' | 'completion';
  model: string;
  promptTokens: number[];
  maxTokens: number | undefined;
  ignoreEos: boolean;
  seed: number | undefined;
  stream: boolean;
  includeUsage: boolean;
  /** Completions `echo`: the prompt text is returned before the output. */
  echoText: string | undefined;
}

/** vLLM's sampling extensions the simulator honours. */
const vllmExtensions = z.object({ ignore_eos: z.boolean().nullish() });

/** vLLM's default `max_tokens` for /v1/completions (OpenAI's too). */
const completionDefaultMaxTokens = 16;

function invalid(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  const param = issue?.path.join('.') ?? null;
  return new GatewayError('invalid_request', `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid request'}`, { param });
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

function checkModel(requested: string, served: string): void {
  if (requested !== served) throw new GatewayError('model_not_found', `The model \`${requested}\` does not exist.`, { param: 'model' });
}

function checkSingleChoice(n: number | null | undefined): void {
  if (n !== undefined && n !== null && n !== 1) {
    throw new GatewayError('unsupported_parameter', 'the simulated engine returns one choice per request: n must be 1', { param: 'n' });
  }
}

function messageText(message: ChatMessage): string {
  const { content } = message;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) text = content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join('\n');
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) text += `${call.function.name}(${call.function.arguments})`;
  }
  return text;
}

export function parseChatRequest(body: unknown, servedModel: string): ParsedGeneration {
  const request = parseWith(chatRequestSchema, body);
  const extensions = parseWith(vllmExtensions, body);
  checkModel(request.model, servedModel);
  checkSingleChoice(request.n);
  const promptTokens = tokenizeChat(request.messages.map((message) => ({ role: message.role, text: messageText(message) })));
  for (const tool of request.tools ?? []) promptTokens.push(...tokenize(JSON.stringify(tool.function)));
  return {
    kind: 'chat',
    model: request.model,
    promptTokens,
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    ignoreEos: extensions.ignore_eos ?? false,
    seed: request.seed ?? undefined,
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    echoText: undefined,
  };
}

export function parseCompletionRequest(body: unknown, servedModel: string): ParsedGeneration {
  const request = parseWith(completionRequestSchema, body);
  const extensions = parseWith(vllmExtensions, body);
  checkModel(request.model, servedModel);
  checkSingleChoice(request.n);
  if (request.max_tokens === 0) throw new GatewayError('invalid_request', 'max_tokens must be at least 1', { param: 'max_tokens' });
  const { prompt } = request;
  let promptText: string | undefined;
  let promptTokens: number[];
  if (typeof prompt === 'string') {
    promptText = prompt;
    promptTokens = tokenize(prompt);
  } else if (prompt.length === 1 && typeof prompt[0] === 'string') {
    promptText = prompt[0];
    promptTokens = tokenize(prompt[0]);
  } else if (prompt.every((item): item is number => typeof item === 'number')) {
    promptTokens = [...prompt];
  } else if (prompt.length === 1 && Array.isArray(prompt[0])) {
    promptTokens = [...prompt[0]];
  } else {
    throw new GatewayError('unsupported_parameter', 'the simulated engine takes one prompt per request', { param: 'prompt' });
  }
  return {
    kind: 'completion',
    model: request.model,
    promptTokens,
    maxTokens: request.max_tokens === null || request.max_tokens === undefined ? completionDefaultMaxTokens : request.max_tokens,
    ignoreEos: extensions.ignore_eos ?? false,
    seed: request.seed ?? undefined,
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    echoText: request.echo ? (promptText ?? '') : undefined,
  };
}
