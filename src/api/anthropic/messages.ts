/** The Anthropic Messages endpoints: `POST /v1/messages` and `POST /v1/messages/count_tokens`. */
import type { GatewayApp } from '../../app.js';
import type { GatewayContext } from '../../core/context.js';
import type { EdgeRequest, EdgeResponse } from '../edge.js';
import { parseJsonBody } from '../request-body.js';
import { jsonResponse, sseResponse } from '../respond.js';
import { countInputTokens } from './count-tokens.js';
import { countTokensRequestSchema, messagesRequestSchema } from './schema.js';
import { anthropicSSE } from './stream.js';
import { toAnthropicMessage } from './to-message.js';
import { toChatRequest } from './to-chat-request.js';

/** Anthropic's own request-id header; the SDKs expose it as `_request_id`. */
function withRequestId(ctx: GatewayContext, response: EdgeResponse): EdgeResponse {
  response.headers['request-id'] = ctx.requestId;
  return response;
}

export async function messages(app: GatewayApp, ctx: GatewayContext, request: EdgeRequest): Promise<EdgeResponse> {
  const body = parseJsonBody(request.body, messagesRequestSchema);
  const answer = await app.chatCompletions(ctx, toChatRequest(body));
  const options = { model: body.model, stopSequences: body.stop_sequences ?? [] };
  if (answer.kind === 'complete') {
    return withRequestId(ctx, jsonResponse(ctx, 200, toAnthropicMessage(answer.response, options.model, options.stopSequences)));
  }
  return withRequestId(ctx, sseResponse(ctx, anthropicSSE(ctx, answer, options)));
}

export async function countTokens(app: GatewayApp, ctx: GatewayContext, request: EdgeRequest): Promise<EdgeResponse> {
  const body = parseJsonBody(request.body, countTokensRequestSchema);
  // Same answer as messages.create for a model the caller cannot use: 404, before any counting.
  app.getModel(ctx, body.model);
  ctx.requestedModel = body.model;
  const chat = toChatRequest({ ...body, max_tokens: 1 });
  // The vocabulary of the model's first deployment, as the token budget picks it (an alias counts by its name).
  const upstream = app.runtime().routes.models.get(body.model)?.deployments[0]?.upstreamModel ?? body.model;
  return withRequestId(ctx, jsonResponse(ctx, 200, { input_tokens: await countInputTokens(chat, upstream) }));
}
