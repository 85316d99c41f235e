/** Prometheus series of the request log writer, on the gateway's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type DropReason = 'queue_full' | 'store_unavailable' | 'shutdown' | 'stdout_backpressure';

export interface RequestLogMetrics {
  dropped(reason: DropReason, count: number): void;
  written(count: number): void;
  writeFailed(): void;
}

export function requestLogMetrics(registry: Registry, queueDepth: () => number): RequestLogMetrics {
  const dropped = new Counter({
    name: 'switchyard_request_log_dropped_total',
    help: 'Request log records dropped instead of written: queue full, store unavailable too long, shutdown, stdout not draining.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const written = new Counter({
    name: 'switchyard_request_log_written_total',
    help: 'Request log records written to the store.',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'switchyard_request_log_write_failures_total',
    help: 'Batch writes to the request log store that failed or timed out (the batch is retried).',
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_request_log_queue_depth',
    help: 'Request log records waiting to be written.',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    dropped: (reason, count) => dropped.inc({ reason }, count),
    written: (count) => written.inc(count),
    writeFailed: () => failures.inc(),
  };
}
