/**
 * Named counters over a sliding time window, kept as a ring of buckets (as Envoy and Finagle do): memory is fixed,
 * and old counts leave the window one bucket at a time. With 10 buckets the window covers between 90% and 100%
 * of `windowMs`, which is precise enough for budgets and error rates. Pure: time is passed in.
 */
export class SlidingCounts<K extends string> {
  private bucketMs: number;
  /** Which bucket (floor(now / bucketMs)) each slot holds; a slot holding an older one is stale. */
  private readonly bucketIds: number[];
  private readonly counts: Record<K, number[]>;

  constructor(
    windowMs: number,
    private readonly keys: readonly K[],
    private readonly bucketCount = 10,
  ) {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    this.bucketMs = windowMs / bucketCount;
    this.bucketIds = new Array<number>(bucketCount).fill(-Infinity);
    this.counts = Object.fromEntries(keys.map((key) => [key, new Array<number>(bucketCount).fill(0)])) as Record<K, number[]>;
  }

  get windowMs(): number {
    return this.bucketMs * this.bucketCount;
  }

  add(key: K, now: number, amount = 1): void {
    const slot = this.currentSlot(now);
    this.counts[key][slot]! += amount;
  }

  /** Called on every breaker failure and outage-detector record (per attempt): plain loops, one object. */
  totals(now: number): Record<K, number> {
    const current = Math.floor(now / this.bucketMs);
    const totals = {} as Record<K, number>;
    for (const key of this.keys) {
      const counts = this.counts[key];
      let total = 0;
      for (let slot = 0; slot < this.bucketCount; slot++) {
        const id = this.bucketIds[slot]!;
        if (id > current - this.bucketCount && id <= current) total += counts[slot]!;
      }
      totals[key] = total;
    }
    return totals;
  }

  /**
   * Changes the window length (config reload) without losing counts: what the window holds now moves into the
   * current bucket of the new ring, so it expires one new window from now (erring towards remembering).
   */
  resize(windowMs: number, now: number): void {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    if (windowMs === this.windowMs) return;
    const kept = this.totals(now);
    this.clear();
    this.bucketMs = windowMs / this.bucketCount;
    for (const key of this.keys) if (kept[key] !== 0) this.add(key, now, kept[key]);
  }

  clear(): void {
    this.bucketIds.fill(-Infinity);
    for (const key of this.keys) this.counts[key].fill(0);
  }

  private currentSlot(now: number): number {
    const id = Math.floor(now / this.bucketMs);
    const slot = ((id % this.bucketCount) + this.bucketCount) % this.bucketCount;
    if (this.bucketIds[slot] !== id) {
      this.bucketIds[slot] = id;
      for (const key of this.keys) this.counts[key][slot] = 0;
    }
    return slot;
  }
}
