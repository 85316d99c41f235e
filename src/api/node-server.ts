/**
 * The `node:http` edge (the fast path, DESIGN.md §1): body limit, request id, client-disconnect abort, overall
 * time limit, backpressure-aware streaming, and keep-alive handling for graceful shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayError, openAIErrorBody } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import { requestIdFrom, type EdgeResponse } from './edge.js';

class BodyTooLarge extends Error {}
class BodyTimeout extends Error {}
class ClientLeft extends Error {}

function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new BodyTooLarge());
    let timer: NodeJS.Timeout | undefined;
    // A body that came in the same packets as its headers is parsed by the next tick and needs no timer: most
    // requests then run on one timer (their deadline) instead of two.
    process.nextTick(() => {
      if (!req.complete && !req.destroyed) timer = setTimeout(() => reject(new BodyTimeout()), timeoutMs);
    });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.once('close', () => {
      clearTimeout(timer);
      // A client that leaves mid-upload: without this the request would stay tracked until shutdown's grace ends.
      if (!req.complete) reject(new ClientLeft());
    });
  });
}

function bodyError(error: unknown, settings: { max_body_bytes: number; body_timeout_ms: number }): GatewayError {
  if (error instanceof BodyTooLarge) {
    return new GatewayError('request_too_large', `The request body exceeds the limit of ${settings.max_body_bytes} bytes.`);
  }
  if (error instanceof BodyTimeout) {
    return new GatewayError('body_timeout', `The request body was not received within ${settings.body_timeout_ms} ms.`);
  }
  return new GatewayError('invalid_request', 'The request body could not be read.');
}

function writeError(res: ServerResponse, requestId: string, error: GatewayError, close: boolean): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (close) headers.connection = 'close';
  res.writeHead(error.status, headers).end(JSON.stringify(openAIErrorBody(error)));
}

/**
 * Writes each frame as it comes (one per upstream read). Node corks the socket on a response write until the
 * next tick, so frames made before the event loop next waits for I/O (the last batch, `[DONE]`, the chunked
 * terminator) already leave in one syscall, and none waits for a later upstream read.
 */
async function writeStream(res: ServerResponse, stream: AsyncIterable<string>, trailers: EdgeResponse['trailers']): Promise<void> {
  for await (const frame of stream) {
    if (res.destroyed) break;
    if (!res.write(frame)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  // Trailers ride in the chunked terminator, so they leave with the last frames; none when the value is unknown.
  const values = trailers !== undefined && res.chunkedEncoding && !res.destroyed ? trailers.values() : undefined;
  if (values !== undefined) res.addTrailers(values);
  res.end();
}

/**
 * Whether this response will be chunked, the only framing that carries trailers: Node throws on a `Trailer`
 * header otherwise (HTTP/1.0 clients, HEAD, bodiless statuses).
 */
function canTrail(req: IncomingMessage, res: ServerResponse, status: number): boolean {
  return res.useChunkedEncodingByDefault && req.method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The gateway as a `node:http` request listener, for mounting in an existing server (library mode) without
 * the web Request/Response conversion. Paths are the gateway's own (`/v1/...`, `/healthz`, ...).
 */
export function createNodeHandler(gateway: Gateway): NodeHandler {
  return async (req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id'] as string | undefined);
    const { server: settings } = gateway.config();
    const controller = new AbortController();
    const untrack = gateway.track(controller);
    res.on('close', () => {
      untrack();
      if (!res.writableFinished) controller.abort(new GatewayError('client_closed', 'The client closed the connection.'));
    });
    let body: Uint8Array | null = null;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      try {
        body = await readBody(req, settings.max_body_bytes, settings.body_timeout_ms);
      } catch (error) {
        writeError(res, requestId, bodyError(error, settings), true);
        return;
      }
    }
    const queryAt = req.url?.indexOf('?') ?? -1;
    const path = queryAt >= 0 ? req.url!.slice(0, queryAt) : (req.url ?? '/');
    let response: EdgeResponse | undefined;
    try {
      response = await gateway.handle({
        method: req.method ?? 'GET',
        path,
        query: queryAt >= 0 ? req.url!.slice(queryAt + 1) : undefined,
        headers: req.headers,
        body,
        controller,
        requestId,
      });
      if (res.destroyed) return;
      // Every response's headers object is its own (EdgeResponse): completed in place rather than copied.
      const { headers } = response;
      headers['x-request-id'] = requestId;
      if (response.stream === undefined) {
        // A content-length lets Node send one unchunked write instead of chunked framing.
        const body = response.body ?? '';
        headers['content-length'] = String(Buffer.byteLength(body));
        res.writeHead(response.status, headers);
        res.end(body);
      } else {
        const trailers = response.trailers !== undefined && canTrail(req, res, response.status) ? response.trailers : undefined;
        if (trailers !== undefined) headers.trailer = trailers.names;
        res.writeHead(response.status, headers);
        await writeStream(res, response.stream, trailers);
      }
    } catch {
      if (!res.headersSent) writeError(res, requestId, new GatewayError('internal_error', 'Internal gateway error.'), false);
      else res.destroy();
    } finally {
      response?.finish?.();
    }
  };
}

export function createNodeServer(gateway: Gateway): Server {
  const server = createServer(createNodeHandler(gateway));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // streams may run long; the gateway's own time limit applies per request
  return server;
}

/** Stops accepting connections, drains in-flight requests, and closes idle keep-alive sockets. */
export async function closeNodeServer(server: Server, gateway: Gateway, graceMs?: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await gateway.close(graceMs);
  server.closeAllConnections();
  await closed;
}
