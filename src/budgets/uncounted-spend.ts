/**
 * Spend the budget counters have not counted yet: settlements that failed because the counter store was
 * unreachable when the request ended, and requests served fail-open while it was down. They wait here, in memory
 * and bounded, and are settled once the store answers again, so each period's total catches up and thresholds
 * crossed meanwhile still alert (late, once across replicas). A pending settlement keeps its lease id, so settling
 * it also frees the reservation it held; requests served without a reservation are merged per set of budgets.
 *
 * At least once: a settlement whose reply was lost (a timeout after Redis ran it) is counted again. The error is
 * on the budget's safe side, and only a cut between the script and its reply causes it.
 */
import { randomUUID } from 'node:crypto';
import type { BudgetCounter, SettleOutcome, Settlement } from './types.js';

export interface PendingSettlement {
  lines: Settlement[];
  /** The reservation's lease; undefined for a request that holds none (served fail-open). */
  leaseId: string | undefined;
  /** Hears the outcome once it is counted (raises the alerts it crossed). */
  report(outcomes: SettleOutcome[]): void;
}

export interface UncountedSpendOptions {
  counter: BudgetCounter;
  /** Alert thresholds now (ascending percents). */
  thresholds(): readonly number[];
  /** Most settlements held; beyond it new ones are dropped and counted. */
  maxEntries: number;
  onDropped?(count: number): void;
  onError?(error: unknown): void;
}

export class UncountedSpend {
  private readonly pending = new Map<string, PendingSettlement>();
  private settling: Promise<void> | undefined;

  constructor(private readonly options: UncountedSpendOptions) {}

  /** Settlements waiting for the store. */
  get size(): number {
    return this.pending.size;
  }

  /** Nano-dollars waiting to be counted, over every line (tests, admin). */
  get nanos(): number {
    let total = 0;
    for (const entry of this.pending.values()) for (const line of entry.lines) total += line.spent;
    return total;
  }

  add(entry: PendingSettlement): void {
    const id = entry.leaseId ?? `open\u0000${entry.lines.map((line) => line.key).join('\u0000')}`;
    const found = this.pending.get(id);
    if (found !== undefined && entry.leaseId === undefined) {
      // A new object, so a run counting `found` right now sees that more arrived (see `run`).
      this.pending.set(id, { ...found, lines: found.lines.map((line, index) => ({ ...line, spent: line.spent + (entry.lines[index]?.spent ?? 0) })) });
      return;
    }
    if (found === undefined && this.pending.size >= this.options.maxEntries) {
      this.options.onDropped?.(1);
      return;
    }
    this.pending.set(id, { ...entry, lines: [...entry.lines] });
  }

  /** Settles what is pending, oldest first, stopping at the first failure; one run at a time. */
  settle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    this.settling ??= this.run().finally(() => (this.settling = undefined));
    return this.settling;
  }

  private async run(): Promise<void> {
    for (const [id, entry] of [...this.pending]) {
      let outcomes: SettleOutcome[];
      try {
        outcomes = await this.options.counter.settle(entry.lines, entry.leaseId ?? randomUUID(), this.options.thresholds());
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      // A fail-open request merged in while this one was being counted stays for the next run.
      const now = this.pending.get(id);
      if (now === entry) this.pending.delete(id);
      else if (now !== undefined) this.pending.set(id, { ...now, lines: now.lines.map((line, index) => ({ ...line, spent: line.spent - (entry.lines[index]?.spent ?? 0) })) });
      entry.report(outcomes);
    }
  }
}
