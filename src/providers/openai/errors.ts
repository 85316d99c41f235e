/** Reads OpenAI's error envelope (also used, loosely, by vLLM, SGLang, TGI, Ollama and llama.cpp). */
import type { UpstreamFailure } from '../../core/upstream-errors.js';

const contextLengthPattern =
  /context[_ ]length|maximum context|context (size|window)|exceed_context_size|tokens \+ `max_new_tokens` must be|prompt is too long|input is too long/i;

function stringField(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

export function describeOpenAIError(body: unknown, status: number): Omit<UpstreamFailure, 'status' | 'retryAfterSeconds'> {
  // OpenAI: { error: { message, type, code } }; TGI: { error: "...", error_type }; vLLM: { message, type } or { error: {...} }.
  const envelope = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).error : undefined;
  const inner = envelope !== null && typeof envelope === 'object' ? envelope : body;
  const message =
    stringField(inner, 'message') ??
    (typeof envelope === 'string' ? envelope : undefined) ??
    stringField(body, 'message') ??
    stringField(body, 'detail') ??
    (typeof body === 'string' ? body : '');
  const code = stringField(inner, 'code') ?? stringField(inner, 'type') ?? stringField(body, 'error_type') ?? '';
  if (code === 'context_length_exceeded' || (status === 400 || status === 413 || status === 422) && contextLengthPattern.test(message)) {
    return { message, kind: 'context_length_exceeded' };
  }
  if (code === 'content_filter' || code === 'content_policy_violation' || /content management policy|content filter/i.test(message)) {
    return { message, kind: 'content_filtered' };
  }
  return { message };
}
