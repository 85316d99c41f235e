/**
 * The request path, top to bottom (DESIGN.md §1). Each step is a named stage; this file only composes them.
 * It is transport-agnostic: parsed requests in, responses or chunk streams out. `api/` puts it on HTTP.
 *
 *   authenticate (master key, or a tenant's virtual key from the key cache) → model allowed for that key?
 *   → resolve model/alias → fallback chain (model, conditional and general fallbacks)
 *   → token budget: fits the context window, else 400 or trimmed per the model's strategy (stages/token-budget.ts)
 *   → admission, both at once: rate limits (the key's and tenant's requests/min, tokens/min, concurrency;
 *     stages/rate-limit.ts) and the budget reservation (block, or downgrade to a cheaper model; stages/budget.ts)
 *   → attempt loop: balancer order, breaker, concurrency gate, retries with backoff and budget, deadline
 *     (streams: until the first chunk, the commit point) → degraded answer when every route failed
 *   → record usage, cost, timings and attempts on the context → (edge) respond, metrics, request log, and
 *     reconcile limits and spend when the response ends
 */
import type { GatewayContext } from './core/context.js';
import { GatewayError } from './core/errors.js';
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from './core/openai-schema.js';
import type { ChatChunk, ChatResponse, CompletionResponse, EmbeddingResponse, ModelInfo, Usage } from './core/openai-types.js';
import { chunkOf, type ChunkStream, type Operation, type ProviderAdapter, type Relayed, type UpstreamCall } from './core/provider.js';
import type { Runtime } from './runtime.js';
import { costOf } from './core/pricing.js';
import { authenticate } from './stages/authenticate.js';
import { authorizeModel, mayUseModel } from './stages/model-access.js';
import type { TokenEstimate } from './stages/rate-limit.js';
import type { ReserveBudget } from './stages/budget.js';
import { chatTokens, completionTokens, embeddingTokens } from './limits/token-estimate.js';
import type { KeyDirectory } from './stores/types.js';
import { resolveModel, type Candidate } from './routing/resolve.js';
import { FallbackChain } from './routing/fallback-chain.js';
import { runAttempts } from './reliability/attempts.js';
import type { Resilience } from './reliability/resilience.js';
import { degradedAnswer } from './reliability/degraded.js';
import { firstOf } from './reliability/first-chunk.js';
import { GatewayMetrics } from './observability/metrics.js';
import type { StreamedChunk } from './observability/request-log/stream-capture.js';
import type { ModelRoute, RouteTable } from './routing/route-table.js';
import { fitsUncounted, tokenBudget } from './stages/token-budget.js';
import { completionFitsUncounted, fitCompletionToContext } from './stages/completion-budget.js';
import { summarizeThroughGateway } from './stages/summarize-turns.js';

/** A finished answer, or a stream whose first batch of chunks already arrived (see `ChunkStream`). */
export type Answer<R, C> =
  | { kind: 'complete'; response: R }
  | { kind: 'stream'; first: C[]; rest: AsyncIterator<C[]> };

export interface GatewayApp {
  readonly metrics: GatewayMetrics;
  runtime(): Runtime;
  authenticate(ctx: GatewayContext, credential: string | undefined): void;
  /** A chat answer whose stream is chunks, for ingresses that translate them (Anthropic's Messages). */
  chatCompletions(ctx: GatewayContext, request: ChatRequest): Promise<Answer<ChatResponse, ChatChunk>>;
  /** A chat answer for an OpenAI-dialect client: an OpenAI-wire upstream's unchanged frames stay bytes (`Relayed`). */
  relayChatCompletions(ctx: GatewayContext, request: ChatRequest): Promise<Answer<ChatResponse, Relayed<ChatChunk>>>;
  /** Legacy completions, only ever served in OpenAI's dialect: relayed like `relayChatCompletions`. */
  completions(ctx: GatewayContext, request: CompletionRequest): Promise<Answer<CompletionResponse, Relayed<CompletionResponse>>>;
  embeddings(ctx: GatewayContext, request: EmbeddingRequest): Promise<EmbeddingResponse>;
  listModels(ctx: GatewayContext): ModelInfo[];
  getModel(ctx: GatewayContext, id: string): ModelInfo;
}

/**
 * The request's cost: its usage at the serving deployment's price, when both are known, plus what the token
 * budget's summary call cost on its behalf (charged even when the request itself then failed).
 */
function priceUsage(ctx: GatewayContext): void {
  const served = ctx.usage !== undefined && ctx.price !== undefined ? costOf(ctx.usage, ctx.price) : undefined;
  const summary = ctx.summaryCall?.costUsd;
  if (served !== undefined || summary !== undefined) ctx.costUsd = (served ?? 0) + (summary ?? 0);
}

export function createApp(
  current: () => Runtime,
  resilience: Resilience,
  metrics = new GatewayMetrics(),
  keys?: KeyDirectory,
  limitRate?: (ctx: GatewayContext, tokens: TokenEstimate) => Promise<void>,
  reserveBudget?: ReserveBudget,
): GatewayApp {
  const fitToContext = tokenBudget(summarizeThroughGateway(() => current().routes, resilience, (call, status, code) => metrics.recordRequest(call, status, code)));

  /**
   * Resolves the model and runs the admission stages in order: token budget, rate limits, budget. A stage with
   * nothing to do costs no promise: `fit` answers undefined when the request fits uncounted, and limits and budgets
   * apply to virtual keys only (the master key and open callers are neither limited nor budgeted, see
   * stages/rate-limit.ts and stages/budget.ts), so such a request gets its chain synchronously.
   */
  function route(
    ctx: GatewayContext,
    model: string,
    operation: Operation,
    tokens: TokenEstimate,
    maxOutput?: number | null,
    fit?: (primary: ModelRoute) => Promise<void> | undefined,
  ): FallbackChain | Promise<FallbackChain> {
    authorizeModel(ctx.caller, model);
    const { routes } = current();
    const primary = resolveModel(routes, model);
    // Only a configured name becomes a metrics label: a caller's made-up names must not grow the series.
    ctx.requestedModel = model;
    const chain = new FallbackChain(routes, primary, operation, resilience.random);
    // The token budget first: a request that cannot fit its model is refused before it costs limits or budget.
    const fitting = fit?.(primary);
    if (fitting === undefined && ctx.caller?.kind !== 'key') return chain;
    return admit(ctx, routes, chain, fitting, tokens, maxOutput);
  }

  async function admit(
    ctx: GatewayContext,
    routes: RouteTable,
    chain: FallbackChain,
    fitting: Promise<void> | undefined,
    tokens: TokenEstimate,
    maxOutput: number | null | undefined,
  ): Promise<FallbackChain> {
    await fitting;
    // Limits and budget are charged last, so a request refused for a bad model name costs the caller nothing.
    // Both at once: one round trip to a shared store instead of two in a row. All or nothing: when one refuses,
    // what the other granted is given back when the response ends (ctx.releaseLimits refunds a failed request's
    // tokens, ctx.settleSpend settles an unserved request's reservation at 0).
    // The budget's estimate is input + the requested output maximum; budgets price the two apart.
    const [limited, budgeted] = await Promise.allSettled([
      limitRate?.(ctx, tokens),
      reserveBudget?.(ctx, chain.primary, { input: () => tokens() - (maxOutput ?? 0), maxOutput: maxOutput ?? undefined }),
    ]);
    if (limited.status === 'rejected') throw limited.reason;
    if (budgeted.status === 'rejected') throw budgeted.reason;
    const downgrade = budgeted.value;
    return downgrade === undefined ? chain : new FallbackChain(routes, downgrade, chain.operation, resilience.random);
  }

  function served(ctx: GatewayContext, candidate: Candidate): void {
    ctx.model = candidate.model.name;
    ctx.provider = candidate.deployment.adapter.name;
    ctx.providerType = candidate.deployment.adapter.type;
    ctx.price = candidate.deployment.prices?.at(Date.now());
  }

  /** A raw frame has no usage to note (a frame that reports usage is always parsed), so only chunks are read. */
  function noteUsage(ctx: GatewayContext, batch: readonly Relayed<{ usage?: Usage | null }>[]): void {
    for (const item of batch) {
      const usage = chunkOf(item)?.usage;
      if (usage) ctx.usage = usage;
    }
  }

  /** Passes a stream through, noting usage as it goes by, and settles the attempt when the stream ends. */
  async function* tracked<I extends Relayed<StreamedChunk>>(
    ctx: GatewayContext,
    rest: AsyncIterator<I[]>,
    settle: (ok: boolean) => void,
  ): AsyncGenerator<I[]> {
    let ok = false;
    // Only while the request log keeps bodies; otherwise nothing is accumulated.
    const capture = ctx.streamCapture;
    try {
      for (;;) {
        const next = await rest.next();
        if (next.done) break;
        noteUsage(ctx, next.value);
        capture?.add(next.value);
        yield next.value;
      }
      ok = true;
      // A stream's headers left before its usage was known: its cost reaches metrics, not the header.
      priceUsage(ctx);
    } finally {
      settle(ok);
    }
  }

  async function answer<R extends { usage?: Partial<Usage> | null }, I extends Relayed<StreamedChunk>>(
    ctx: GatewayContext,
    chain: FallbackChain,
    stream: boolean,
    complete: (candidate: Candidate, call: UpstreamCall) => Promise<R>,
    open: ((candidate: Candidate, call: UpstreamCall) => ChunkStream<I>) | undefined,
  ): Promise<Answer<R, I>> {
    if (stream && open !== undefined) {
      const opened = await runAttempts(ctx, chain, resilience, (candidate, call) => firstOf(open(candidate, call), candidate));
      served(ctx, opened.candidate);
      ctx.ttftMs = performance.now() - ctx.startedAt;
      const { first, rest } = opened.value;
      noteUsage(ctx, first);
      ctx.streamCapture?.add(first);
      const iterator = tracked(ctx, rest, opened.settle);
      ctx.releaseAttempt = () => {
        void iterator.return(undefined);
        opened.settle(false);
      };
      return { kind: 'stream', first, rest: iterator };
    }
    const { candidate, value, settle } = await runAttempts(ctx, chain, resilience, complete);
    settle(true);
    served(ctx, candidate);
    ctx.ttftMs = performance.now() - ctx.startedAt;
    if (value.usage) ctx.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, ...value.usage };
    priceUsage(ctx);
    return { kind: 'complete', response: value };
  }

  /** The chat path for both stream forms; `openStream` picks chunks or relayed frames from the serving adapter. */
  async function chat<I extends Relayed<ChatChunk>>(
    ctx: GatewayContext,
    input: ChatRequest,
    openStream: (adapter: ProviderAdapter, request: ChatRequest, call: UpstreamCall) => ChunkStream<I>,
  ): Promise<Answer<ChatResponse, I> | Answer<ChatResponse, ChatChunk>> {
    let request = input;
    let inputTokens: number | undefined;
    let summarize: (() => Promise<ChatRequest>) | undefined;
    const fit = (primary: ModelRoute) =>
      fitsUncounted(input, primary) ? undefined : fitToContext(ctx, input, primary).then((fitted) => void ({ request, inputTokens, summarize } = fitted));
    const routed = route(ctx, input.model, 'chat', () => chatTokens(request, inputTokens), input.max_completion_tokens ?? input.max_tokens, fit);
    const chain = routed instanceof Promise ? await routed : routed; // no turn when nothing had to wait
    // Only now that limits and budget admitted the request: the summary is an upstream call that costs money.
    if (summarize !== undefined) request = await summarize();
    ctx.request = request;
    try {
      return await answer(
        ctx,
        chain,
        request.stream === true,
        (candidate, call) => candidate.deployment.adapter.chat(request, call),
        (candidate, call) => openStream(candidate.deployment.adapter, request, call),
      );
    } catch (error) {
      // A summary made for a request that then failed was still paid for.
      priceUsage(ctx);
      // Every route failed: serve the model's configured degraded answer, if it has one.
      const degraded = chain.primary.degradedResponse;
      if (degraded === undefined || !(error instanceof GatewayError) || !error.retryable || ctx.signal.aborted) throw error;
      ctx.degraded = true;
      ctx.model = chain.primary.name;
      return degradedAnswer(chain.primary.name, degraded.content, request.stream === true);
    }
  }

  function modelInfo(name: string, ownedBy: string): ModelInfo {
    return { id: name, object: 'model', created: current().loadedAt, owned_by: ownedBy };
  }

  return {
    metrics,
    runtime: current,

    authenticate(ctx, credential) {
      authenticate(ctx, credential, current().config.auth, keys);
    },

    chatCompletions: (ctx, input) => chat(ctx, input, (adapter, request, call) => adapter.streamChat(request, call)),

    // Adapters that cannot relay stream chunks, which a relayed stream carries as well. The request log's capture
    // reads every chunk, so while it is on the relayed frames are parsed too.
    relayChatCompletions: (ctx, input) =>
      chat(ctx, input, (adapter, request, call) => adapter.relayChat?.(request, call, ctx.streamCapture !== undefined) ?? adapter.streamChat(request, call)),

    async completions(ctx, input) {
      let request = input;
      const fit = (primary: ModelRoute) =>
        completionFitsUncounted(input, primary) ? undefined : fitCompletionToContext(input, primary).then((fitted) => void ({ request } = fitted));
      const routed = route(ctx, input.model, 'completions', () => completionTokens(request), input.max_tokens, fit);
      const chain = routed instanceof Promise ? await routed : routed; // no turn when nothing had to wait
      ctx.request = request;
      return answer(
        ctx,
        chain,
        request.stream === true,
        (candidate, call) => candidate.deployment.adapter.completions!(request, call),
        (candidate, call) => {
          const { adapter } = candidate.deployment;
          if (adapter.streamCompletions === undefined) {
            throw new GatewayError('invalid_request', `Provider ${adapter.name} cannot stream completions.`, { param: 'stream' });
          }
          return adapter.relayCompletions?.(request, call, ctx.streamCapture !== undefined) ?? adapter.streamCompletions(request, call);
        },
      );
    },

    async embeddings(ctx, request) {
      const routed = route(ctx, request.model, 'embeddings', () => embeddingTokens(request), 0);
      const chain = routed instanceof Promise ? await routed : routed; // no turn when nothing had to wait
      const result = await answer<EmbeddingResponse, never>(
        ctx,
        chain,
        false,
        (candidate, call) => candidate.deployment.adapter.embeddings!(request, call),
        undefined,
      );
      if (result.kind !== 'complete') throw new GatewayError('internal_error', 'Embeddings cannot stream.');
      return result.response;
    },

    listModels(ctx) {
      const { routes } = current();
      return [
        ...[...routes.models.values()].map((model) => modelInfo(model.name, model.ownedBy)),
        ...[...routes.aliases.values()].map((alias) => modelInfo(alias.name, 'switchyard')),
      ].filter((info) => mayUseModel(ctx.caller, info.id));
    },

    getModel(ctx, id) {
      const { routes } = current();
      const model = routes.models.get(id);
      if (model !== undefined || routes.aliases.has(id)) authorizeModel(ctx.caller, id);
      if (model !== undefined) return modelInfo(model.name, model.ownedBy);
      if (routes.aliases.has(id)) return modelInfo(id, 'switchyard');
      throw new GatewayError('model_not_found', `The model \`${id}\` does not exist or you do not have access to it.`, {
        param: 'model',
      });
    },
  };
}
