/** The `x-ratelimit-*` headers, in OpenAI's format (`x-ratelimit-reset-requests: 6m0s`). */
import type { RateDecision } from './gcra.js';

/** Go-style duration as OpenAI sends it: `20ms`, `1s`, `8.64s`, `6m0s`, `1h2m3s`. */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${Number(((total % 60_000) / 1000).toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

export interface AppliedLimits {
  /** The tightest requests/min limit that applied. */
  readonly requests?: RateDecision;
  /** The tightest tokens/min limit that applied. */
  readonly tokens?: RateDecision;
}

export function rateLimitHeaders(limits: AppliedLimits): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    const decision = limits[kind];
    if (decision === undefined) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(decision.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(decision.remaining);
    headers[`x-ratelimit-reset-${kind}`] = formatResetDuration(decision.resetMs);
  }
  return headers;
}
