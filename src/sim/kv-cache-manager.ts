/**
 * Per-sequence KV block bookkeeping on top of the block pool, after vLLM v1's KVCacheManager: find the longest
 * cached prefix of a new sequence (a hash chain over its full blocks), allocate the blocks a step needs or refuse
 * (the scheduler then preempts or waits), register blocks in the prefix cache as they fill, and release them when
 * the sequence finishes or is preempted.
 */
import { BlockPool, type KvBlock } from './block-pool.js';
import type { Sequence } from './sequence.js';

export interface PrefixLookup {
  blocks: KvBlock[];
  /** Tokens those blocks cover. */
  tokens: number;
}

const noHit: PrefixLookup = { blocks: [], tokens: 0 };

/** Hash of a block: two independent 32-bit FNV-style mixes over the parent's hash and the block's token ids. */
export function blockHash(parent: string | undefined, tokens: readonly number[], start: number, end: number): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  if (parent !== undefined) {
    for (let i = 0; i < parent.length; i++) {
      a = Math.imul(a ^ parent.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ parent.charCodeAt(i), 0x5bd1e995);
    }
  }
  for (let i = start; i < end; i++) {
    const token = tokens[i] ?? 0;
    a = Math.imul(a ^ token, 0x01000193);
    b = Math.imul(b ^ (token + 0x9e3779b9), 0x5bd1e995);
    b ^= b >>> 13;
  }
  return `${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
}

export class KvCacheManager {
  readonly pool: BlockPool;
  readonly blockSize: number;
  readonly prefixCaching: boolean;
  private readonly blocksBySequence = new Map<string, KvBlock[]>();
  private readonly hashesBySequence = new Map<string, string[]>();

  constructor(numBlocks: number, blockSize: number, prefixCaching: boolean) {
    this.pool = new BlockPool(numBlocks);
    this.blockSize = blockSize;
    this.prefixCaching = prefixCaching;
  }

  blocksOf(sequence: Sequence): readonly KvBlock[] {
    return this.blocksBySequence.get(sequence.id) ?? [];
  }

  /**
   * The longest run of cached full blocks at the start of the sequence. At least one token is always left to
   * compute, because the step that computes it is the one that samples the next token.
   */
  findCachedPrefix(sequence: Sequence): PrefixLookup {
    if (!this.prefixCaching) return noHit;
    const hashes = this.hashesFor(sequence);
    const maxBlocks = Math.floor((sequence.tokens.length - 1) / this.blockSize);
    const blocks: KvBlock[] = [];
    for (const hash of hashes.slice(0, maxBlocks)) {
      const block = this.pool.cachedBlock(hash);
      if (block === undefined) break;
      blocks.push(block);
    }
    return { blocks, tokens: blocks.length * this.blockSize };
  }

  /**
   * Blocks for `newTokens` more tokens (after `cached`, a prefix hit just found for a sequence with none yet).
   * Returns false, changing nothing, when the pool cannot supply them.
   */
  allocateSlots(sequence: Sequence, newTokens: number, cached: PrefixLookup = noHit): boolean {
    const held = this.blocksBySequence.get(sequence.id) ?? [];
    const computed = sequence.numComputedTokens + cached.tokens;
    const required = Math.ceil((computed + newTokens) / this.blockSize);
    const newBlocks = Math.max(required - held.length - cached.blocks.length, 0);
    const evictableHits = cached.blocks.filter((block) => block.refCount === 0).length;
    if (newBlocks > this.pool.numFreeBlocks - evictableHits) return false;
    this.pool.touch(cached.blocks);
    const blocks = [...held, ...cached.blocks, ...this.pool.allocate(newBlocks)];
    this.blocksBySequence.set(sequence.id, blocks);
    if (this.prefixCaching) this.registerFullBlocks(sequence, blocks, Math.min(computed + newTokens, sequence.tokens.length));
    return true;
  }

  /**
   * Releases the sequence's blocks, tail first, so its least shareable blocks are evicted first. A preempted
   * sequence keeps its hash chain (its tokens do not change); a finished one drops it.
   */
  free(sequence: Sequence): void {
    const blocks = this.blocksBySequence.get(sequence.id);
    this.blocksBySequence.delete(sequence.id);
    if (sequence.isFinished) this.hashesBySequence.delete(sequence.id);
    if (blocks !== undefined) this.pool.release([...blocks].reverse());
  }

  private registerFullBlocks(sequence: Sequence, blocks: readonly KvBlock[], tokensKnown: number): void {
    const hashes = this.hashesFor(sequence, tokensKnown);
    const full = Math.min(Math.floor(tokensKnown / this.blockSize), blocks.length);
    for (let index = 0; index < full; index++) {
      const block = blocks[index];
      const hash = hashes[index];
      if (block !== undefined && hash !== undefined) this.pool.register(block, hash);
    }
  }

  /** The hash chain over the sequence's full blocks (within `limit` tokens), extended as tokens arrive. */
  private hashesFor(sequence: Sequence, limit = sequence.tokens.length): string[] {
    let hashes = this.hashesBySequence.get(sequence.id);
    if (hashes === undefined) {
      hashes = [];
      this.hashesBySequence.set(sequence.id, hashes);
    }
    const full = Math.floor(Math.min(limit, sequence.tokens.length) / this.blockSize);
    for (let index = hashes.length; index < full; index++) {
      hashes.push(blockHash(hashes[index - 1], sequence.tokens, index * this.blockSize, (index + 1) * this.blockSize));
    }
    return hashes;
  }
}
