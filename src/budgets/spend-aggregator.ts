/**
 * Rolls finished requests up into per (tenant, key, model, UTC day) rows in memory and writes them to the spend
 * store in one batch every `flushIntervalMs`, and at shutdown. A request only adds to a map entry: nothing waits on
 * the store. While the store is down the rows stay and are retried on the next tick; memory is bounded by
 * `maxPendingRows` distinct rows, the batch being written included, beyond which new rows are dropped and counted.
 * A batch is written again only when the store reported it failed (a statement timeout rolls it back), so rows are
 * counted once; only a connection lost between the commit and its reply would write one twice.
 */
import type { GatewayContext } from '../core/context.js';
import type { SpendRow, SpendStore } from '../stores/spend.js';
import { utcDay } from './period.js';

export interface SpendAggregatorOptions {
  flushIntervalMs: number;
  maxPendingRows: number;
  onFlushError?(error: unknown): void;
  /** Rows dropped because the buffer was full. */
  onDropped?(rows: number): void;
  now?: () => number;
  /** Rows are held (not written) until this settles: the seed must read only rollups written before start. */
  holdUntil?: Promise<void>;
}

export class SpendAggregator {
  private pending = new Map<string, SpendRow>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** The batch being written: its rows count against the bound until written or merged back. */
  private writing: Map<string, SpendRow> | undefined;
  /** Pending rows that will merge into a row of `writing` if it fails (counted once). */
  private overlap = 0;
  private held: boolean;

  constructor(
    private readonly store: SpendStore,
    private readonly options: SpendAggregatorOptions,
  ) {
    this.held = options.holdUntil !== undefined;
    void options.holdUntil?.finally(() => (this.held = false));
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Adds a finished tenant-key request that reached a provider (or has a cost) to its rollup row. */
  record(ctx: GatewayContext): void {
    if (ctx.caller?.kind !== 'key' || (ctx.provider === undefined && ctx.costUsd === undefined)) return;
    const day = utcDay((this.options.now ?? Date.now)());
    const model = ctx.model ?? ctx.requestedModel ?? 'unknown';
    const id = `${ctx.caller.tenant.id}\u0000${ctx.caller.key.id}\u0000${model}\u0000${day}`;
    let row = this.pending.get(id);
    if (row === undefined) {
      const merges = this.writing?.has(id) === true;
      if (!merges && this.pendingRows >= this.options.maxPendingRows) {
        this.options.onDropped?.(1);
        return;
      }
      row = { day, tenantId: ctx.caller.tenant.id, keyId: ctx.caller.key.id, model, requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      this.pending.set(id, row);
      if (merges) this.overlap++;
    }
    row.requests += 1;
    row.inputTokens += ctx.usage?.prompt_tokens ?? 0;
    row.outputTokens += ctx.usage?.completion_tokens ?? 0;
    row.costUsd += ctx.costUsd ?? 0;
  }

  /** Distinct rows waiting to be written, the batch being written included. */
  get pendingRows(): number {
    return this.pending.size + (this.writing?.size ?? 0) - this.overlap;
  }

  /** Writes what is pending in one batch; a failed batch goes back into the buffer. One flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer and writes the rest (waiting for a flush already running). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.held = false; // Seeding given up: the next start seeds from these rows.
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0 || this.held) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = batch;
    try {
      await this.store.add([...batch.values()]);
    } catch (error) {
      this.options.onFlushError?.(error);
      this.putBack(batch);
    } finally {
      this.writing = undefined;
      this.overlap = 0;
    }
  }

  /** Merges an unwritten batch back (it fits: new rows were admitted only beside it, within the bound). */
  private putBack(batch: Map<string, SpendRow>): void {
    let dropped = 0;
    for (const [id, row] of batch) {
      const newer = this.pending.get(id);
      if (newer !== undefined) {
        newer.requests += row.requests;
        newer.inputTokens += row.inputTokens;
        newer.outputTokens += row.outputTokens;
        newer.costUsd += row.costUsd;
      } else if (this.pending.size < this.options.maxPendingRows) this.pending.set(id, row);
      else dropped++;
    }
    if (dropped > 0) this.options.onDropped?.(dropped);
  }
}
