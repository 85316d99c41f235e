/**
 * The one interface every provider adapter implements. Adapters translate the internal (OpenAI-shaped) model to
 * their wire format and back, classify their own errors into `GatewayError`s, and never know about each other.
 */
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from './openai-schema.js';
import type { ChatChunk, ChatResponse, CompletionResponse, EmbeddingResponse } from './openai-types.js';
import type { HeaderLookup, UpstreamRequest } from './upstream-http.js';
import type { PriceSchedule } from './price-schedule.js';

export interface UpstreamCall {
  /** The model name the upstream knows (the deployment's `model`). */
  model: string;
  /** Aborts the upstream request: client disconnect, deadline, shutdown. */
  signal: AbortSignal;
  /** The gateway's request id, forwarded upstream for correlation. */
  requestId: string;
  /** This attempt's limit to the upstream's response headers; unset = the provider's configured default. */
  firstByteTimeoutMs?: number;
  /** Sees the upstream's response headers (its quota headers steer load balancing). */
  onResponseHeaders?: (headers: HeaderLookup) => void;
}

/** The per-attempt transport options of a call, for `UpstreamHttp.send`. */
export function attemptOptions(
  call: UpstreamCall,
): Pick<UpstreamRequest, 'signal' | 'firstByteTimeoutMs' | 'onResponseHeaders'> {
  return { signal: call.signal, firstByteTimeoutMs: call.firstByteTimeoutMs, onResponseHeaders: call.onResponseHeaders };
}

/**
 * A stream of internal chunks, delivered as batches: each batch holds, in order, the chunks one upstream network
 * read completed (never empty). A batch goes through the gateway and onto the client's socket as one write, so
 * the per-chunk cost is a loop iteration rather than a trip through every async layer; no chunk ever waits for
 * a later read.
 */
export type ChunkStream<C> = AsyncIterable<C[]>;

/**
 * An upstream SSE frame relayed as the upstream encoded it (`data: …` and its blank line), because the gateway
 * had nothing to change in it: no usage, no error, no finish reason, nothing an engine quirk rewrites. `chunk`
 * is the frame parsed, present only when the stream was opened for a consumer that reads every chunk.
 */
export class RawFrame<C> {
  constructor(
    readonly sse: string,
    readonly chunk?: C,
    /** Where the frame's `,"usage":null` starts; -1 when it has none. */
    private readonly nullUsageAt = -1,
  ) {}

  /**
   * The frame for an OpenAI-dialect client: a `"usage":null` member (OpenAI sends one on every chunk once usage
   * was asked for, and the gateway always asks) goes only to a client that asked for usage, as with parsed chunks.
   */
  forClient(includeUsage: boolean): string {
    if (includeUsage || this.nullUsageAt < 0) return this.sse;
    return this.sse.slice(0, this.nullUsageAt) + this.sse.slice(this.nullUsageAt + ',"usage":null'.length);
  }
}

/** An item of a relayed stream: a frame passed through as bytes, or a parsed chunk the ingress encodes itself. */
export type Relayed<C> = C | RawFrame<C>;

/** The chunk an item stands for, when known (a raw frame opened without parsing has none). */
export function chunkOf<C>(item: Relayed<C>): C | undefined {
  return item instanceof RawFrame ? item.chunk : item;
}

/**
 * Streams are `ChunkStream`s. The upstream request starts on the first `next()`, and every failure before the
 * first batch is thrown from it, so callers can hold response headers back until the upstream has really
 * answered (the commit point). Adapters always end a successful stream with a usage-only chunk (`choices: []`,
 * `usage` set) when the upstream reports usage; the ingress decides what the client sees. A stream that ends
 * without a finish reason throws `upstream_bad_response`.
 */
export interface ProviderAdapter {
  /** Configured provider name (a key of `providers:`). */
  readonly name: string;
  /** Adapter type (`openai`, `anthropic`, ...), for metrics and headers only. */
  readonly type: string;
  chat(request: ChatRequest, call: UpstreamCall): Promise<ChatResponse>;
  streamChat(request: ChatRequest, call: UpstreamCall): ChunkStream<ChatChunk>;
  completions?(request: CompletionRequest, call: UpstreamCall): Promise<CompletionResponse>;
  streamCompletions?(request: CompletionRequest, call: UpstreamCall): ChunkStream<CompletionResponse>;
  /**
   * The same streams for an OpenAI-dialect client, from an OpenAI-wire upstream: frames that need no change come
   * through as `RawFrame`s (their bytes, not re-encoded); the rest as chunks, exactly as `streamChat` makes them.
   * `parseAll` also parses the raw frames, for a consumer that reads every chunk (the request log's capture).
   */
  relayChat?(request: ChatRequest, call: UpstreamCall, parseAll: boolean): ChunkStream<Relayed<ChatChunk>>;
  relayCompletions?(request: CompletionRequest, call: UpstreamCall, parseAll: boolean): ChunkStream<Relayed<CompletionResponse>>;
  embeddings?(request: EmbeddingRequest, call: UpstreamCall): Promise<EmbeddingResponse>;
  /** The provider's list prices of an upstream model over time; undefined when unknown (self-hosted, new models). */
  priceOf?(upstreamModel: string): PriceSchedule | undefined;
  /** Prometheus endpoint of the engine behind it (self-hosted engines), scraped by engine-aware routing. */
  readonly metricsUrl?: string;
  /** Cheap liveness probe of the upstream; throws a GatewayError when it is unhealthy. */
  checkHealth?(signal: AbortSignal): Promise<void>;
  /** Releases connection pools. */
  close?(): Promise<void>;
}

/** The capabilities an endpoint needs; used to pick only deployments whose adapter supports the operation. */
export type Operation = 'chat' | 'completions' | 'embeddings';

export function supports(adapter: ProviderAdapter, operation: Operation): boolean {
  if (operation === 'chat') return true;
  if (operation === 'completions') return adapter.completions !== undefined;
  return adapter.embeddings !== undefined;
}
