/**
 * The error when every deployment and fallback failed (DESIGN.md §4 degradation): the caller's own problems
 * (context too long, content filtered), uniform rate limiting and the gateway's own load shedding are reported
 * as themselves; anything else is a 503 that names the model, the attempts made, why retrying stopped (when it
 * stopped early) and the last error.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { ModelRoute } from '../routing/route-table.js';

export function exhaustedError(
  primary: ModelRoute,
  ctx: GatewayContext,
  lastError: GatewayError | undefined,
  notRetried?: string,
): GatewayError {
  if (lastError === undefined) {
    return new GatewayError('upstream_unavailable', `No deployment of \`${primary.name}\` is available.`, { retryable: true });
  }
  if (!lastError.retryable) return lastError;
  const attempts = ctx.attempts;
  if (attempts.length > 0 && attempts.every((attempt) => attempt.errorCode === 'upstream_rate_limited')) return lastError;
  // Shed by concurrency gates before any upstream was called: `overloaded`, with the gate's retry-after.
  if (attempts.length === 0 && lastError.code === 'overloaded') return lastError;
  const tried = attempts.map((attempt) => `${attempt.provider}/${attempt.model}: ${attempt.errorCode ?? 'ok'}`).join(', ');
  const summary = attempts.length === 0 ? 'no attempt could be made' : `${attempts.length} attempt(s) failed (${tried})`;
  const stop = notRetried === undefined ? '' : ` Not retried: ${notRetried}.`;
  return new GatewayError(
    'upstream_unavailable',
    `All deployments for \`${primary.name}\` failed: ${summary}.${stop} Last error: ${lastError.message}`,
    { retryable: true, retryAfterSeconds: lastError.retryAfterSeconds ?? 1, cause: lastError },
  );
}
