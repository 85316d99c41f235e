/**
 * Bodies the OpenAI mock upstream sends, shaped as OpenAI (specs/openai-openapi.yaml) and, where they differ, as
 * vLLM and TGI send them: error envelopes, finish reasons, stream chunks, embeddings and models.
 */
import type { Reply } from './mock-server.js';
import { MOCK_USAGE } from './mock-upstream.js';

/** Whose error envelope and finish reasons the mock speaks. */
export type OpenAIMockEngine = 'openai' | 'vllm' | 'tgi';

export const usage = {
  prompt_tokens: MOCK_USAGE.input,
  completion_tokens: MOCK_USAGE.output,
  total_tokens: MOCK_USAGE.input + MOCK_USAGE.output,
};

const openAITypeByStatus: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'requests',
};

// vLLM names its error types after the HTTP exception classes it raises.
const vllmTypeByStatus: Record<number, string> = {
  400: 'BadRequestError',
  401: 'Unauthorized',
  404: 'NotFoundError',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

const tgiTypeByStatus: Record<number, string> = { 422: 'validation', 424: 'generation', 429: 'overloaded' };

/** The engine's error body for `status`; OpenAI's `{ error: { message, type, param, code } }` by default. */
export function errorBody(
  engine: OpenAIMockEngine,
  status: number,
  message: string,
  detail: { param?: string | null; code?: string | null } = {},
): unknown {
  if (engine === 'tgi') return { error: message, error_type: tgiTypeByStatus[status] ?? (status >= 500 ? 'incomplete_generation' : 'validation') };
  if (engine === 'vllm') {
    return { error: { message, type: vllmTypeByStatus[status] ?? 'InternalServerError', param: detail.param ?? null, code: status } };
  }
  const type = openAITypeByStatus[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  const code = detail.code !== undefined ? detail.code : status === 429 ? 'rate_limit_exceeded' : null;
  return { error: { message, type, param: detail.param ?? null, code } };
}

/** How each engine refuses a prompt over the context window (status and body, verbatim in form). */
export function contextLengthReply(engine: OpenAIMockEngine): Reply {
  if (engine === 'tgi') {
    return {
      status: 422,
      body: {
        error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`',
        error_type: 'validation',
      },
    };
  }
  if (engine === 'vllm') {
    const message =
      "This model's maximum context length is 4096 tokens. However, you requested 4596 tokens (4096 in the messages, 500 in the completion). Please reduce the length of the messages or completion.";
    return { status: 400, body: errorBody('vllm', 400, message, { param: 'messages' }) };
  }
  const message =
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.";
  return { status: 400, body: errorBody('openai', 400, message, { param: 'messages', code: 'context_length_exceeded' }) };
}

/** TGI reports the end-of-sequence token as `eos_token` where OpenAI says `stop`. */
export function stopReason(engine: OpenAIMockEngine): string {
  return engine === 'tgi' ? 'eos_token' : 'stop';
}

/** Splits text into stream deltas, roughly one word each, that join back to the exact text. */
export function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}

export interface ToolCallPlan {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatPlan {
  id: string;
  model: string;
  created: number;
  /** Text answer (null with a tool call). */
  text: string | null;
  toolCall: ToolCallPlan | null;
  finishReason: string;
  n: number;
  logprobs: boolean;
}

function tokenLogprobs(tokens: string[]) {
  return {
    content: tokens.map((token, i) => ({
      token,
      logprob: -0.25 * (i + 1),
      bytes: [...Buffer.from(token)],
      top_logprobs: [{ token, logprob: -0.25 * (i + 1), bytes: [...Buffer.from(token)] }],
    })),
    refusal: null,
  };
}

export function chatCompletion(plan: ChatPlan): Record<string, unknown> {
  const message = {
    role: 'assistant',
    content: plan.text,
    refusal: null,
    annotations: [],
    ...(plan.toolCall
      ? { tool_calls: [{ id: plan.toolCall.id, type: 'function', function: { name: plan.toolCall.name, arguments: plan.toolCall.arguments } }] }
      : {}),
  };
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: Array.from({ length: plan.n }, (_, index) => ({
      index,
      message,
      logprobs: plan.logprobs && plan.text !== null ? tokenLogprobs(pieces(plan.text)) : null,
      finish_reason: plan.finishReason,
    })),
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

/**
 * vLLM serialises its non-stream pydantic models whole: unset optionals arrive as `null` (some where OpenAI's
 * schema forbids null), `tool_calls` as `[]`, and it adds fields of its own.
 */
export function asVllmCompletion(body: Record<string, unknown>): unknown {
  const choices = (body.choices as Record<string, unknown>[]).map((choice) => {
    const message = choice.message as Record<string, unknown>;
    return { ...choice, stop_reason: null, message: { tool_calls: [], reasoning_content: null, ...message, annotations: null, audio: null, function_call: null } };
  });
  return {
    ...body,
    choices,
    system_fingerprint: null,
    service_tier: null,
    prompt_logprobs: null,
    kv_transfer_params: null,
    usage: { ...usage, prompt_tokens_details: null },
  };
}

/**
 * The chunks of a streamed chat completion: a role delta, content (or tool call) deltas, a finish delta per
 * choice, and with `include_usage` a final `choices: []` usage chunk while every other chunk has `usage: null`.
 * `cutAfter` stops after that many content deltas (for broken-stream scenarios).
 */
export function chatChunks(plan: ChatPlan, includeUsage: boolean, cutAfter?: number): unknown[] {
  const base = { id: plan.id, object: 'chat.completion.chunk', created: plan.created, model: plan.model, service_tier: 'default', system_fingerprint: 'fp_mock' };
  const chunk = (choices: unknown[]) => ({ ...base, choices, ...(includeUsage ? { usage: null } : {}) });
  const indices = Array.from({ length: plan.n }, (_, index) => index);
  const out: unknown[] = indices.map((index) =>
    chunk([{ index, delta: { role: 'assistant', content: plan.toolCall ? null : '', refusal: null }, logprobs: null, finish_reason: null }]),
  );
  const deltas: ((index: number) => unknown)[] = [];
  if (plan.toolCall) {
    const { id, name, arguments: args } = plan.toolCall;
    deltas.push((index) => ({ index, delta: { tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }, logprobs: null, finish_reason: null }));
    for (const part of args.match(/.{1,6}/gs) ?? []) {
      deltas.push((index) => ({ index, delta: { tool_calls: [{ index: 0, function: { arguments: part } }] }, logprobs: null, finish_reason: null }));
    }
  } else {
    for (const part of pieces(plan.text ?? '')) {
      const logprobs = plan.logprobs ? tokenLogprobs([part]) : null;
      deltas.push((index) => ({ index, delta: { content: part }, logprobs, finish_reason: null }));
    }
  }
  for (const [step, delta] of deltas.entries()) {
    if (cutAfter !== undefined && step >= cutAfter) return out;
    for (const index of indices) out.push(chunk([delta(index)]));
  }
  if (cutAfter !== undefined) return out;
  for (const index of indices) out.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: plan.finishReason }]));
  if (includeUsage) out.push({ ...base, choices: [], usage });
  return out;
}

export function textCompletion(id: string, model: string, created: number, text: string, finishReason: string): unknown {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    usage,
    system_fingerprint: 'fp_mock',
  };
}

/** Legacy completions stream the same object shape as the final answer, one text piece per chunk. */
export function completionChunks(id: string, model: string, created: number, text: string, finishReason: string, includeUsage: boolean): unknown[] {
  const base = { id, object: 'text_completion', created, model, system_fingerprint: 'fp_mock' };
  const out: unknown[] = pieces(text).map((part) => ({ ...base, choices: [{ index: 0, text: part, logprobs: null, finish_reason: null }] }));
  out.push({ ...base, choices: [{ index: 0, text: '', logprobs: null, finish_reason: finishReason }] });
  if (includeUsage) out.push({ ...base, choices: [], usage });
  return out;
}

/** A deterministic unit vector per text, so tests can compare float and base64 encodings of the same input. */
export function vectorFor(text: string, dimensions: number): number[] {
  let state = 7;
  for (const char of text) state = (state * 31 + char.charCodeAt(0)) >>> 0;
  const raw = Array.from({ length: dimensions }, (_, i) => Math.sin(state + i * 1.7));
  const norm = Math.sqrt(raw.reduce((sum, value) => sum + value * value, 0)) || 1;
  // Round through float32 so the float and base64 answers carry exactly the same numbers.
  return [...new Float32Array(raw.map((value) => value / norm))];
}

export function embeddingList(model: string, inputs: string[], dimensions: number, base64: boolean): unknown {
  return {
    object: 'list',
    model,
    data: inputs.map((text, index) => {
      const vector = vectorFor(text, dimensions);
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    }),
    usage: { prompt_tokens: MOCK_USAGE.input, total_tokens: MOCK_USAGE.input },
  };
}

export function modelObject(id: string): unknown {
  return { id, object: 'model', created: 1_700_000_000, owned_by: 'mock' };
}
