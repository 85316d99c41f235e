/**
 * The HTTP client every adapter uses: undici keep-alive pools, per-phase timeouts, and one mapping of transport
 * failures to GatewayErrors, so that no adapter hand-rolls connection handling.
 */
import { Agent, errors as undiciErrors, request } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError } from './errors.js';

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

function headerLookup(headers: Dispatcher.ResponseData['headers']): HeaderLookup {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/**
 * A response body as its network reads, with transport failures mapped to GatewayErrors. A reader that stops
 * early (a stream's `[DONE]` before the body's end) leaves the rest to be read away in the background: that keeps
 * the connection reusable, where destroying the body would close it (and cost an AbortError per stream).
 */
function bodyReads(stream: Dispatcher.ResponseData['body'], transportError: (error: unknown) => unknown): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      // Node's own iterator, minus destroy-on-return (stable in use since Node 16.3, still marked experimental).
      const reads = stream.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array>;
      return {
        next: () =>
          reads.next().catch((error: unknown) => {
            throw transportError(error);
          }),
        return() {
          // dump() first: it listens for errors before the iterator lets go of the stream.
          stream.dump().catch(() => undefined);
          return reads.return?.() ?? Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}

export class UpstreamHttp {
  private readonly agent: Agent;

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

  async send(url: string, init: UpstreamRequest): Promise<UpstreamResponse> {
    const headers = { ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: init.method,
        headers,
        body,
        signal: init.signal,
        dispatcher: this.agent,
        ...(init.firstByteTimeoutMs === undefined ? {} : { headersTimeout: init.firstByteTimeoutMs }),
      });
    } catch (error) {
      throw this.transportError(error, init.signal);
    }
    const { body: stream } = response;
    const provider = this.providerName;
    const responseHeaders = headerLookup(response.headers);
    init.onResponseHeaders?.(responseHeaders);
    // Once headers arrived the upstream was reached; a failure now means it cut its answer short.
    const transportError = (error: unknown) => this.transportError(error, init.signal, 'body');
    return {
      status: response.statusCode,
      headers: responseHeaders,
      body: bodyReads(stream, transportError),
      async text() {
        try {
          return await stream.text();
        } catch (error) {
          throw transportError(error);
        }
      },
      async json() {
        let text: string;
        try {
          text = await stream.text();
        } catch (error) {
          throw transportError(error);
        }
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new GatewayError('upstream_bad_response', `Upstream ${provider} returned a body that is not JSON.`, {
            retryable: true,
          });
        }
      },
      discard() {
        // dump() reads the rest away so the connection can be reused; destroy() would emit an unhandled
        // RequestAbortedError on the body stream and crash the process.
        stream.dump().catch(() => undefined);
      },
    };
  }

  /** Maps undici/socket failures to GatewayErrors; an abort we asked for is rethrown as the abort reason. */
  private transportError(error: unknown, signal: AbortSignal, phase: 'connect' | 'body' = 'connect'): unknown {
    if (error instanceof GatewayError) return error;
    if (signal.aborted) return signal.reason ?? error;
    const provider = this.providerName;
    if (error instanceof undiciErrors.ConnectTimeoutError) {
      return new GatewayError('upstream_timeout', `Connecting to upstream ${provider} timed out.`, {
        retryable: true,
        cause: error,
      });
    }
    if (error instanceof undiciErrors.HeadersTimeoutError) {
      return new GatewayError('upstream_timeout', `Upstream ${provider} did not answer in time (first byte).`, {
        retryable: true,
        cause: error,
      });
    }
    if (error instanceof undiciErrors.BodyTimeoutError) {
      return new GatewayError('upstream_timeout', `Upstream ${provider} stopped sending data.`, {
        retryable: false,
        cause: error,
      });
    }
    const code = (error as { code?: string } | null)?.code ?? 'unknown';
    if (phase === 'body') {
      return new GatewayError('upstream_bad_response', `Upstream ${provider} closed the connection mid-response (${code}).`, {
        retryable: true,
        cause: error,
      });
    }
    return new GatewayError('upstream_unavailable', `Could not reach upstream ${provider} (${code}).`, {
      retryable: true,
      cause: error,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
