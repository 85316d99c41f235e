/** The local half of a change feed: listeners hear about this process's writes synchronously, after they commit. */
import type { ChangeFeed, StoreChange } from './types.js';

export class ChangeEmitter implements ChangeFeed {
  private readonly listeners = new Set<(change: StoreChange) => void>();

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
