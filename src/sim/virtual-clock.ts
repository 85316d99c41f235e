/**
 * Virtual time for the simulated engine, in seconds. While the engine works, virtual time is exactly the sum of
 * its step durations, whatever the host's speed; real time only paces it (`timeScale` real seconds per virtual
 * second, so 0.01 runs 100× faster than the modelled GPU). While it idles, virtual time follows real time at the
 * same scale, so gaps between a client's requests count as idle virtual time. If the host falls behind, the
 * engine catches up by running steps back to back; if it falls far behind, virtual time stops waiting for it.
 */

/** Lateness (real ms) the engine may make up by running steps without pauses before it stops trying. */
const catchUpWindowMs = 50;

export class VirtualClock {
  readonly timeScale: number;
  private readonly realNow: () => number;
  private anchorReal: number;
  private anchorVirtual = 0;
  /** Virtual time already reached; never goes back. */
  private floor = 0;
  /** End of the step in flight: requests arriving meanwhile arrive no later than it. */
  private ceiling = Number.POSITIVE_INFINITY;

  constructor(timeScale: number, realNow: () => number = () => performance.now()) {
    this.timeScale = timeScale;
    this.realNow = realNow;
    this.anchorReal = realNow();
  }

  now(): number {
    if (this.timeScale === 0) return this.floor;
    const tracked = this.anchorVirtual + (this.realNow() - this.anchorReal) / 1000 / this.timeScale;
    return Math.min(Math.max(tracked, this.floor), this.ceiling);
  }

  /** Pauses until the real moment that corresponds to virtual time `end`, then makes it the present. */
  async runUntil(end: number): Promise<void> {
    this.ceiling = end;
    const delayMs = this.anchorReal + (end - this.anchorVirtual) * this.timeScale * 1000 - this.realNow();
    await (delayMs >= 1 ? sleep(delayMs) : yieldToEvents());
    this.floor = end;
    this.ceiling = Number.POSITIVE_INFINITY;
    const lateMs = -delayMs;
    if (this.timeScale === 0 || lateMs > catchUpWindowMs) {
      this.anchorReal = this.realNow();
      this.anchorVirtual = end;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets sockets and timers run between back-to-back steps. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
