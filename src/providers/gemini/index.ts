/** The `gemini` provider: Google AI Studio's generateContent API (v1beta), authenticated with an API key. */
import { attemptOptions, type ProviderAdapter, type UpstreamCall } from '../../core/provider.js';
import type { ChatRequest, EmbeddingRequest } from '../../core/openai-schema.js';
import type { ChatChunk, ChatResponse, EmbeddingResponse } from '../../core/openai-types.js';
import { UpstreamHttp, type UpstreamHttpOptions, type UpstreamResponse } from '../../core/upstream-http.js';
import { lookupPrice } from '../../core/pricing.js';
import { geminiPriceSchedules } from '../../core/prices/gemini.js';
import { embeddingTexts, toEmbeddingResponse, toGeminiEmbedBatches, vectorsOf } from './embeddings.js';
import { readGeminiFailure } from './errors.js';
import { toGeminiRequest } from './request.js';
import { toChatResponse } from './response.js';
import { readGeminiStream } from './stream.js';
import { modelPath } from './wire.js';

export interface GeminiProviderOptions {
  api_key: string;
  base_url: string;
  headers?: Record<string, string>;
}

type Method = 'generateContent' | 'streamGenerateContent?alt=sse' | 'batchEmbedContents';

export function createGeminiAdapter(
  name: string,
  options: GeminiProviderOptions,
  httpOptions: UpstreamHttpOptions,
): ProviderAdapter {
  const base = options.base_url.replace(/\/+$/, '');
  const http = new UpstreamHttp(name, httpOptions);
  // The key goes in a header, not `?key=`, so it never lands in URL logs.
  const headers = { ...options.headers, 'x-goog-api-key': options.api_key };

  async function post(method: Method, body: unknown, call: UpstreamCall): Promise<UpstreamResponse> {
    const response = await http.send(`${base}/${modelPath(call.model)}:${method}`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': call.requestId },
      body,
      ...attemptOptions(call),
    });
    if (response.status >= 400) throw await readGeminiFailure(name, response);
    return response;
  }

  return {
    name,
    type: 'gemini',
    priceOf: (model) => lookupPrice(geminiPriceSchedules, model),

    async chat(request: ChatRequest, call: UpstreamCall): Promise<ChatResponse> {
      const response = await post('generateContent', toGeminiRequest(request), call);
      return toChatResponse(name, await response.json(), call.model);
    },

    async *streamChat(request: ChatRequest, call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
      const response = await post('streamGenerateContent?alt=sse', toGeminiRequest(request), call);
      yield* readGeminiStream(name, response.body, call.model);
    },

    async embeddings(request: EmbeddingRequest, call: UpstreamCall): Promise<EmbeddingResponse> {
      const texts = embeddingTexts(request.input);
      // Batches go out together; the first failure cancels the rest so no connection is left holding a body.
      const siblings = new AbortController();
      const batchCall = { ...call, signal: AbortSignal.any([call.signal, siblings.signal]) };
      try {
        const vectors = await Promise.all(
          toGeminiEmbedBatches(texts, request, call.model).map(async (batch) => {
            const response = await post('batchEmbedContents', batch, batchCall);
            return vectorsOf(name, await response.json(), batch.requests.length);
          }),
        );
        return toEmbeddingResponse(vectors.flat(), texts, request, call.model);
      } catch (error) {
        siblings.abort();
        throw error;
      }
    },

    async checkHealth(signal: AbortSignal): Promise<void> {
      const response = await http.send(`${base}/models?pageSize=1`, { method: 'GET', headers, signal });
      if (response.status >= 400) throw await readGeminiFailure(name, response);
      response.discard();
    },

    close: () => http.close(),
  };
}
