/**
 * The request log's bounded queue and its batch writer (DESIGN.md §1, §12): a request only pushes its record
 * onto an array; a timer (every `flushIntervalMs`) or a full batch (`batchSize`) starts one multi-row write at a
 * time. Nothing a request does ever waits on the store.
 *
 * Between timer ticks only full batches are written: a partial batch waits for the tick (or to fill up). Draining
 * whatever piled up during the last write made, under steady traffic, a stream of tiny batches, and a statement
 * costs PGlite ~1 ms whatever its size (bench/RESULTS.md, "Request log insert").
 *
 * - Full queue, store healthy: the new record is dropped and counted (`queue_full`) — the request is not slowed.
 * - Store failing: the batch goes back to the front and is retried with exponential backoff; the queue keeps the
 *   newest records, dropping the oldest beyond its bound (`store_unavailable`). Memory stays within
 *   `queueSize + batchSize` records.
 * - A write that neither succeeds nor fails within `writeTimeoutMs` counts as failed; the retry cannot double rows
 *   because appends are idempotent per record id.
 */
import type { RequestLogRecord, RequestLogStore } from '../../stores/request-log.js';
import type { RequestLogMetrics } from './metrics.js';

export interface BatchWriterOptions {
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  /** Default 30 s. */
  writeTimeoutMs?: number;
  /** Longest wait between retries while the store fails. Default 30 s. */
  maxBackoffMs?: number;
  metrics: RequestLogMetrics;
  /** A write failed (the caller rate-limits its log line). */
  onWriteError(error: unknown): void;
}

const DEFAULT_WRITE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;

function withTimeout(write: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`request log write took longer than ${ms} ms`)), ms);
  });
  return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
}

export class BatchWriter {
  private queue: RequestLogRecord[] = [];
  private writing: Promise<void> | undefined;
  private kickScheduled = false;
  /** Set by the timer and `flush()`: write the partial batch too. */
  private flushDue = false;
  private failures = 0;
  /** `performance.now()` before which no write is tried (backoff after a failure). */
  private retryAt = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: RequestLogStore,
    private readonly options: BatchWriterOptions,
  ) {
    this.timer = setInterval(() => {
      this.flushDue = true;
      this.kick();
    }, options.flushIntervalMs);
    this.timer.unref();
  }

  /** Records waiting (not counting a batch being written). */
  get depth(): number {
    return this.queue.length;
  }

  /** True while the last write failed and the writer is backing off. */
  get failing(): boolean {
    return this.failures > 0;
  }

  enqueue(record: RequestLogRecord): void {
    const { metrics, queueSize, batchSize } = this.options;
    if (this.closed) {
      metrics.dropped('shutdown', 1);
      return;
    }
    if (this.queue.length >= queueSize) {
      if (!this.failing) {
        metrics.dropped('queue_full', 1);
        return;
      }
      // The store is down: the newest records are the useful ones.
      this.queue.shift();
      metrics.dropped('store_unavailable', 1);
    }
    this.queue.push(record);
    if (this.queue.length >= batchSize && !this.kickScheduled) {
      // Never write on the caller's stack: the request that filled the batch is not charged for it.
      this.kickScheduled = true;
      setImmediate(() => {
        this.kickScheduled = false;
        this.kick();
      });
    }
  }

  /** Writes what is queued now (tests and shutdown); resolves when the queue is empty or a write failed. */
  async flush(): Promise<void> {
    this.retryAt = 0;
    this.flushDue = true;
    await this.writing;
    this.flushDue = true;
    this.kick();
    await this.writing;
  }

  /** Stops taking records, writes what is left for up to `graceMs`, and counts the rest as dropped. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const deadline = performance.now() + graceMs;
    while (this.queue.length > 0 && performance.now() < deadline) {
      const before = this.queue.length;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))))]);
      clearTimeout(timer);
      if (this.failing && this.queue.length >= before) break;
    }
    if (this.queue.length > 0) this.options.metrics.dropped('shutdown', this.queue.length);
    this.queue = [];
  }

  private kick(): void {
    if (this.writing !== undefined || this.queue.length === 0 || performance.now() < this.retryAt) return;
    if (!this.flushDue && this.queue.length < this.options.batchSize) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
    });
  }

  private async drain(): Promise<void> {
    const { batchSize, metrics } = this.options;
    while (this.queue.length > 0 && performance.now() >= this.retryAt && (this.flushDue || this.queue.length >= batchSize)) {
      const partial = this.queue.length < batchSize;
      const batch = this.queue.splice(0, batchSize);
      try {
        await withTimeout(this.store.append(batch), this.options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS);
        this.failures = 0;
        metrics.written(batch.length);
        if (partial || this.queue.length === 0) this.flushDue = false;
      } catch (error) {
        this.failures += 1;
        metrics.writeFailed();
        this.options.onWriteError(error);
        const backoff = Math.min(this.options.flushIntervalMs * 2 ** (this.failures - 1), this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
        this.retryAt = performance.now() + backoff;
        this.requeue(batch);
        return;
      }
    }
  }

  /** Puts a failed batch back in front, keeping the newest `queueSize` records. */
  private requeue(batch: RequestLogRecord[]): void {
    const merged = batch.concat(this.queue);
    const excess = merged.length - this.options.queueSize;
    if (excess > 0) {
      this.options.metrics.dropped('store_unavailable', excess);
      merged.splice(0, excess);
    }
    this.queue = merged;
  }
}
