/** setTimeout/clearTimeout, injectable so tests drive time by hand instead of waiting (see core/clock.ts). */

/** An opaque handle from `Timers.setTimeout`. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real timers, unref'd: a pending health probe or queue deadline never keeps the process alive. */
export const systemTimers: Timers = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
