/**
 * The HTTP client every adapter uses: undici keep-alive pools, per-phase timeouts, and one mapping of transport
 * failures to GatewayErrors, so that no adapter hand-rolls connection handling.
 */
import { Agent } from 'undici';
import { UpstreamExchange } from './upstream-exchange.js';

export interface UpstreamHttpOptions {
  /** TCP + TLS connect timeout. */
  connectTimeoutMs: number;
  /** Time from sending the request to the response headers (the first byte). */
  firstByteTimeoutMs: number;
  /** Longest silence between two body chunks (streams included). */
  idleTimeoutMs: number;
  /** Connections per upstream origin. */
  maxConnections: number;
}

export const defaultUpstreamHttpOptions: UpstreamHttpOptions = {
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 120_000,
  idleTimeoutMs: 120_000,
  maxConnections: 256,
};

export interface HeaderLookup {
  get(name: string): string | null;
}

export interface UpstreamResponse {
  status: number;
  headers: HeaderLookup;
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Reads the body as JSON; a body that is not JSON becomes `upstream_bad_response`. */
  json(): Promise<unknown>;
  /** Throws the body away and frees the connection for reuse. */
  discard(): void;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
  /** Overrides the pool's first-byte timeout for this request (a deadline's share for one attempt). */
  firstByteTimeoutMs?: number;
  /** Called once the response headers arrived, whatever the status. */
  onResponseHeaders?: (headers: HeaderLookup) => void;
}

interface UpstreamTarget {
  origin: string;
  path: string;
}

const maxCachedTargets = 1024;

/**
 * The request headers as undici's flat `[name, value, ...]` list (no object copy per request); a JSON body sets
 * the content type, replacing any the caller passed.
 */
function requestHeaders(init: UpstreamRequest): string[] {
  const withBody = init.body !== undefined;
  const headers: string[] = [];
  for (const name in init.headers) {
    if (withBody && name.length === 12 && name.toLowerCase() === 'content-type') continue;
    headers.push(name, init.headers[name] as string);
  }
  if (withBody) headers.push('content-type', 'application/json');
  return headers;
}

export class UpstreamHttp {
  private readonly agent: Agent;
  private readonly targets = new Map<string, UpstreamTarget>();

  constructor(
    readonly providerName: string,
    options: UpstreamHttpOptions = defaultUpstreamHttpOptions,
  ) {
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.firstByteTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      connections: options.maxConnections,
      keepAliveTimeout: 30_000,
    });
  }

  /** Resolves once the response headers arrived, whatever the status; transport failures become GatewayErrors. */
  send(url: string, init: UpstreamRequest): Promise<UpstreamResponse> {
    const { signal } = init;
    // What undici's request() would end with, minus connecting first.
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const { origin, path } = this.target(url);
      const headers = requestHeaders(init);
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      const exchange = new UpstreamExchange(this.providerName, init, resolve, reject);
      // undici hands a synchronous failure (invalid options, closed agent) to exchange.onError.
      this.agent.dispatch(
        { origin, path, method: init.method, headers, body, headersTimeout: init.firstByteTimeoutMs },
        exchange,
      );
    });
  }

  /** Origin (the agent's pool key, normalised as undici's request() does) and path; a URL is parsed once. */
  private target(url: string): UpstreamTarget {
    let target = this.targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      // URLs are per operation and model, a handful per provider; the bound only guards against a runaway.
      if (this.targets.size >= maxCachedTargets) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
