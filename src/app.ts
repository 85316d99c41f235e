/**
 * The request path, top to bottom (DESIGN.md §1). Each step is a named stage; this file only composes them.
 * It is transport-agnostic: parsed requests in, responses or chunk streams out. `api/` puts it on HTTP.
 *
 *   authenticate → resolve model/alias → plan candidates (deployments, fallbacks)
 *   → call upstream with fallback (streams: until the first chunk, the commit point)
 *   → record usage, timings and attempts on the context → (edge) respond, metrics
 */
import type { GatewayContext } from './core/context.js';
import { GatewayError } from './core/errors.js';
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from './core/openai-schema.js';
import type { ChatChunk, ChatResponse, CompletionResponse, EmbeddingResponse, ModelInfo, Usage } from './core/openai-types.js';
import type { Operation } from './core/provider.js';
import type { Runtime } from './runtime.js';
import { authenticate } from './stages/authenticate.js';
import { planCandidates, resolveModel, type Candidate } from './routing/resolve.js';
import { callWithFallback, streamWithFallback } from './reliability/attempts.js';
import { GatewayMetrics } from './observability/metrics.js';

/** A finished answer, or a stream whose first item already arrived. */
export type Answer<R, C> =
  | { kind: 'complete'; response: R }
  | { kind: 'stream'; first: C; rest: AsyncIterator<C> };

export interface GatewayApp {
  readonly metrics: GatewayMetrics;
  runtime(): Runtime;
  authenticate(ctx: GatewayContext, credential: string | undefined): void;
  chatCompletions(ctx: GatewayContext, request: ChatRequest): Promise<Answer<ChatResponse, ChatChunk>>;
  completions(ctx: GatewayContext, request: CompletionRequest): Promise<Answer<CompletionResponse, CompletionResponse>>;
  embeddings(ctx: GatewayContext, request: EmbeddingRequest): Promise<EmbeddingResponse>;
  listModels(ctx: GatewayContext): ModelInfo[];
  getModel(ctx: GatewayContext, id: string): ModelInfo;
}

export function createApp(current: () => Runtime, metrics = new GatewayMetrics()): GatewayApp {
  function route(ctx: GatewayContext, model: string, operation: Operation): Candidate[] {
    ctx.requestedModel = model;
    const { routes } = current();
    const primary = resolveModel(routes, model);
    return planCandidates(routes, primary, operation);
  }

  function served(ctx: GatewayContext, candidate: Candidate): void {
    ctx.model = candidate.model.name;
    ctx.provider = candidate.deployment.adapter.name;
    ctx.providerType = candidate.deployment.adapter.type;
  }

  const call = (ctx: GatewayContext, candidate: Candidate) => ({
    model: candidate.deployment.upstreamModel,
    signal: ctx.signal,
    requestId: ctx.requestId,
  });

  /** Passes a stream through, noting usage as it goes by. */
  async function* tracked<C extends { usage?: Usage | null }>(ctx: GatewayContext, rest: AsyncIterator<C>): AsyncGenerator<C> {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      if (next.value.usage) ctx.usage = next.value.usage;
      yield next.value;
    }
  }

  async function answer<R extends { usage?: Partial<Usage> | null }, C extends { usage?: Usage | null }>(
    ctx: GatewayContext,
    candidates: Candidate[],
    stream: boolean,
    complete: (candidate: Candidate) => Promise<R>,
    open: ((candidate: Candidate) => AsyncIterable<C>) | undefined,
  ): Promise<Answer<R, C>> {
    if (stream && open !== undefined) {
      const opened = await streamWithFallback(ctx, candidates, open);
      served(ctx, opened.candidate);
      ctx.ttftMs = performance.now() - ctx.startedAt;
      if (opened.first.usage) ctx.usage = opened.first.usage;
      return { kind: 'stream', first: opened.first, rest: tracked(ctx, opened.rest) };
    }
    const { candidate, value } = await callWithFallback(ctx, candidates, complete);
    served(ctx, candidate);
    ctx.ttftMs = performance.now() - ctx.startedAt;
    if (value.usage) ctx.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, ...value.usage };
    return { kind: 'complete', response: value };
  }

  function modelInfo(name: string, ownedBy: string): ModelInfo {
    return { id: name, object: 'model', created: current().loadedAt, owned_by: ownedBy };
  }

  return {
    metrics,
    runtime: current,

    authenticate(_ctx, credential) {
      authenticate(credential, current().config.auth);
    },

    chatCompletions(ctx, request) {
      const candidates = route(ctx, request.model, 'chat');
      return answer(
        ctx,
        candidates,
        request.stream === true,
        (candidate) => candidate.deployment.adapter.chat(request, call(ctx, candidate)),
        (candidate) => candidate.deployment.adapter.streamChat(request, call(ctx, candidate)),
      );
    },

    completions(ctx, request) {
      const candidates = route(ctx, request.model, 'completions');
      return answer(
        ctx,
        candidates,
        request.stream === true,
        (candidate) => candidate.deployment.adapter.completions!(request, call(ctx, candidate)),
        (candidate) => {
          const { adapter } = candidate.deployment;
          if (adapter.streamCompletions === undefined) {
            throw new GatewayError('invalid_request', `Provider ${adapter.name} cannot stream completions.`, { param: 'stream' });
          }
          return adapter.streamCompletions(request, call(ctx, candidate));
        },
      );
    },

    async embeddings(ctx, request) {
      const candidates = route(ctx, request.model, 'embeddings');
      const result = await answer<EmbeddingResponse, never>(
        ctx,
        candidates,
        false,
        (candidate) => candidate.deployment.adapter.embeddings!(request, call(ctx, candidate)),
        undefined,
      );
      if (result.kind !== 'complete') throw new GatewayError('internal_error', 'Embeddings cannot stream.');
      return result.response;
    },

    listModels() {
      const { routes } = current();
      return [
        ...[...routes.models.values()].map((model) => modelInfo(model.name, model.ownedBy)),
        ...[...routes.aliases.values()].map((alias) => modelInfo(alias.name, 'switchyard')),
      ];
    },

    getModel(_ctx, id) {
      const { routes } = current();
      const model = routes.models.get(id);
      if (model !== undefined) return modelInfo(model.name, model.ownedBy);
      if (routes.aliases.has(id)) return modelInfo(id, 'switchyard');
      throw new GatewayError('model_not_found', `The model \`${id}\` does not exist or you do not have access to it.`, {
        param: 'model',
      });
    },
  };
}
