/**
 * The rate half of the memory limiter, one per algorithm: GCRA (one theoretical arrival time per limit) or the
 * sliding window (one `SlidingLog` per limit). Both charge all of a check's limits or none.
 */
import { gcra, gcraAdjust, type GcraStep, type RateDecision } from './gcra.js';
import { SlidingLog } from './sliding-window.js';
import type { RateCheck, RateOutcome } from './types.js';

export interface MemoryRates {
  /** Charges when every check has room and `mayCharge` (false: decide only, as when a slot was refused). */
  check(checks: readonly RateCheck[], now: number, mayCharge?: boolean): RateOutcome;
  adjust(checks: readonly RateCheck[], now: number, charge: string | undefined): void;
  /** Forgets the limits that are full again. */
  sweep(now: number): void;
  clear(): void;
}

export class GcraRates implements MemoryRates {
  private readonly tats = new Map<string, number>();

  check(checks: readonly RateCheck[], now: number, mayCharge = true): RateOutcome {
    const steps: GcraStep[] = checks.map((check) => gcra(this.tats.get(check.key), now, check.limit, check.cost));
    const allowed = steps.every((step) => step.decision.allowed);
    if (allowed && mayCharge) checks.forEach((check, index) => this.tats.set(check.key, steps[index]!.tat));
    return { allowed, decisions: steps.map((step) => step.decision) };
  }

  adjust(checks: readonly RateCheck[], now: number): void {
    for (const check of checks) {
      const tat = gcraAdjust(this.tats.get(check.key), now, check.limit, check.cost);
      if (tat === undefined) this.tats.delete(check.key);
      else this.tats.set(check.key, tat);
    }
  }

  sweep(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }

  clear(): void {
    this.tats.clear();
  }
}

// Stands in for a limit with no log yet: nothing charged.
const EMPTY = new SlidingLog(1);

export class SlidingWindowRates implements MemoryRates {
  private readonly logs = new Map<string, SlidingLog>();
  /** Names charges: each log's entries carry increasing sequences, so `adjust` finds one by binary search. */
  private sequence = 0;

  check(checks: readonly RateCheck[], now: number, mayCharge = true): RateOutcome {
    const decisions: RateDecision[] = checks.map((check) => {
      const log = this.logs.get(check.key);
      log?.expire(now);
      return (log ?? EMPTY).decide(now, check.limit, check.cost);
    });
    const allowed = decisions.every((decision) => decision.allowed);
    if (!allowed || !mayCharge) return { allowed, decisions };
    this.sequence += 1;
    for (const check of checks) if (check.cost > 0) this.logOf(check).append(now, check.cost, this.sequence);
    return { allowed, decisions, charge: String(this.sequence) };
  }

  adjust(checks: readonly RateCheck[], now: number, charge: string | undefined): void {
    const sequence = charge === undefined ? undefined : Number(charge);
    let fresh: number | undefined;
    for (const check of checks) {
      const log = this.logs.get(check.key);
      log?.expire(now);
      if (sequence !== undefined && log?.adjust(sequence, check.cost) === true) continue;
      if (check.cost <= 0) continue;
      // The charge already left the window (or was never named): what it used beyond its reservation counts now.
      fresh ??= ++this.sequence;
      this.logOf(check).append(now, check.cost, fresh);
    }
  }

  sweep(now: number): void {
    for (const [key, log] of this.logs) if (log.idle(now)) this.logs.delete(key);
  }

  clear(): void {
    this.logs.clear();
  }

  private logOf(check: RateCheck): SlidingLog {
    let log = this.logs.get(check.key);
    if (log === undefined) {
      log = new SlidingLog(check.limit);
      this.logs.set(check.key, log);
    }
    return log;
  }
}
