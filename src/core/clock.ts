/** Time as the resilience policies see it: monotonic milliseconds, injectable so tests need no real waits. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };
