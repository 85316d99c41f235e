/** OpenAI-compatible endpoints: chat completions, completions, embeddings, models. */
import type { Answer, GatewayApp } from '../app.js';
import type { GatewayContext } from '../core/context.js';
import { GatewayError, openAIErrorBody, streamFailure } from '../core/errors.js';
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from '../core/openai-schema.js';
import type { Usage } from '../core/openai-types.js';
import { encodeSSE } from '../core/sse.js';
import { RawFrame, type Relayed } from '../core/provider.js';
import type { EdgeRequest, EdgeResponse } from './edge.js';
import { parseJsonBody } from './request-body.js';
import { jsonResponse, sseResponse } from './respond.js';

interface StreamChunk {
  choices: unknown[];
  usage?: Usage | null;
}

/**
 * Encodes a relayed stream as OpenAI SSE, one string per batch (one socket write per upstream read): raw frames as
 * the upstream sent them, chunks with JSON.stringify. Usage (a raw frame's null one included) and usage-only chunks
 * reach the client only when it asked (`stream_options.include_usage`). A failure after the commit point is
 * reported in-band as an `error` event, with no `[DONE]`, so no client mistakes a cut-off answer for a complete one.
 */
export async function* openAISSE<C extends StreamChunk>(
  ctx: GatewayContext,
  answer: { first: Relayed<C>[]; rest: AsyncIterator<Relayed<C>[]> },
  includeUsage: boolean,
): AsyncGenerator<string> {
  const encode = (batch: Relayed<C>[]): string => {
    let frames = '';
    for (const chunk of batch) {
      if (chunk instanceof RawFrame) {
        frames += chunk.forClient(includeUsage);
        continue;
      }
      if (chunk.choices.length === 0 && chunk.usage) {
        if (includeUsage) frames += encodeSSE(chunk);
        continue;
      }
      // Assigning undefined (JSON.stringify drops it) rather than `delete` keeps the chunk's shape: deleting a
      // property turns every chunk object into a slow dictionary-mode object on the hot path.
      if (!includeUsage && chunk.usage !== undefined) chunk.usage = undefined;
      frames += encodeSSE(chunk);
    }
    return frames;
  };
  try {
    const first = encode(answer.first);
    if (first !== '') yield first;
    for (;;) {
      const next = await answer.rest.next();
      if (next.done) break;
      const frames = encode(next.value);
      if (frames !== '') yield frames;
    }
  } catch (thrown) {
    const { error, tellClient } = streamFailure(ctx.signal, thrown);
    ctx.errorCode = error.code;
    if (tellClient) yield encodeSSE(openAIErrorBody(error), 'error');
    return;
  }
  yield 'data: [DONE]\n\n';
}

function respond<R, C extends StreamChunk>(ctx: GatewayContext, answer: Answer<R, Relayed<C>>, includeUsage: boolean): EdgeResponse {
  if (answer.kind === 'complete') return jsonResponse(ctx, 200, answer.response);
  return sseResponse(ctx, openAISSE(ctx, answer, includeUsage));
}

export async function chatCompletions(app: GatewayApp, ctx: GatewayContext, request: EdgeRequest): Promise<EdgeResponse> {
  const body = parseJsonBody(request.body, chatRequestSchema);
  if (body.stream !== true && body.stream_options != null) {
    throw new GatewayError('invalid_request', "'stream_options' is only allowed when 'stream' is true.", { param: 'stream_options' });
  }
  if (body.top_logprobs != null && body.logprobs !== true) {
    throw new GatewayError('invalid_request', "'logprobs' must be true when 'top_logprobs' is set.", { param: 'top_logprobs' });
  }
  const answer = await app.relayChatCompletions(ctx, body);
  return respond(ctx, answer, body.stream_options?.include_usage === true);
}

export async function completions(app: GatewayApp, ctx: GatewayContext, request: EdgeRequest): Promise<EdgeResponse> {
  const body = parseJsonBody(request.body, completionRequestSchema);
  const answer = await app.completions(ctx, body);
  return respond(ctx, answer, body.stream_options?.include_usage === true);
}

export async function embeddings(app: GatewayApp, ctx: GatewayContext, request: EdgeRequest): Promise<EdgeResponse> {
  const body = parseJsonBody(request.body, embeddingRequestSchema);
  return jsonResponse(ctx, 200, await app.embeddings(ctx, body));
}

export function listModels(app: GatewayApp, ctx: GatewayContext): EdgeResponse {
  return jsonResponse(ctx, 200, { object: 'list', data: app.listModels(ctx) });
}

export function getModel(app: GatewayApp, ctx: GatewayContext, id: string): EdgeResponse {
  return jsonResponse(ctx, 200, app.getModel(ctx, id));
}
