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

/** batchEmbedContents takes at most 100 requests; OpenAI callers may send up to 2048 inputs at once. */
export const maxBatchSize = 100;

/** One batchEmbedContents body per slice of at most `maxBatchSize` texts, in input order. */
export function toGeminiEmbedBatches(texts: string[], request: EmbeddingRequest, model: string): GeminiEmbedRequest[] {
  const name = modelPath(model);
  const batches: GeminiEmbedRequest[] = [];
  for (let start = 0; start < texts.length; start += maxBatchSize) {
    batches.push({
      requests: texts.slice(start, start + maxBatchSize).map((text) => ({
        model: name,
        content: { parts: [{ text }] },
        ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
      })),
    });
  }
  return batches;
}

/** The vectors of one batch answer, checked to match the batch's size. */
export function vectorsOf(provider: string, body: unknown, expected: number): number[][] {
  const embeddings = (body as GeminiBatchEmbedResponse | null)?.embeddings;
  if (!Array.isArray(embeddings) || embeddings.length !== expected) {
    throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned a different number of embeddings than inputs.`, {
      retryable: true,
    });
  }
  return embeddings.map((embedding) => embedding.values ?? []);
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
function float32Base64(vector: number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return Buffer.from(view.buffer).toString('base64');
}

export function toEmbeddingResponse(
  vectors: number[][],
  texts: string[],
  request: EmbeddingRequest,
  model: string,
): EmbeddingResponse {
  // batchEmbedContents reports no token counts; ~4 characters per token is the usual estimate, so cost and
  // token limits still see a plausible figure.
  const promptTokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return {
    object: 'list',
    model,
    data: vectors.map((values, index) => ({
      object: 'embedding',
      index,
      embedding: request.encoding_format === 'base64' ? float32Base64(values) : values,
    })),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
