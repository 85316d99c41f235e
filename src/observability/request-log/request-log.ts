/**
 * The request log (DESIGN.md §10): one record per answered request, built when its last byte is out and handed
 * to the batch writer (store) and/or written as a JSON line (stdout). Bodies only when `request_log.bodies` is
 * on, redacted and cut to size. Old records are pruned hourly per `retention_days`.
 *
 * Settings are read per request (a reload switches logging, bodies, redaction at once); the queue's size, batch
 * size and interval are fixed when the gateway starts.
 */
import type { Registry } from 'prom-client';
import type { RequestLogConfig } from '../../config/request-log-schema.js';
import { defaultRedactedFields } from '../../config/request-log-schema.js';
import type { GatewayContext } from '../../core/context.js';
import type { RequestLogStore } from '../../stores/request-log.js';
import { BatchWriter } from './batch-writer.js';
import { requestLogMetrics, type RequestLogMetrics } from './metrics.js';
import { requestLogLine, requestLogRecord, type LoggedBodies } from './record.js';
import { redactBody } from './redact.js';

/** Where JSON lines go: process.stdout, or a test's sink. */
export interface LineSink {
  write(line: string): boolean;
  readonly writableLength: number;
}

export interface RequestLogOptions {
  settings(): RequestLogConfig;
  /** The store's request log; without one only stdout logging is possible. */
  store?: RequestLogStore;
  registry: Registry;
  stdout?: LineSink;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** The raw bodies of one exchange; a streamed response's is its captured text (stream-capture.ts), as JSON. */
export interface ExchangeBodies {
  request: Uint8Array | null;
  response: string | undefined;
}

const RETENTION_INTERVAL_MS = 3_600_000;
const RETENTION_FIRST_RUN_MS = 60_000;
const RETENTION_CHUNK = 5000;
/** A stdout nobody reads must not grow without bound: past this many buffered bytes, lines are dropped. */
const STDOUT_BUFFER_LIMIT = 4 * 1024 * 1024;
/** One warning per interval while the store keeps failing. */
const WARN_INTERVAL_MS = 10_000;
const DAY_MS = 86_400_000;

export class RequestLog {
  private readonly writer: BatchWriter | undefined;
  private readonly metrics: RequestLogMetrics;
  private readonly stdout: LineSink;
  private readonly retentionTimers: NodeJS.Timeout[] = [];
  private redactedFields: { source: readonly string[]; set: ReadonlySet<string> } | undefined;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RequestLogOptions) {
    const settings = options.settings();
    this.stdout = options.stdout ?? process.stdout;
    this.metrics = requestLogMetrics(options.registry, () => this.writer?.depth ?? 0);
    if (options.store !== undefined) {
      this.writer = new BatchWriter(options.store, {
        queueSize: settings.queue_size,
        batchSize: settings.batch_size,
        flushIntervalMs: settings.flush_interval_ms,
        metrics: this.metrics,
        onWriteError: (error) => this.warnAtMostEvery('request log write failed; retrying', error),
      });
      const first = setTimeout(() => void this.sweepRetention(), RETENTION_FIRST_RUN_MS);
      const every = setInterval(() => void this.sweepRetention(), RETENTION_INTERVAL_MS);
      first.unref();
      every.unref();
      this.retentionTimers.push(first, every);
    }
  }

  /** Where records are written (and the admin API reads them); undefined when there is no store. */
  get store(): RequestLogStore | undefined {
    return this.options.store;
  }

  /** The most text to keep of a streamed response when bodies are logged; undefined when they are not. */
  streamBodyLimit(): number | undefined {
    const settings = this.options.settings();
    if (!settings.enabled || !settings.bodies) return undefined;
    return (settings.store && this.writer !== undefined) || settings.stdout ? settings.max_body_bytes : undefined;
  }

  /** Called once per request, after its last byte. Never throws, never waits. */
  record(ctx: GatewayContext, status: number, bodies: ExchangeBodies): void {
    const settings = this.options.settings();
    if (!settings.enabled || ctx.endpoint === 'admin') return;
    const toStore = settings.store && this.writer !== undefined;
    if (!toStore && !settings.stdout) return;
    try {
      const record = requestLogRecord(ctx, status, settings.bodies ? this.loggedBodies(bodies, settings) : undefined);
      if (toStore) this.writer!.enqueue(record);
      if (settings.stdout) {
        if (this.stdout.writableLength > STDOUT_BUFFER_LIMIT) this.metrics.dropped('stdout_backpressure', 1);
        else this.stdout.write(requestLogLine(record));
      }
    } catch (error) {
      this.warnAtMostEvery('request log record failed', error);
    }
  }

  /** Writes what is queued (tests, admin reads that must see the latest requests). */
  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }

  /** Deletes records older than `retention_days` in bounded chunks; returns how many went. */
  async sweepRetention(now = Date.now()): Promise<number> {
    const { retention_days: days } = this.options.settings();
    const store = this.options.store;
    if (store === undefined || days === 0) return 0;
    const cutoff = new Date(now - days * DAY_MS);
    let removed = 0;
    try {
      for (;;) {
        const chunk = await store.deleteOlderThan(cutoff, RETENTION_CHUNK);
        removed += chunk;
        if (chunk < RETENTION_CHUNK) break;
      }
    } catch (error) {
      this.warnAtMostEvery('request log retention failed', error);
    }
    return removed;
  }

  async close(graceMs = 5000): Promise<void> {
    for (const timer of this.retentionTimers) clearTimeout(timer);
    await this.writer?.close(graceMs);
  }

  private loggedBodies(bodies: ExchangeBodies, settings: RequestLogConfig): LoggedBodies {
    const fields = this.fieldsToRedact(settings.redact_fields);
    const redact = (text: string) => redactBody(text, fields, settings.max_body_bytes);
    return {
      request: bodies.request === null ? null : redact(Buffer.from(bodies.request).toString('utf8')),
      response: bodies.response === undefined ? null : redact(bodies.response),
    };
  }

  private fieldsToRedact(configured: readonly string[]): ReadonlySet<string> {
    if (this.redactedFields?.source !== configured) {
      const names = [...defaultRedactedFields, ...configured].map((name) => name.toLowerCase());
      this.redactedFields = { source: configured, set: new Set(names) };
    }
    return this.redactedFields.set;
  }

  private warnAtMostEvery(message: string, error: unknown): void {
    const now = performance.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) return;
    this.lastWarnAt = now;
    this.options.warn(message, { error: error instanceof Error ? error.message : String(error) });
  }
}
