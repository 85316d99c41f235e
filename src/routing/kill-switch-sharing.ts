/**
 * Keeps one replica's kill switches (in `DeploymentStats`) in step with a shared `KillSwitchStore`.
 *
 * Consistency: a local change applies here at once and is written to the store in the background; other
 * replicas apply it when they hear the change message (milliseconds) or at their next sync (`syncMs`), whichever
 * comes first. While the store is unreachable every replica keeps the switches it has and local changes still
 * apply locally; they are remembered and written when the store answers again (last write per target wins),
 * and only then does a sync replace the local set with the shared one.
 */
import { targetKey, type DeploymentStats, type KillSwitchTarget } from './deployment-stats.js';
import type { KillSwitchStore } from './kill-switch-store.js';

export interface KillSwitchSharingOptions {
  syncMs: number;
  /** A failed write or read (the caller tracks the store's availability; called per failure). */
  onError?: (error: unknown) => void;
}

export class KillSwitchSharing {
  /** Local changes not yet written, by target key: lost writes are retried at the next sync. */
  private readonly pending = new Map<string, { target: KillSwitchTarget; disabled: boolean }>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribeLocal: () => void;
  private readonly unsubscribeRemote: () => void;
  private syncing: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly stats: DeploymentStats,
    private readonly store: KillSwitchStore,
    private readonly options: KillSwitchSharingOptions,
  ) {
    this.unsubscribeLocal = stats.onKillSwitch((target, disabled) => this.changedHere(target, disabled));
    this.unsubscribeRemote = store.onChange(() => void this.sync());
    this.timer = setInterval(() => void this.sync(), options.syncMs).unref();
    void this.sync();
  }

  /** Writes what is pending, then adopts the shared set. Concurrent calls coalesce; resolves when done. */
  sync(): Promise<void> {
    if (this.syncing !== undefined) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = this.run().finally(() => {
      this.syncing = undefined;
      if (this.again) {
        this.again = false;
        void this.sync();
      }
    });
    return this.syncing;
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribeLocal();
    this.unsubscribeRemote();
  }

  private changedHere(target: KillSwitchTarget, disabled: boolean): void {
    this.pending.set(targetKey(target), { target, disabled });
    void this.sync();
  }

  private async run(): Promise<void> {
    try {
      for (const [key, change] of [...this.pending]) {
        await this.store.write(change.target, change.disabled);
        // A newer local change to the same target made meanwhile stays pending.
        if (this.pending.get(key) === change) this.pending.delete(key);
      }
      const shared = await this.store.readAll();
      if (this.pending.size > 0) return; // a local change arrived meanwhile: the next round writes it first
      this.stats.replaceKillSwitches(shared);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
