/** A model's `engine_aware:` block: scraping, staleness, prefix affinity and saturation (DESIGN.md §5). */
import { z } from 'zod';

export const engineAwareSchema = z.strictObject({
  /** How often each engine's metrics are scraped while the model has traffic, ms. */
  scrape_interval_ms: z.number().int().min(10).max(60_000).default(100),
  /** A reading older than this is ignored (that deployment is scored by in-flight requests), ms. */
  stale_after_ms: z.number().int().min(10).max(600_000).default(200),
  /** Scraping stops this long after the model's last request, ms. */
  idle_after_ms: z.number().int().min(100).max(3_600_000).default(5_000),
  /** Prefix affinity compares prompts in blocks of this many characters (~4 characters per token). */
  prefix_block_chars: z.number().int().min(16).max(65_536).default(256),
  /** Only the prompt's first this-many blocks are hashed, bounding the work per request. */
  max_prefix_blocks: z.number().int().min(1).max(4096).default(64),
  /** Prompt blocks remembered per model (least recently used forgotten first). */
  affinity_entries: z.number().int().min(1).max(10_000_000).default(100_000),
  /** A deployment whose engine is beyond either limit loses its prefix affinity until it recovers. */
  saturation: z
    .strictObject({
      /** Requests waiting in the engine (plus those sent since its last reading). */
      queue: z.number().min(0).default(5),
      /** Share of the KV cache in use, 0..1. */
      kv: z.number().min(0).max(1).default(0.8),
    })
    .prefault({}),
});

export type EngineAwareConfig = z.output<typeof engineAwareSchema>;
