/**
 * Sharing admin kill switches between gateway replicas (DESIGN.md §12: N stateless replicas): a switch set
 * through one replica's /admin takes its target out of rotation on all of them. The store holds the set of
 * switches in force; replicas hear of changes at once (`onChange`) and re-read the set periodically, so a lost
 * change message delays a replica by at most the sync interval. Nothing here is on the request path.
 */
import type { KillSwitchTarget } from './deployment-stats.js';

export interface KillSwitchStore {
  /** Records one switch (disabled: in force; else lifted) and tells the other replicas. */
  write(target: KillSwitchTarget, disabled: boolean): Promise<void>;
  /** Every switch in force. */
  readAll(): Promise<KillSwitchTarget[]>;
  /** Calls `listener` when any replica changed a switch; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
