/**
 * Whether a dependency (Redis, PostgreSQL) is answering, as its callers see it: every call reports success or
 * failure, and listeners hear only the changes (up → down, down → up), so an outage makes one log line and one
 * metric change, not one per request.
 */
export type AvailabilityListener = (up: boolean, error: Error | undefined) => void;

export class Availability {
  private isUp = true;
  private readonly listeners = new Set<AvailabilityListener>();

  /** `name`: what is tracked, e.g. `redis (rate limits)`; used in log lines and metric labels. */
  constructor(readonly name: string) {}

  get up(): boolean {
    return this.isUp;
  }

  succeeded(): void {
    if (this.isUp) return;
    this.isUp = true;
    this.emit(true, undefined);
  }

  failed(error: unknown): void {
    if (!this.isUp) return;
    this.isUp = false;
    this.emit(false, error instanceof Error ? error : new Error(String(error)));
  }

  /** Returns the unsubscribe function. */
  onChange(listener: AvailabilityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(up: boolean, error: Error | undefined): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(up, error);
      } catch {
        // A listener's failure (a log sink) must not fail the call that reported the change.
      }
    }
  }
}
