/**
 * One upstream request on undici's dispatch API: the raw handler undici's HTTP/1 client calls directly, and the
 * UpstreamResponse an adapter reads. undici's `request()` builds a Readable, a parsed header object, an abort
 * listener wrapper and several promises per request; here a response costs one promise for its headers and one
 * per body read (a whole non-stream body is one read), with the same timeouts, abort, backpressure and error
 * mapping (undici's api-request.js and readable.js are the model for each).
 */
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { GatewayError } from './errors.js';
import { RawHeaderLookup } from './raw-header-lookup.js';
import type { HeaderLookup, UpstreamRequest, UpstreamResponse } from './upstream-http.js';
import { upstreamTransportError } from './upstream-transport-errors.js';

/** Bytes held for a reader that has not caught up before the socket is paused (a Readable's default). */
const highWaterMark = 64 * 1024;
/** Most bytes of an unwanted body read away to keep its connection; beyond, closing it is cheaper (undici's dump()). */
const drainLimit = 128 * 1024;

/** Who takes the body: not chosen yet, a reader of chunks, text()/json(), or nobody (read away, then dropped). */
type BodyConsumer = 'undecided' | 'iterate' | 'collect' | 'drain';

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface CollectSettle extends Settle<unknown> {
  asJson: boolean;
}

const bodyEnd: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** A UTF-8 byte-order mark is dropped before decoding, as undici's text() does. */
function decodeUtf8(buffer: Buffer): string {
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
}

export class UpstreamExchange
  implements Dispatcher.DispatchHandler, UpstreamResponse, AsyncIterableIterator<Uint8Array>, EventListenerObject
{
  status = 0;
  private rawHeaders: Buffer[] = [];
  private lookup: HeaderLookup | null = null;
  private headersSettle: Settle<UpstreamResponse> | null;
  private abortRequest: ((reason?: Error) => void) | null = null;
  private resumeSocket: (() => void) | null = null;
  private paused = false;
  private consumer: BodyConsumer = 'undecided';
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private bytesRead = 0;
  private readSettle: Settle<IteratorResult<Uint8Array>> | null = null;
  private wakeScheduled = false;
  private collectSettle: CollectSettle | null = null;
  private upstreamDone = false;
  private consumerDone = false;
  private failed = false;
  private failure: unknown = undefined;
  private abortReason: Error | null = null;
  private listening = true;

  constructor(
    private readonly provider: string,
    private readonly init: UpstreamRequest,
    resolve: (response: UpstreamResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.headersSettle = { resolve, reject };
    // The exchange is its own listener (handleEvent): no closure per request; removed when the request is over.
    init.signal.addEventListener('abort', this);
  }

  get headers(): HeaderLookup {
    return (this.lookup ??= new RawHeaderLookup(this.rawHeaders));
  }

  get body(): AsyncIterable<Uint8Array> {
    return this;
  }

  // ---- undici's side (legacy handler methods: called directly, without the wrapper that parses headers) ----

  onConnect(abort: (reason?: Error) => void): void {
    // Aborted while queued for a connection: undici's request() also waits for this point to abort.
    if (this.abortReason !== null) abort(this.abortReason);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: the final response is still to come
    const settle = this.headersSettle;
    if (settle === null) return true;
    this.headersSettle = null;
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    this.resumeSocket = resume;
    try {
      this.init.onResponseHeaders?.(this.headers);
    } catch (error) {
      // The caller never sees this response: nobody reads its body, so close the connection.
      this.consumer = 'drain';
      this.consumerDone = true;
      settle.reject(error);
      this.abortRequest?.(new undiciErrors.RequestAbortedError());
      return false;
    }
    settle.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytesRead += chunk.length;
    if (this.consumer === 'drain') {
      if (this.bytesRead > drainLimit) this.abortRequest?.(new undiciErrors.RequestAbortedError());
      return true;
    }
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.readSettle !== null) this.scheduleWake();
    if (this.consumer === 'collect' || this.bufferedBytes < highWaterMark) return true;
    // Backpressure: undici stops reading the socket (and its idle timer) until resume().
    this.paused = true;
    return false;
  }

  onComplete(): void {
    this.upstreamDone = true;
    if (this.consumer === 'collect') this.finishCollect();
    else if (this.readSettle !== null) this.scheduleWake();
    else if (this.consumerDone) this.stopListening();
  }

  onError(error: Error): void {
    this.upstreamDone = true;
    const settle = this.headersSettle;
    if (settle !== null) {
      this.headersSettle = null;
      this.consumerDone = true;
      this.stopListening();
      settle.reject(upstreamTransportError(this.provider, error, this.init.signal, 'connect'));
      return;
    }
    this.fail(error);
  }

  /** The AbortSignal fired. */
  handleEvent(): void {
    const { signal } = this.init;
    const reason: Error = signal.reason ?? new undiciErrors.RequestAbortedError();
    this.abortReason = reason;
    // In flight: undici closes the connection and reports the abort through onError.
    if (!this.upstreamDone) this.abortRequest?.(reason);
    else this.fail(reason); // all received, not all read: the reader stops here, as a destroyed body would
  }

  // ---- the adapter's side ----

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    if (this.consumer === 'undecided') this.consumer = 'iterate';
    return this;
  }

  /** Everything buffered comes out as one chunk, as a Readable's read() gives it: one batch per network read. */
  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.chunks.length > 0) return Promise.resolve({ done: false, value: this.takeBuffered() });
    if (this.failed) {
      this.consumerDone = true;
      return Promise.reject(this.bodyError());
    }
    if (this.upstreamDone || this.consumerDone) return Promise.resolve(this.endReads());
    return new Promise((resolve, reject) => {
      this.readSettle = { resolve, reject };
    });
  }

  /** A reader that stops early (a stream's `[DONE]` before the body's end): read the rest away. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.discard();
    return Promise.resolve(bodyEnd);
  }

  text(): Promise<string> {
    return this.collect(false) as Promise<string>;
  }

  json(): Promise<unknown> {
    return this.collect(true);
  }

  /**
   * Reads the rest away so the connection can be reused, up to drainLimit; a longer body closes the connection
   * instead. Never fails: whatever happens to a body nobody wants is nobody's error.
   */
  discard(): void {
    if (this.consumerDone) return;
    this.consumer = 'drain';
    this.consumerDone = true;
    this.chunks = [];
    this.bufferedBytes = 0;
    const pending = this.readSettle;
    this.readSettle = null;
    pending?.resolve(bodyEnd);
    if (this.upstreamDone) {
      this.stopListening();
      return;
    }
    const declared = Number(this.headers.get('content-length') ?? 0);
    if (this.bytesRead > drainLimit || declared > drainLimit) {
      this.abortRequest?.(new undiciErrors.RequestAbortedError());
      return;
    }
    this.resumeIfCaughtUp();
  }

  private collect(asJson: boolean): Promise<unknown> {
    if (this.consumer !== 'drain') this.consumer = 'collect';
    if (this.failed || this.upstreamDone) {
      try {
        return Promise.resolve(this.collected(asJson));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.collectSettle = { resolve, reject, asJson };
      this.resumeIfCaughtUp();
    });
  }

  private finishCollect(): void {
    const settle = this.collectSettle;
    if (settle === null) return;
    this.collectSettle = null;
    try {
      settle.resolve(this.collected(settle.asJson));
    } catch (error) {
      settle.reject(error);
    }
  }

  /** The whole body, decoded once; throws the mapped transport error or `upstream_bad_response`. */
  private collected(asJson: boolean): unknown {
    this.consumerDone = true;
    if (this.failed) throw this.bodyError();
    this.stopListening();
    const text = this.bufferedBytes === 0 ? '' : decodeUtf8(this.takeBuffered());
    if (!asJson) return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError('upstream_bad_response', `Upstream ${this.provider} returned a body that is not JSON.`, {
        retryable: true,
      });
    }
  }

  private takeBuffered(): Buffer {
    const { chunks } = this;
    const buffered = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.bufferedBytes);
    this.chunks = [];
    this.bufferedBytes = 0;
    this.resumeIfCaughtUp();
    return buffered;
  }

  private resumeIfCaughtUp(): void {
    if (!this.paused || this.bufferedBytes >= highWaterMark) return;
    this.paused = false;
    // May run the parser at once and call onData/onComplete again: state is consistent by now.
    this.resumeSocket?.();
  }

  /**
   * Wakes a waiting reader after the current network read has been parsed (a microtask), so that all the chunks
   * one read carried reach it together, as a Readable's 'readable' event does.
   */
  private scheduleWake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      const settle = this.readSettle;
      if (settle === null) return;
      this.readSettle = null;
      if (this.chunks.length > 0) settle.resolve({ done: false, value: this.takeBuffered() });
      else if (this.failed) {
        this.consumerDone = true;
        settle.reject(this.bodyError());
      } else if (this.upstreamDone) settle.resolve(this.endReads());
      else this.readSettle = settle;
    });
  }

  private endReads(): IteratorResult<Uint8Array> {
    this.consumerDone = true;
    this.stopListening();
    return bodyEnd;
  }

  /** The body failed (upstream error, timeout, abort): what was buffered is dropped, as destroying a Readable does. */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = error;
    this.chunks = [];
    this.bufferedBytes = 0;
    // The parser's resume() outlives this request on a reused socket: never call it once the request is over.
    this.paused = false;
    this.stopListening();
    if (this.readSettle !== null) this.scheduleWake();
    if (this.collectSettle !== null) this.finishCollect();
  }

  private bodyError(): unknown {
    return upstreamTransportError(this.provider, this.failure, this.init.signal, 'body');
  }

  private stopListening(): void {
    if (!this.listening) return;
    this.listening = false;
    this.init.signal.removeEventListener('abort', this);
  }
}
