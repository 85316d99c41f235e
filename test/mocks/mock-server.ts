/**
 * The plumbing the protocol-faithful mock upstreams share: a real `node:http` server on a loopback port, every
 * request's body read, parsed and recorded before the mock's own handler runs, aborted connections counted, the
 * current scenario held (or a script of one step per request), timing faults (black hole, slow first byte)
 * played out, and a close that drops open connections. Each mock adds only its protocol.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest, Step, TimingFault } from './mock-upstream.js';

export type Json = Record<string, unknown>;

export const asRecord = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

/** A status, body and extra headers for the mock to answer with as JSON. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the handler gets besides `req` and `res`; already recorded in `requests`. */
export interface MockRequest {
  url: URL;
  /** Path and query string, as recorded. */
  path: string;
  /** The JSON body; null when there was none or it did not parse. */
  body: unknown;
  /** A body was sent and it was not JSON. */
  parseError: boolean;
}

export interface MockServer<S> {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `origin` followed by the base path the mock was started with. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Responses whose client went away before the mock finished them (the mock's own cuts do not count). */
  readonly aborted: number;
  /**
   * The scenario the request being handled is answered under (read it from the handler: with a script, each
   * request has its own); outside a request, the current default.
   */
  readonly scenario: S;
  /** The default for requests the script does not cover; a timing fault applies to each of them. */
  setScenario(scenario: Step<S>): void;
  /** Queues one step per future request, in arrival order; see MockUpstream.script. */
  script(...steps: Step<S>[]): void;
  /** Drops the connection mid-body, with no end marker, as a failing upstream does; not counted as an abort. */
  cut(res: ServerResponse): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isTimingFault<S extends { kind: string }>(step: Step<S>): step is TimingFault<S> {
  return step.kind === 'black_hole' || step.kind === 'slow_first_byte';
}

/** Resolves after `ms`, or at once when the response closes first (the client left); true if it is still open. */
function waitWhileOpen(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** Listens on 127.0.0.1 (port 0), records each request and hands it to `handle`; the URL is `origin + basePath`. */
export async function startMockServer<S extends { kind: string }>(
  options: { scenario: S; basePath?: string },
  handle: (req: IncomingMessage, res: ServerResponse, request: MockRequest) => void | Promise<void>,
): Promise<MockServer<S>> {
  let fallback: Step<S> = options.scenario;
  /** The last protocol scenario set: what a slow first byte without `then` answers with. */
  let scenario = options.scenario;
  const script: Step<S>[] = [];
  // Each request's own scenario, so mocks that read `server.scenario` anywhere in their handler see it.
  const current = new AsyncLocalStorage<S>();
  const requests: RecordedRequest[] = [];
  let aborted = 0;
  const cutByMock = new WeakSet<ServerResponse>();

  const server = createServer(async (req, res) => {
    res.on('close', () => {
      // The client left before the mock finished answering: an abort. The mock's own deliberate cuts do not count.
      if (!res.writableFinished && !cutByMock.has(res)) aborted += 1;
    });
    const url = new URL(req.url ?? '/', 'http://mock');
    const path = url.pathname + url.search;
    const raw = await readBody(req);
    let body: unknown = null;
    let parseError = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        parseError = true;
      }
    }
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const step = script.shift() ?? fallback;
    let answer: S;
    if (isTimingFault(step)) {
      if (step.kind === 'black_hole') return; // the connection stays open, silent, until the client gives up
      if (!(await waitWhileOpen(res, step.delayMs))) return;
      answer = step.then ?? scenario;
    } else {
      answer = step;
    }
    await current.run(answer, () => handle(req, res, { url, path, body, parseError }));
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url: origin + (options.basePath ?? ''),
    requests,
    get aborted() {
      return aborted;
    },
    get scenario() {
      return current.getStore() ?? scenario;
    },
    setScenario(next) {
      fallback = next;
      if (!isTimingFault(next)) scenario = next;
    },
    script(...steps) {
      script.push(...steps);
    },
    cut(res) {
      cutByMock.add(res);
      res.socket?.destroy();
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * A loopback port nothing listens on (a server bound it, then let it go), so connecting to it is refused at once,
 * as with an upstream whose process is down. The OS could hand the port out again, but not within a test's time
 * in practice.
 */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Writes `frames` one per event-loop turn, as an upstream streams tokens, calling `sent` for each just before it
 * is written. Stops once the client has gone; false then, and the caller must not end the response.
 */
export async function writePaced<T>(res: ServerResponse, frames: T[], encode: (frame: T) => string, sent?: (frame: T) => void): Promise<boolean> {
  for (const frame of frames) {
    if (res.destroyed) return false;
    sent?.(frame);
    res.write(encode(frame));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}
