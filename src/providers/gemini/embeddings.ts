/** OpenAI embeddings ⇄ Gemini `batchEmbedContents`. */
import { GatewayError } from '../../core/errors.js';
import type { EmbeddingRequest } from '../../core/openai-schema.js';
import type { EmbeddingResponse } from '../../core/openai-types.js';
import { modelPath, type GeminiBatchEmbedResponse } from './wire.js';

export interface GeminiEmbedRequest {
  requests: { model: string; content: { parts: { text: string }[] }; outputDimensionality?: number }[];
}

/** Gemini embeds text only; token-id inputs cannot be decoded without the caller's tokenizer. */
export function embeddingTexts(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  const texts = (input as unknown[]).filter((item): item is string => typeof item === 'string');
  if (texts.length !== input.length) {
    throw new GatewayError('invalid_request', 'Gemini embeddings accept text input only, not token arrays.', { param: 'input' });
  }
  return texts;
}

export function toGeminiEmbedRequest(texts: string[], request: EmbeddingRequest, model: string): GeminiEmbedRequest {
  const name = modelPath(model);
  return {
    requests: texts.map((text) => ({
      model: name,
      content: { parts: [{ text }] },
      ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
    })),
  };
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
function float32Base64(vector: number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return Buffer.from(view.buffer).toString('base64');
}

export function toEmbeddingResponse(
  provider: string,
  body: unknown,
  texts: string[],
  request: EmbeddingRequest,
  model: string,
): EmbeddingResponse {
  const embeddings = (body as GeminiBatchEmbedResponse | null)?.embeddings;
  if (!Array.isArray(embeddings) || embeddings.length !== texts.length) {
    throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned a different number of embeddings than inputs.`, {
      retryable: true,
    });
  }
  // batchEmbedContents reports no token counts; ~4 characters per token is the usual estimate, so cost and
  // token limits still see a plausible figure.
  const promptTokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return {
    object: 'list',
    model,
    data: embeddings.map((embedding, index) => {
      const values = embedding.values ?? [];
      return {
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? float32Base64(values) : values,
      };
    }),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
