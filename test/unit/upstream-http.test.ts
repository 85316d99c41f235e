/**
 * UpstreamHttp against a real loopback server: what every adapter relies on from one upstream exchange —
 * headers, JSON and text bodies, streamed reads with backpressure, a reader that stops early or discards leaving
 * the connection reusable, aborts, per-phase timeouts and the transport error mapping.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../src/core/errors.js';
import { UpstreamHttp, defaultUpstreamHttpOptions, type UpstreamRequest } from '../../src/core/upstream-http.js';

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('upstream http (dispatch handler)', () => {
  const routes = new Map<string, Route>();
  let server: Server;
  let base: string;
  let connections = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (text: string) => (body += text));
      req.on('end', () => routes.get(req.url ?? '')?.(req, res, body));
    });
    server.on('connection', () => (connections += 1));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    server.closeAllConnections();
    server.close();
  });

  const client = (options: Partial<typeof defaultUpstreamHttpOptions> = {}) =>
    new UpstreamHttp('up', { ...defaultUpstreamHttpOptions, ...options });
  const post = (extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'text/plain' },
    body: { hello: 'wörld' },
    signal: new AbortController().signal,
    ...extra,
  });
  /** A stream of `count` SSE events, `gapMs` apart. */
  const streamRoute = (count: number, gapMs: number): Route => async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < count && !res.destroyed; i++) {
      res.write(`data: ${i}\n\n`);
      await sleep(gapMs);
    }
    res.end();
  };

  test('sends the JSON body with its content type; reads status, headers and JSON back', async () => {
    let seen: { body: string; type: string | undefined; auth: string | undefined } | undefined;
    routes.set('/json?x=1', (req, res, body) => {
      seen = { body, type: req.headers['content-type'], auth: req.headers.authorization };
      res.writeHead(201, [['x-one', 'a'], ['content-type', 'application/json'], ['X-Dup', 'b'], ['x-dup', 'c']].flat());
      res.end('\ufeff{"ok":true}');
    });
    const http = client();
    let fromCallback: string | null = null;
    const response = await http.send(`${base}/json?x=1`, post({ onResponseHeaders: (h) => (fromCallback = h.get('x-one')) }));
    assert.equal(response.status, 201);
    assert.equal(fromCallback, 'a');
    assert.equal(response.headers.get('X-One'), 'a');
    assert.equal(response.headers.get('x-dup'), 'b, c');
    assert.equal(response.headers.get('x-absent'), null);
    assert.deepEqual(await response.json(), { ok: true });
    assert.deepEqual(seen, { body: '{"hello":"wörld"}', type: 'application/json', auth: 'Bearer k' });
    await http.close();
  });

  test('a body that is not JSON is upstream_bad_response; text() reads it', async () => {
    routes.set('/html', (_req, res) => res.end('<html>oops</html>'));
    const http = client();
    await assert.rejects((await http.send(`${base}/html`, post())).json(), { code: 'upstream_bad_response' });
    assert.equal(await (await http.send(`${base}/html`, post())).text(), '<html>oops</html>');
    await http.close();
  });

  test('a reader that stops early and a discarded body both leave the connection reusable', async () => {
    routes.set('/stream', streamRoute(5, 5));
    // One connection: a request waits for the previous body to be read away; one that is closed shows as a new one.
    const http = client({ maxConnections: 1 });
    const before = connections;
    const response = await http.send(`${base}/stream`, post());
    for await (const chunk of response.body) {
      assert.equal(Buffer.from(chunk).toString(), 'data: 0\n\n');
      break;
    }
    (await http.send(`${base}/stream`, post())).discard();
    const again = await http.send(`${base}/stream`, post());
    let text = '';
    for await (const chunk of again.body) text += Buffer.from(chunk).toString();
    assert.equal(text, [0, 1, 2, 3, 4].map((i) => `data: ${i}\n\n`).join(''));
    assert.equal(connections - before, 1, 'one connection served all three requests');
    assert.deepEqual(unhandled, []);
    await http.close();
  });

  test('a reader that does not keep up pauses the socket: the upstream stalls until it reads on', async () => {
    const total = 64 * 1024 * 1024;
    let written = () => 0;
    routes.set('/big', (_req, res) => {
      const { socket } = res;
      written = () => socket?.bytesWritten ?? 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const piece = Buffer.alloc(1024 * 1024, 120);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const http = client();
    const response = await http.send(`${base}/big`, post());
    // Socket buffers fill within a few hundred ms; after that, nothing moves while nobody reads.
    await sleep(400);
    const stalledAt = written();
    await sleep(400);
    assert.equal(written(), stalledAt, 'the upstream wrote on although the body was not read');
    assert.ok(stalledAt < total / 2);
    let received = 0;
    for await (const chunk of response.body) received += chunk.length;
    assert.equal(received, total);
    await http.close();
  });

  test('an abort after the headers ends the body with the abort reason, once', async () => {
    routes.set('/slow', streamRoute(50, 20));
    const http = client();
    const controller = new AbortController();
    const response = await http.send(`${base}/slow`, post({ signal: controller.signal }));
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(
      (async () => {
        for await (const _chunk of response.body) {
          // reading until the abort
        }
      })(),
      (error) => error === reason,
    );
    await sleep(20);
    assert.deepEqual(unhandled, []);
    await http.close();
  });

  test('an aborted signal rejects with its reason before and while waiting for headers', async () => {
    routes.set('/never', () => undefined);
    const http = client();
    const early = new AbortController();
    early.abort(new Error('early'));
    await assert.rejects(http.send(`${base}/never`, post({ signal: early.signal })), /early/);
    const late = new AbortController();
    setTimeout(() => late.abort(new Error('late')), 30);
    await assert.rejects(http.send(`${base}/never`, post({ signal: late.signal })), /late/);
    await http.close();
  });

  test('first-byte (per request) and idle timeouts become upstream_timeout', async () => {
    routes.set('/never', () => undefined);
    routes.set('/stall', (_req, res) => res.writeHead(200).write('data: 0\n\n'));
    const http = client({ idleTimeoutMs: 100 });
    await assert.rejects(http.send(`${base}/never`, post({ firstByteTimeoutMs: 50 })), (error) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_timeout');
      assert.match(error.message, /first byte/);
      return true;
    });
    const response = await http.send(`${base}/stall`, post());
    await assert.rejects(
      (async () => {
        for await (const _chunk of response.body) {
          // the first event, then silence
        }
      })(),
      { code: 'upstream_timeout', message: /stopped sending/ },
    );
    await http.close();
  });

  test('an unreachable upstream is upstream_unavailable; a cut-off body is upstream_bad_response', async () => {
    const http = client();
    await assert.rejects(http.send('http://127.0.0.1:1/v1', post()), { code: 'upstream_unavailable' });
    routes.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.destroy(), 20);
    });
    await assert.rejects((await http.send(`${base}/cut`, post())).text(), { code: 'upstream_bad_response' });
    await http.close();
  });
});
