/**
 * One adapter for every upstream that speaks OpenAI's wire format: OpenAI itself, Azure OpenAI deployments and
 * self-hosted engines. What differs between them (URLs, auth headers, small quirks) is passed in as data.
 */
import { attemptOptions, type ProviderAdapter, type Relayed, type UpstreamCall } from '../../core/provider.js';
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from '../../core/openai-schema.js';
import type {
  ChatChunk,
  ChatResponse,
  CompletionResponse,
  EmbeddingResponse,
  FinishReason,
} from '../../core/openai-types.js';
import { GatewayError } from '../../core/errors.js';
import { lookupPrice } from '../../core/pricing.js';
import type { PriceSchedule } from '../../core/price-schedule.js';
import { readUpstreamFailure } from '../../core/upstream-errors.js';
import type { UpstreamHttp, UpstreamResponse } from '../../core/upstream-http.js';
import { describeOpenAIError } from './errors.js';
import { readOpenAIStream } from './stream.js';
import { relayOpenAIStream } from './relay.js';
import { keepVerbatim } from '../../core/verbatim.js';
import type { EngineQuirks } from './engines.js';

export type OpenAIOperation = 'chat/completions' | 'completions' | 'embeddings' | 'models';

export interface OpenAIWireOptions {
  name: string;
  type: string;
  http: UpstreamHttp;
  /** Full URL for an operation on an upstream model. */
  url(operation: OpenAIOperation, model: string): string;
  /** Auth and static headers. */
  headers: Record<string, string>;
  quirks: EngineQuirks;
  /** List prices of the models this upstream serves (OpenAI's own; none for self-hosted engines). */
  prices?: Readonly<Record<string, PriceSchedule>>;
  /** Whether the upstream accepts `/completions` (Azure and self-hosted engines do; OpenAI only for legacy models). */
  supportsCompletions: boolean;
}

type Body = Record<string, unknown>;

/**
 * The body as text and parsed: the text goes to the client as is when the adapter changes nothing (`keepVerbatim`).
 * A body that is not JSON is `upstream_bad_response`, as `UpstreamResponse.json` makes it.
 */
async function readJson<T>(provider: string, response: UpstreamResponse): Promise<{ text: string; body: T }> {
  const text = await response.text();
  try {
    return { text, body: JSON.parse(text) as T };
  } catch {
    throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned a body that is not JSON.`, { retryable: true });
  }
}

/**
 * vLLM and SGLang serialise unset optionals as `null` (and no tool calls as `[]`) where OpenAI's schema has
 * no null and OpenAI omits the field; typed clients then fail to parse, or see tool calls that are not there.
 */
function dropEngineNulls(target: object | null | undefined, keys: readonly string[]): boolean {
  if (target === null || target === undefined) return false;
  const record = target as Body;
  let dropped = false;
  for (const key of keys) {
    const value = record[key];
    // Undefined, not `delete`: JSON.stringify drops it either way, and the object keeps its fast shape.
    if (value === null || (Array.isArray(value) && value.length === 0 && key === 'tool_calls')) {
      record[key] = undefined;
      dropped = true;
    }
  }
  return dropped;
}

const usageDetails = ['prompt_tokens_details', 'completion_tokens_details'] as const;

export function createOpenAIWireAdapter(options: OpenAIWireOptions): ProviderAdapter {
  const { name, http, quirks } = options;

  const headersFor = (call: UpstreamCall) => ({ ...options.headers, 'x-request-id': call.requestId });

  async function post(operation: OpenAIOperation, body: Body, call: UpstreamCall): Promise<UpstreamResponse> {
    const response = await http.send(options.url(operation, call.model), {
      method: 'POST',
      headers: headersFor(call),
      body,
      ...attemptOptions(call),
    });
    if (response.status >= 400) throw await readUpstreamFailure(name, response, describeOpenAIError);
    return response;
  }

  function shapeRequest<
    R extends { max_completion_tokens?: number | null; max_tokens?: number | null; stream_options?: object | null },
  >(
    request: R,
    model: string,
    stream: boolean,
  ): Body {
    const body: Body = { ...request, model, stream };
    if (quirks.legacyMaxTokens && request.max_completion_tokens != null) {
      body.max_tokens ??= request.max_completion_tokens;
      delete body.max_completion_tokens;
    }
    if (stream && !quirks.noStreamOptions) body.stream_options = { ...request.stream_options, include_usage: true };
    else delete body.stream_options;
    return body;
  }

  const normalizeFinish = (reason: string | null | undefined): FinishReason | null => {
    if (reason === null || reason === undefined) return null;
    return (quirks.finishReasonAliases[reason] ?? reason) as FinishReason;
  };

  /** Fills in what OpenAI always sends and engines may not; true when the response changed. */
  function normalizeChat(response: ChatResponse): boolean {
    if (!Array.isArray(response.choices)) {
      throw new GatewayError('upstream_bad_response', `Upstream ${name} returned a completion without choices.`, {
        retryable: true,
      });
    }
    let changed = false;
    for (const choice of response.choices) {
      const finish = normalizeFinish(choice.finish_reason) ?? 'stop';
      if (finish !== choice.finish_reason) {
        choice.finish_reason = finish;
        changed = true;
      }
      // A missing field filled with null changes the JSON; a null already there does not.
      const { message } = choice;
      if (choice.logprobs === undefined || message.refusal === undefined || message.content === undefined) changed = true;
      choice.logprobs ??= null;
      message.refusal ??= null;
      message.content ??= null;
      if (dropEngineNulls(message, ['tool_calls', 'annotations', 'function_call'])) changed = true;
    }
    if (response.usage == null) {
      response.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      changed = true;
    }
    if (dropEngineNulls(response, ['system_fingerprint'])) changed = true;
    if (dropEngineNulls(response.usage, usageDetails)) changed = true;
    return changed;
  }

  function normalizeChunk(chunk: ChatChunk): ChatChunk {
    for (const choice of chunk.choices) choice.finish_reason = normalizeFinish(choice.finish_reason);
    dropEngineNulls(chunk, ['system_fingerprint']);
    dropEngineNulls(chunk.usage, usageDetails);
    return chunk;
  }

  const { prices } = options;
  const adapter: ProviderAdapter = {
    name,
    type: options.type,
    ...(prices === undefined ? {} : { priceOf: (model: string) => lookupPrice(prices, model) }),

    async chat(request: ChatRequest, call: UpstreamCall): Promise<ChatResponse> {
      const response = await post('chat/completions', shapeRequest(request, call.model, false), call);
      const { text, body } = await readJson<ChatResponse>(name, response);
      return normalizeChat(body) ? body : keepVerbatim(body, text);
    },

    async *streamChat(request: ChatRequest, call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
      const response = await post('chat/completions', shapeRequest(request, call.model, true), call);
      yield* readOpenAIStream<ChatChunk>(name, response.body, normalizeChunk);
    },

    async *relayChat(request: ChatRequest, call: UpstreamCall, parseAll: boolean): AsyncGenerator<Relayed<ChatChunk>[]> {
      const response = await post('chat/completions', shapeRequest(request, call.model, true), call);
      yield* relayOpenAIStream<ChatChunk>(name, response.body, normalizeChunk, parseAll);
    },

    async embeddings(request: EmbeddingRequest, call: UpstreamCall): Promise<EmbeddingResponse> {
      const response = await post('embeddings', { ...request, model: call.model }, call);
      const { text, body } = await readJson<EmbeddingResponse>(name, response);
      if (!Array.isArray(body.data)) {
        throw new GatewayError('upstream_bad_response', `Upstream ${name} returned embeddings without data.`, {
          retryable: true,
        });
      }
      if (body.usage != null) return keepVerbatim(body, text);
      body.usage = { prompt_tokens: 0, total_tokens: 0 };
      return body;
    },

    async checkHealth(signal: AbortSignal): Promise<void> {
      const response = await http.send(options.url('models', ''), { method: 'GET', headers: options.headers, signal });
      if (response.status >= 400) throw await readUpstreamFailure(name, response, describeOpenAIError);
      response.discard();
    },

    close: () => http.close(),
  };

  if (options.supportsCompletions) {
    adapter.completions = async (request: CompletionRequest, call: UpstreamCall): Promise<CompletionResponse> => {
      const response = await post('completions', shapeRequest(request, call.model, false), call);
      const { text, body } = await readJson<CompletionResponse>(name, response);
      let changed = false;
      for (const choice of body.choices ?? []) {
        const finish = normalizeFinish(choice.finish_reason) ?? 'stop';
        if (finish !== choice.finish_reason) changed = true;
        choice.finish_reason = finish;
      }
      return changed ? body : keepVerbatim(body, text);
    };
    const normalizeCompletionChunk = (chunk: CompletionResponse): CompletionResponse => {
      for (const choice of chunk.choices) choice.finish_reason = normalizeFinish(choice.finish_reason);
      return chunk;
    };
    adapter.streamCompletions = async function* (request: CompletionRequest, call: UpstreamCall) {
      const response = await post('completions', shapeRequest(request, call.model, true), call);
      yield* readOpenAIStream<CompletionResponse>(name, response.body, normalizeCompletionChunk);
    };
    adapter.relayCompletions = async function* (request: CompletionRequest, call: UpstreamCall, parseAll: boolean) {
      const response = await post('completions', shapeRequest(request, call.model, true), call);
      yield* relayOpenAIStream<CompletionResponse>(name, response.body, normalizeCompletionChunk, parseAll);
    };
  }
  return adapter;
}
