/** A hand-driven clock and timers (core/clock, core/timers): tests move time with `advance`, nothing really waits. */
import type { Clock } from '../../src/core/clock.js';
import type { TimerHandle, Timers } from '../../src/core/timers.js';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/** Lets promise callbacks that are already due run (several microtask hops, e.g. across `await`s). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeTime implements Clock, Timers {
  private current: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(start = 1_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, delayMs), callback };
    this.pending.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  /** When the timers not yet fired are due, soonest first. */
  get scheduled(): number[] {
    return this.pending.map((timer) => timer.at).sort((a, b) => a - b);
  }

  private soonest(): PendingTimer | undefined {
    return [...this.pending].sort((a, b) => a.at - b.at || a.id - b.id)[0];
  }

  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const next = this.soonest();
      if (next === undefined || next.at > until) break;
      this.pending = this.pending.filter((timer) => timer !== next);
      this.current = Math.max(this.current, next.at);
      next.callback();
      await settle();
    }
    this.current = until;
    await settle();
  }
}
