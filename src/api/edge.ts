/** The transport-neutral request/response the HTTP edges (node:http, fetch) translate to and from. */
export interface EdgeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The raw query string, without the `?` (absent or empty when there is none). */
  query?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body, already size-checked; null for bodiless methods. */
  body: Uint8Array | null;
  /**
   * The request's one abort controller: the edge aborts it when the client disconnects, shutdown when the grace
   * period ends, and dispatch when the request's deadline passes. One controller (rather than combining
   * signals per request) keeps cancellation cheap on the hot path.
   */
  controller: AbortController;
  requestId: string;
}

export interface EdgeResponse {
  status: number;
  /** This response's own object (never shared between responses): edges may complete it in place. */
  headers: Record<string, string>;
  /** A complete body... */
  body?: string;
  /** ...or a stream of already-encoded SSE frames, written as they come. */
  stream?: AsyncIterable<string>;
  /**
   * For a stream: fields known only once it ended (its cost), which the node:http edge announces in `Trailer`
   * (`names`) and sends as HTTP/1.1 trailers when the response is chunked; `values` answers undefined when there
   * is nothing to send. The fetch edge cannot send trailers and ignores this.
   */
  trailers?: { names: string; values: () => Record<string, string> | undefined };
  /**
   * Edges call this exactly once when the response is over: fully written, failed, or abandoned by the client.
   * It records the request's metrics, so streams are measured to their last byte.
   */
  finish?: () => void;
}

export function header(request: EdgeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const safeRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honours a caller's `x-request-id` when it is a plain token; otherwise mints one. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming !== undefined && safeRequestId.test(incoming) ? incoming : crypto.randomUUID();
}

/** The caller's credential: `Authorization: Bearer <key>` (OpenAI) or `x-api-key` (Anthropic). */
export function credentialOf(request: EdgeRequest): string | undefined {
  const authorization = header(request, 'authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1]?.trim();
  }
  return header(request, 'x-api-key');
}
