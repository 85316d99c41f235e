/**
 * Which deployments served which prompt blocks (prefix affinity, DESIGN.md §5): a bounded LRU from a chained
 * block hash to the deployments that were sent a prompt with that prefix, most recent last. An engine with the
 * prefix in its cache skips that prefill, so the deployment holding the longest matching prefix is where the
 * next request of a conversation, or another request with the same system prompt, is cheapest to serve.
 * Engines evict too; the index only remembers what is likely still cached, and a stale guess costs a prefill.
 */

/** At most this many deployments are remembered per block: a shared system prompt ends up on every one. */
const maxHoldersPerBlock = 8;

export class PrefixAffinityIndex {
  private readonly holders = new Map<number, string[]>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.holders.size;
  }

  /**
   * For each deployment holding at least the first block: how many leading blocks of `hashes` it served.
   * Because the hashes are chained, holding block i means having served blocks 0..i.
   */
  matches(hashes: readonly number[]): Map<string, number> {
    const lengths = new Map<string, number>();
    for (let index = 0; index < hashes.length; index++) {
      const holders = this.holders.get(hashes[index]!);
      if (holders === undefined) break;
      let extended = false;
      for (const id of holders) {
        if ((lengths.get(id) ?? 0) !== index) continue;
        lengths.set(id, index + 1);
        extended = true;
      }
      if (!extended) break;
    }
    return lengths;
  }

  /** Notes that `deploymentId` was sent a prompt with these blocks; evicts the least recently used beyond the bound. */
  record(hashes: readonly number[], deploymentId: string): void {
    for (const hash of hashes) {
      const holders = this.holders.get(hash);
      if (holders === undefined) {
        this.holders.set(hash, [deploymentId]);
        continue;
      }
      const at = holders.indexOf(deploymentId);
      if (at !== -1) holders.splice(at, 1);
      holders.push(deploymentId);
      if (holders.length > maxHoldersPerBlock) holders.shift();
      // Re-inserting moves the block to the young end of the map's insertion order.
      this.holders.delete(hash);
      this.holders.set(hash, holders);
    }
    for (const oldest of this.holders.keys()) {
      if (this.holders.size <= this.maxEntries) break;
      this.holders.delete(oldest);
    }
  }

  /** Forgets deployments that left the model (config reload). */
  retainOnly(deploymentIds: ReadonlySet<string>): void {
    for (const [hash, holders] of this.holders) {
      const kept = holders.filter((id) => deploymentIds.has(id));
      if (kept.length === 0) this.holders.delete(hash);
      else if (kept.length !== holders.length) this.holders.set(hash, kept);
    }
  }
}
