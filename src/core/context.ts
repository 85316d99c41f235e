/** The one object that travels the whole request path. Stages read and fill it; the edge turns it into headers. */
import type { ChatRequest, CompletionRequest } from './openai-schema.js';
import type { Usage } from './openai-types.js';
import type { AppliedLimits } from '../limits/headers.js';
import type { StreamCapture } from '../observability/request-log/stream-capture.js';
import type { Price } from './pricing.js';
import type { ApiKey, Tenant } from './tenancy.js';

/** Who is calling, as the authenticate stage established it. */
export type Caller =
  /** No master key and no tenants: demo mode, everything allowed. */
  | { readonly kind: 'open' }
  | { readonly kind: 'master' }
  /** A tenant's virtual key. `tier` is the key's override, else the tenant's. */
  | { readonly kind: 'key'; readonly tenant: Tenant; readonly key: ApiKey; readonly tier: string | null };

export interface AttemptRecord {
  provider: string;
  model: string;
  startedAt: number;
  durationMs?: number;
  errorCode?: string;
}

export interface GatewayContext {
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  /** Aborted when the client goes away or the gateway gives up. */
  readonly signal: AbortSignal;
  /** `performance.now()` by which the whole request (stream included) must be done. */
  deadlineAt: number;
  /** Queue priority when a deployment is at its concurrency cap: higher is served first, lower shed first. */
  priority: number;
  /**
   * Set while a stream holds an upstream attempt. Dispatch calls it when the response is over, so an attempt
   * whose stream was abandoned (client gone mid-stream, or before the first write) still gives back its
   * concurrency slot, breaker probe and in-flight count. Idempotent; a completed stream has settled already.
   */
  releaseAttempt?: () => void;
  /**
   * Set by the rate-limit stage: gives back the request's concurrency slots and reconciles its token reservation
   * with the usage. Dispatch calls it when the response ends. Idempotent.
   */
  releaseLimits?: () => void;
  /**
   * Set by the budget stage for tenant keys: reconciles the budget reservation with the real cost and records the
   * spend rollup. Dispatch calls it when the response ends (after `releaseLimits`). Idempotent.
   */
  settleSpend?: () => void;
  /** The model the caller asked for when an exhausted budget served its `downgrade_to` instead. */
  budgetDowngradedFrom?: string;
  /** The tightest rate limits that applied: the `x-ratelimit-*` headers. */
  rateLimits?: AppliedLimits;
  /** Price of the deployment that served the request, when known: turns usage into `costUsd`. */
  price?: Price;
  /** Served by the configured degraded response because every route failed. */
  degraded?: boolean;
  /** Set by authenticate before any other stage runs. */
  caller?: Caller;
  /** The API family the caller spoke: metrics label and error dialect. */
  readonly endpoint: 'chat' | 'completions' | 'embeddings' | 'messages' | 'models' | 'admin';
  /** The chat or completion request being served: engine-aware routing matches its prompt's prefix. */
  request?: ChatRequest | CompletionRequest;
  /** The public model (or alias) the caller asked for. */
  requestedModel?: string;
  /** The public model that served the request, after alias resolution. */
  model?: string;
  provider?: string;
  providerType?: string;
  attempts: AttemptRecord[];
  usage?: Usage;
  /** ms from arrival to the first upstream token (streams) or the full response (non-stream). */
  ttftMs?: number;
  cache: 'hit' | 'miss' | 'semantic' | 'bypass';
  costUsd?: number;
  /** The error code the request ended with, also when it failed after the commit point (in-band). */
  errorCode?: string;
  /** Messages the token budget removed to fit the model's context window (`x-switchyard-trimmed`). */
  trimmedMessages?: number;
  /**
   * The summarize strategy's upstream call, made on this request's behalf: its cost is part of `costUsd`; its
   * usage stays apart from `usage`, which is the served call's (what the client's response reports).
   */
  summaryCall?: { model: string; usage?: Usage; costUsd?: number };
  /** Set by dispatch only while the request log keeps bodies: a streamed answer's text, for its record. */
  streamCapture?: StreamCapture;
}

export function createContext(
  requestId: string,
  endpoint: GatewayContext['endpoint'],
  signal: AbortSignal,
): GatewayContext {
  const startedAt = performance.now();
  return { requestId, startedAt, deadlineAt: Number.POSITIVE_INFINITY, priority: 0, signal, endpoint, attempts: [], cache: 'bypass' };
}
