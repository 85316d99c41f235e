/**
 * The sliding window (a sliding log), the exact alternative to GCRA (DESIGN.md §6): a limit of N per minute
 * admits a charge only if the charges still in the trailing minute plus this one stay within N, so no window of
 * 60 s ever holds more than N, whatever the timing. One entry per admitted charge (time, amount, sequence
 * number), oldest first, in a ring buffer that grows only when full: O(limit) state per limit, where GCRA keeps
 * one number. Pure: no clock, no I/O; the Redis Lua script in `redis-sliding-scripts.ts` is the same maths.
 */
import { MINUTE_MS, type RateDecision } from './gcra.js';

// Entry i (0 = oldest) lives at [STRIDE * slot, STRIDE * slot + STRIDE): time (ms), amount, sequence.
const STRIDE = 3;

export class SlidingLog {
  private ring: Float64Array;
  private capacity: number;
  private head = 0;
  private count = 0;
  private sum = 0;

  /** `limit`: the most the ring should ever need for cost-1 charges; it starts small and grows to it. */
  constructor(private readonly limit: number, private readonly windowMs = MINUTE_MS) {
    this.capacity = Math.max(1, Math.min(limit, 16));
    this.ring = new Float64Array(STRIDE * this.capacity);
  }

  /** What the charges in the window add up to (call `expire` first). */
  get used(): number {
    return this.sum;
  }

  /** Whether every charge has left the window by `now`: the log can be dropped. */
  idle(now: number): boolean {
    return this.count === 0 || this.timeAt(this.count - 1) <= now - this.windowMs;
  }

  /** Drops the charges made at or before `now - window`: a charge at t counts until t + window, exclusive. */
  expire(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.count > 0 && this.timeAt(0) <= cutoff) {
      this.sum -= this.ring[this.slot(0) + 1]!;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.count -= 1;
    }
    if (this.count === 0) this.sum = 0;
  }

  /** Whether `cost` fits under `limit` at `now` (after `expire`), without charging it. */
  decide(now: number, limit: number, cost: number): RateDecision {
    const allowed = this.sum + cost <= limit;
    const after = allowed ? this.sum + cost : this.sum;
    const newest = allowed && cost > 0 ? now : this.count > 0 ? this.timeAt(this.count - 1) : undefined;
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - after)),
      resetMs: newest === undefined ? 0 : Math.max(0, Math.ceil(newest + this.windowMs - now)),
      retryAfterMs: allowed ? 0 : this.waitFor(now, this.sum + cost - limit),
    };
  }

  /** Records a charge of `amount` at `now` named `sequence` (greater than every sequence already here). */
  append(now: number, amount: number, sequence: number): void {
    if (amount <= 0) return;
    if (this.count === this.capacity) this.grow();
    const at = this.slot(this.count);
    this.ring[at] = now;
    this.ring[at + 1] = amount;
    this.ring[at + 2] = sequence;
    this.count += 1;
    this.sum += amount;
  }

  /**
   * Adds `delta` (negative: gives back, at most the whole charge) to the charge named `sequence`, which keeps
   * its time: it leaves the window when it would have. False when that charge is not in the window.
   */
  adjust(sequence: number, delta: number): boolean {
    const index = this.find(sequence);
    if (index === undefined) return false;
    const at = this.slot(index);
    const amount = Math.max(0, this.ring[at + 1]! + delta);
    this.sum += amount - this.ring[at + 1]!;
    if (amount > 0) this.ring[at + 1] = amount;
    else this.remove(index);
    return true;
  }

  /** ms until enough of the oldest charges have left for `excess` to fit; when nothing would, until all left. */
  private waitFor(now: number, excess: number): number {
    let freed = 0;
    for (let index = 0; index < this.count; index += 1) {
      freed += this.ring[this.slot(index) + 1]!;
      if (freed >= excess || index === this.count - 1) return Math.max(1, Math.ceil(this.timeAt(index) + this.windowMs - now));
    }
    return this.windowMs;
  }

  /** Binary search by sequence: sequences grow from oldest to newest. */
  private find(sequence: number): number | undefined {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.ring[this.slot(middle) + 2]!;
      if (found === sequence) return middle;
      if (found < sequence) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Closes the gap left by entry `index` (a charge given back entirely), keeping the order. */
  private remove(index: number): void {
    for (let next = index + 1; next < this.count; next += 1) {
      this.ring.copyWithin(this.slot(next - 1), this.slot(next), this.slot(next) + STRIDE);
    }
    this.count -= 1;
  }

  private grow(): void {
    // Up to the limit first (cost-1 charges never need more), beyond it only for adjustments that never refuse.
    const capacity = this.capacity < this.limit ? Math.min(this.limit, this.capacity * 2) : this.capacity * 2;
    const ring = new Float64Array(STRIDE * capacity);
    for (let index = 0; index < this.count; index += 1) ring.set(this.ring.subarray(this.slot(index), this.slot(index) + STRIDE), STRIDE * index);
    this.ring = ring;
    this.capacity = capacity;
    this.head = 0;
  }

  private slot(index: number): number {
    const position = this.head + index;
    return STRIDE * (position >= this.capacity ? position - this.capacity : position);
  }

  private timeAt(index: number): number {
    return this.ring[this.slot(index)]!;
  }
}
