/**
 * The KV cache's physical blocks, as vLLM v1's BlockPool keeps them: a fixed number of blocks of `blockSize`
 * tokens, reference-counted by the sequences using them, a free queue in eviction order (least recently freed
 * first; a finished sequence's tail blocks ahead of its head), and a map from block hash to a block that still
 * holds that content. A free block keeps its hash until it is handed out again, which is what lets a later
 * request with the same prefix reuse it (a prefix-cache hit) without recomputing it.
 */

export interface KvBlock {
  readonly id: number;
  /** Sequences holding the block; 0 means it sits in the free queue. */
  refCount: number;
  /** Content hash of a full block registered in the prefix cache. */
  hash: string | undefined;
}

export class BlockPool {
  readonly numBlocks: number;
  private readonly blocks: KvBlock[];
  /** Free blocks in eviction order: a Map keeps insertion order and removes any entry in O(1). */
  private readonly freeQueue = new Map<number, KvBlock>();
  private readonly cachedByHash = new Map<string, KvBlock>();

  constructor(numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`a KV cache needs at least one block, got ${numBlocks}`);
    this.numBlocks = numBlocks;
    this.blocks = Array.from({ length: numBlocks }, (_, id) => ({ id, refCount: 0, hash: undefined }));
    for (const block of this.blocks) this.freeQueue.set(block.id, block);
  }

  /** Blocks not held by any sequence (cached ones included: they can be evicted). */
  get numFreeBlocks(): number {
    return this.freeQueue.size;
  }

  /** Share of blocks held by sequences, 0–1: vLLM's `kv_cache_usage_perc`. */
  usage(): number {
    return 1 - this.freeQueue.size / this.numBlocks;
  }

  /** Blocks registered in the prefix cache, held or free. */
  get numCachedBlocks(): number {
    return this.cachedByHash.size;
  }

  cachedBlock(hash: string): KvBlock | undefined {
    return this.cachedByHash.get(hash);
  }

  /** Takes `count` blocks from the head of the free queue, evicting their cached content. */
  allocate(count: number): KvBlock[] {
    if (count > this.freeQueue.size) throw new RangeError(`asked for ${count} KV blocks, ${this.freeQueue.size} free`);
    const taken: KvBlock[] = [];
    for (const block of this.freeQueue.values()) {
      if (taken.length === count) break;
      taken.push(block);
    }
    for (const block of taken) {
      this.freeQueue.delete(block.id);
      this.evict(block);
      block.refCount = 1;
    }
    return taken;
  }

  /** A sequence starts using cached blocks: free ones leave the free queue. */
  touch(blocks: readonly KvBlock[]): void {
    for (const block of blocks) {
      if (block.refCount === 0) this.freeQueue.delete(block.id);
      block.refCount += 1;
    }
  }

  /** Drops one reference per block; blocks nobody holds join the free queue's tail in the order given. */
  release(blocks: readonly KvBlock[]): void {
    for (const block of blocks) {
      if (block.refCount <= 0) throw new Error(`KV block ${block.id} released more often than taken`);
      block.refCount -= 1;
      if (block.refCount === 0) this.freeQueue.set(block.id, block);
    }
  }

  /** Registers a full block's content. A second block with content already cached stays unregistered. */
  register(block: KvBlock, hash: string): void {
    if (block.hash !== undefined || this.cachedByHash.has(hash)) return;
    block.hash = hash;
    this.cachedByHash.set(hash, block);
  }

  /** Forgets every cached hash (vLLM's `reset_prefix_cache`); blocks in use keep their content. */
  resetPrefixCache(): void {
    for (const block of this.cachedByHash.values()) block.hash = undefined;
    this.cachedByHash.clear();
  }

  private evict(block: KvBlock): void {
    if (block.hash === undefined) return;
    this.cachedByHash.delete(block.hash);
    block.hash = undefined;
  }
}
