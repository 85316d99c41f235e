/**
 * The `prices`, `budgets` and `alerts` sections (DESIGN.md §6): a dated price table overriding the shipped list
 * prices, where budget counters live and how spend is rolled up, and the webhooks budget alerts go to. See
 * docs/budgets.md.
 */
import { z } from 'zod';
import type { PriceRow } from '../core/price-schedule.js';

const usdPerMillion = z.number().min(0);
/** `2025-01-01` (UTC midnight) or a full ISO 8601 time with an offset. */
const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const priceEntrySchema = z
  .strictObject({
    /** The model's name at the upstream (a deployment's `model`); dated names (`gpt-4o-2024-08-06`) match it too. */
    model: z.string().min(1).max(256),
    /** A key of `providers:`; absent, every provider serving a model of that name. */
    provider: z.string().min(1).optional(),
    input: usdPerMillion,
    output: usdPerMillion,
    cached_input: usdPerMillion.optional(),
    cache_write: usdPerMillion.optional(),
    /** Flat fee per request, USD. */
    per_request: z.number().min(0).optional(),
    /** When this price starts to apply (default: always has). */
    effective_from: instant.optional(),
    /** When it stops (exclusive; default: until further notice). */
    effective_to: instant.optional(),
  })
  .refine(
    (entry) =>
      entry.effective_from === undefined || entry.effective_to === undefined || Date.parse(entry.effective_from) < Date.parse(entry.effective_to),
    { message: 'effective_to must be after effective_from', path: ['effective_to'] },
  );

const startOf = (entry: PriceEntry) => (entry.effective_from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(entry.effective_from));
const endOf = (entry: PriceEntry) => (entry.effective_to === undefined ? Number.POSITIVE_INFINITY : Date.parse(entry.effective_to));

/** Two rows of one model at one provider must not both apply at the same moment: which would win is ambiguous. */
export const pricesConfigSchema = z
  .array(priceEntrySchema)
  .max(10_000)
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number[]>();
    entries.forEach((entry, index) => {
      const same = `${entry.provider ?? '*'}\u0000${entry.model}`;
      for (const other of seen.get(same) ?? []) {
        const earlier = entries[other]!;
        if (startOf(entry) < endOf(earlier) && startOf(earlier) < endOf(entry)) {
          ctx.addIssue({ code: 'custom', path: [index], message: `overlaps prices[${other}] for model "${entry.model}"` });
        }
      }
      seen.set(same, [...(seen.get(same) ?? []), index]);
    });
  });

export const budgetsConfigSchema = z.strictObject({
  /** Where the spend counters live; default: the same as `limits.store` (and its Redis URL). */
  store: z.enum(['memory', 'redis']).optional(),
  /** Namespace of the Redis keys. */
  redis_prefix: z.string().min(1).default('sy:budget:'),
  /** Output tokens reserved for a request that sets no `max_tokens` and whose model has no `max_output_tokens`. */
  default_max_output_tokens: z.number().int().positive().default(4096),
  /** When the counter store fails: let the request through (true) or refuse it with 503 (false). */
  fail_open: z.boolean().default(true),
  /** How often spend rollups are written to the store. */
  flush_interval_ms: z.number().int().min(100).max(60_000).default(5000),
  /** Distinct (tenant, key, model, day) rows held while the store is down; beyond it new spend is dropped and counted. */
  max_pending_rows: z.number().int().min(1).max(1_000_000).default(10_000),
});

export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Signs every delivery: `x-switchyard-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
  secret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `json`: the alert object; `slack`: `{text, blocks}` for a Slack-compatible incoming webhook. */
  format: z.enum(['json', 'slack']).default('json'),
});

export const alertsConfigSchema = z.strictObject({
  webhooks: z.array(webhookSchema).max(20).default([]),
  /** Percentages of a budget that raise an alert, once per budget and period each. */
  thresholds: z.array(z.number().int().min(1).max(1000)).min(1).max(10).default([80, 100]),
  /** Longest one delivery attempt may take. */
  timeout_ms: z.number().int().positive().max(60_000).default(5000),
  /** Attempts per delivery (5xx and network errors are retried with exponential backoff). */
  max_attempts: z.number().int().min(1).max(20).default(5),
  /** First retry delay; doubles each time. */
  backoff_ms: z.number().int().positive().max(600_000).default(1000),
  /** Deliveries waiting to be sent; beyond it new alerts are dropped and counted. */
  queue_size: z.number().int().positive().max(100_000).default(1000),
});

export type PriceEntry = z.output<typeof priceEntrySchema>;
export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;
export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;

/** The `prices:` entries as price-table rows. */
export function configuredPriceRows(entries: readonly PriceEntry[]): PriceRow[] {
  return entries.map((entry) => ({
    provider: entry.provider ?? null,
    model: entry.model,
    price: {
      input: entry.input,
      output: entry.output,
      ...(entry.cached_input === undefined ? {} : { cachedInput: entry.cached_input }),
      ...(entry.cache_write === undefined ? {} : { cacheWrite: entry.cache_write }),
      ...(entry.per_request === undefined ? {} : { perRequest: entry.per_request }),
    },
    effectiveFrom: startOf(entry),
    ...(entry.effective_to === undefined ? {} : { effectiveTo: endOf(entry) }),
  }));
}
