/**
 * Upstream quota from response headers: OpenAI's `x-ratelimit-*` (also sent by Azure and many OpenAI-compatible
 * servers) and Anthropic's `anthropic-ratelimit-*`. Pure: the caller passes the wall-clock time that Anthropic's
 * absolute reset times are measured against.
 */
import type { HeaderLookup } from '../core/upstream-http.js';

/** One quota the upstream counts separately (requests, tokens, ...), as of the response that reported it. */
export interface QuotaWindow {
  name: string;
  limit: number;
  remaining: number;
  /** Milliseconds from the response until this quota refills, when the upstream said. */
  resetInMs?: number;
}

const durationUnitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
// Longer unit names first, so that "ms" is not read as "m" followed by "s".
const durationPart = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/y;

/**
 * Milliseconds in a Go-style duration as OpenAI writes its reset times ("6m0s", "1s", "20ms", "1h2m3.5s");
 * a bare number is read as seconds. Anything else is undefined.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (trimmed === '') return undefined;
  durationPart.lastIndex = 0;
  let total = 0;
  while (durationPart.lastIndex < trimmed.length) {
    const match = durationPart.exec(trimmed);
    if (match === null) return undefined;
    total += Number(match[1]) * durationUnitMs[match[2]!]!;
  }
  return total;
}

function parseCount(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (!/^\d+(?:\.\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

function window(
  name: string,
  limit: string | null,
  remaining: string | null,
  resetInMs: number | undefined,
): QuotaWindow | undefined {
  const limitCount = parseCount(limit);
  const remainingCount = parseCount(remaining);
  // A remaining count without its limit gives no share, so it cannot steer traffic.
  if (limitCount === undefined || remainingCount === undefined || limitCount <= 0) return undefined;
  return {
    name,
    limit: limitCount,
    remaining: Math.min(remainingCount, limitCount),
    ...(resetInMs === undefined ? {} : { resetInMs: Math.max(0, resetInMs) }),
  };
}

/** Header names per quota, built once: this runs on every upstream response. */
const openAiQuotas = ['requests', 'tokens'].map((name) => ({
  name,
  limit: `x-ratelimit-limit-${name}`,
  remaining: `x-ratelimit-remaining-${name}`,
  reset: `x-ratelimit-reset-${name}`,
}));
const anthropicQuotas = ['requests', 'tokens', 'input-tokens', 'output-tokens'].map((name) => ({
  name,
  limit: `anthropic-ratelimit-${name}-limit`,
  remaining: `anthropic-ratelimit-${name}-remaining`,
  reset: `anthropic-ratelimit-${name}-reset`,
}));

function openAiWindows(headers: HeaderLookup, into: QuotaWindow[]): void {
  for (const quota of openAiQuotas) {
    const limit = headers.get(quota.limit);
    // Most responses carry no quota headers: one lookup per quota, then on.
    if (limit === null) continue;
    const reset = headers.get(quota.reset);
    const found = window(quota.name, limit, headers.get(quota.remaining), reset === null ? undefined : parseDurationMs(reset));
    if (found !== undefined) into.push(found);
  }
}

function anthropicWindows(headers: HeaderLookup, wallNowMs: number, into: QuotaWindow[]): void {
  for (const quota of anthropicQuotas) {
    const limit = headers.get(quota.limit);
    if (limit === null) continue;
    const reset = headers.get(quota.reset);
    const resetAt = reset === null ? Number.NaN : Date.parse(reset);
    const found = window(quota.name, limit, headers.get(quota.remaining), Number.isNaN(resetAt) ? undefined : resetAt - wallNowMs);
    if (found !== undefined) into.push(found);
  }
}

/**
 * Every quota a response reports. `wallNowMs` is the wall-clock time (`Date.now()`) the response arrived,
 * needed for Anthropic's RFC 3339 reset times. No quota headers: an empty list.
 */
export function parseQuotaHeaders(headers: HeaderLookup, wallNowMs: number): QuotaWindow[] {
  const windows: QuotaWindow[] = [];
  openAiWindows(headers, windows);
  anthropicWindows(headers, wallNowMs, windows);
  return windows;
}

/** The smallest remaining share (0..1) over the windows, or undefined when there are none. */
export function quotaHeadroom(windows: readonly Pick<QuotaWindow, 'limit' | 'remaining'>[]): number | undefined {
  if (windows.length === 0) return undefined;
  return Math.min(...windows.map((w) => w.remaining / w.limit));
}
