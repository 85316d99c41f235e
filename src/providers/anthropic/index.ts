/** The `anthropic` provider: Anthropic's Messages API (`POST /v1/messages`) behind the internal chat model. */
import type { ChatRequest } from '../../core/openai-schema.js';
import type { ChatChunk, ChatResponse } from '../../core/openai-types.js';
import { attemptOptions, type ProviderAdapter, type UpstreamCall } from '../../core/provider.js';
import { UpstreamHttp, type UpstreamHttpOptions, type UpstreamResponse } from '../../core/upstream-http.js';
import { anthropicFailure } from './errors.js';
import { toAnthropicRequest } from './request.js';
import { fromAnthropicResponse } from './response.js';
import { readAnthropicStream } from './stream.js';
import { lookupPrice } from '../../core/pricing.js';
import { anthropicPriceSchedules } from '../../core/prices/anthropic.js';
import type { AnthropicRequest } from './wire.js';

export interface AnthropicProviderOptions {
  api_key: string;
  /** Origin without `/v1`, like Anthropic's SDKs (`https://api.anthropic.com`). */
  base_url: string;
  anthropic_version: string;
  /** Anthropic requires `max_tokens`; used when the caller sets neither max_tokens nor max_completion_tokens. */
  default_max_tokens: number;
  headers?: Record<string, string>;
}

export function createAnthropicAdapter(
  name: string,
  options: AnthropicProviderOptions,
  httpOptions: UpstreamHttpOptions,
): ProviderAdapter {
  const http = new UpstreamHttp(name, httpOptions);
  const base = options.base_url.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    ...options.headers,
    'x-api-key': options.api_key,
    'anthropic-version': options.anthropic_version,
  };

  async function send(body: AnthropicRequest, call: UpstreamCall): Promise<UpstreamResponse> {
    const response = await http.send(`${base}/v1/messages`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': call.requestId },
      body,
      ...attemptOptions(call),
    });
    if (response.status >= 400) throw await anthropicFailure(name, response);
    return response;
  }

  return {
    name,
    type: 'anthropic',
    priceOf: (model) => lookupPrice(anthropicPriceSchedules, model),

    async chat(request: ChatRequest, call: UpstreamCall): Promise<ChatResponse> {
      const response = await send(toAnthropicRequest(request, call.model, options.default_max_tokens, false), call);
      return fromAnthropicResponse(name, await response.json());
    },

    async *streamChat(request: ChatRequest, call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
      const response = await send(toAnthropicRequest(request, call.model, options.default_max_tokens, true), call);
      yield* readAnthropicStream(name, response.body);
    },

    /** Listing models costs no tokens and still proves the key and the API are good. */
    async checkHealth(signal: AbortSignal): Promise<void> {
      const response = await http.send(`${base}/v1/models?limit=1`, { method: 'GET', headers, signal });
      if (response.status >= 400) throw await anthropicFailure(name, response);
      response.discard();
    },

    close: () => http.close(),
  };
}
