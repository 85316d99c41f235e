/**
 * The portable edge: the gateway as a web-standard `(Request) => Promise<Response>` handler, for mounting in
 * Hono, Next.js route handlers, or any fetch-based server. Same dispatch and semantics as the node:http edge,
 * except one: a web `Response` cannot carry HTTP trailers, so a stream's `x-switchyard-cost-usd` (a trailer on the
 * node:http edge) is not sent here; its cost still reaches metrics, the request log and the spend rollups.
 */
import { GatewayError, openAIErrorBody } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import { requestIdFrom, type EdgeResponse } from './edge.js';

export type FetchHandler = (request: Request) => Promise<Response>;

async function readLimited(request: Request, limit: number): Promise<Uint8Array | null> {
  if (request.body === null) return null;
  const declared = Number(request.headers.get('content-length'));
  if (declared > limit) throw new GatewayError('request_too_large', `The request body exceeds the limit of ${limit} bytes.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new GatewayError('request_too_large', `The request body exceeds the limit of ${limit} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function errorAsResponse(error: GatewayError, requestId: string): Response {
  return Response.json(openAIErrorBody(error), { status: error.status, headers: { 'x-request-id': requestId } });
}

export function createFetchHandler(gateway: Gateway): FetchHandler {
  return async (request) => {
    const requestId = requestIdFrom(request.headers.get('x-request-id') ?? undefined);
    const { server: settings } = gateway.config();
    let body: Uint8Array | null;
    try {
      body = await readLimited(request, settings.max_body_bytes);
    } catch (error) {
      return errorAsResponse(
        error instanceof GatewayError ? error : new GatewayError('invalid_request', 'The request body could not be read.'),
        requestId,
      );
    }
    const controller = new AbortController();
    const untrack = gateway.track(controller);
    let response: EdgeResponse | undefined;
    let ended = false;
    // Exactly once, however the response ends: read to the end, failed, cancelled, or abandoned by the client.
    const end = () => {
      if (ended) return;
      ended = true;
      request.signal.removeEventListener('abort', onClientAbort);
      untrack();
      response?.finish?.();
    };
    let sink: ReadableStreamDefaultController<Uint8Array> | undefined;
    function onClientAbort() {
      const reason = new GatewayError('client_closed', 'The client closed the request.');
      controller.abort(reason);
      // A host that drops the response without cancelling its body must not keep the request tracked (and
      // shutdown waiting) until the grace period ends. Closing (not erroring) keeps hosts from logging each
      // client that leaves as a server error; the missing [DONE] marks the stream as cut.
      if (sink !== undefined && !ended) {
        sink.close();
        end();
      }
    }
    request.signal.addEventListener('abort', onClientAbort, { once: true });
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    try {
      const url = new URL(request.url);
      response = await gateway.handle({
        method: request.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers,
        body,
        controller,
        requestId,
      });
    } catch {
      end();
      return errorAsResponse(new GatewayError('internal_error', 'Internal gateway error.'), requestId);
    }
    const responseHeaders = { 'x-request-id': requestId, ...response.headers };
    if (response.stream === undefined || request.signal.aborted) {
      end();
      return new Response(response.stream === undefined ? response.body : null, { status: response.status, headers: responseHeaders });
    }
    const frames = response.stream[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(streamController) {
        sink = streamController;
      },
      async pull(streamController) {
        try {
          const next = await frames.next();
          if (ended) return;
          if (next.done) {
            streamController.close();
            end();
          } else streamController.enqueue(encoder.encode(next.value));
        } catch (error) {
          if (!ended) streamController.error(error);
          end();
        }
      },
      async cancel() {
        controller.abort(new GatewayError('client_closed', 'The client closed the stream.'));
        end();
        await frames.return?.();
      },
    });
    return new Response(stream, { status: response.status, headers: responseHeaders });
  };
}
