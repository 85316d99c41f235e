/**
 * Runs a request over its ordered candidates until one answers. A failure moves on to the next candidate only
 * when another deployment could succeed (retryable, context too long for this model, filtered by this
 * provider, or this deployment's credentials refused); the caller's own mistakes and aborts end at once.
 * For streams, success means the first chunk arrived: that is the commit point, after which nothing is retried.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError, abortedError, toGatewayError } from '../core/errors.js';
import type { Candidate } from '../routing/resolve.js';

const movesToNextCandidate = new Set(['context_length_exceeded', 'content_filtered', 'upstream_auth_failed']);

export function shouldTryNext(error: GatewayError): boolean {
  return error.retryable || movesToNextCandidate.has(error.code);
}

async function attemptInOrder<T>(
  ctx: GatewayContext,
  candidates: readonly Candidate[],
  attempt: (candidate: Candidate) => Promise<T>,
): Promise<{ candidate: Candidate; value: T }> {
  let lastError: GatewayError | undefined;
  for (const candidate of candidates) {
    if (ctx.signal.aborted) break;
    const record: GatewayContext['attempts'][number] = {
      provider: candidate.deployment.adapter.name,
      model: candidate.deployment.upstreamModel,
      startedAt: performance.now(),
    };
    ctx.attempts.push(record);
    try {
      const value = await attempt(candidate);
      record.durationMs = performance.now() - record.startedAt;
      return { candidate, value };
    } catch (thrown) {
      record.durationMs = performance.now() - record.startedAt;
      const error = ctx.signal.aborted ? abortedError(ctx.signal) : toGatewayError(thrown);
      record.errorCode = error.code;
      lastError = error;
      if (!shouldTryNext(error)) throw error;
    }
  }
  if (ctx.signal.aborted) throw abortedError(ctx.signal);
  throw lastError ?? new GatewayError('upstream_unavailable', 'No deployment could serve the request.');
}

export function callWithFallback<T>(
  ctx: GatewayContext,
  candidates: readonly Candidate[],
  call: (candidate: Candidate) => Promise<T>,
): Promise<{ candidate: Candidate; value: T }> {
  return attemptInOrder(ctx, candidates, call);
}

export interface OpenedStream<T> {
  candidate: Candidate;
  /** The first item, already received: proof that the upstream answered. */
  first: T;
  /** The rest of the stream. */
  rest: AsyncIterator<T>;
}

export async function streamWithFallback<T>(
  ctx: GatewayContext,
  candidates: readonly Candidate[],
  open: (candidate: Candidate) => AsyncIterable<T>,
): Promise<OpenedStream<T>> {
  const { candidate, value } = await attemptInOrder(ctx, candidates, async (candidate) => {
    const iterator = open(candidate)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) {
      throw new GatewayError('upstream_bad_response', `Upstream ${candidate.deployment.adapter.name} sent an empty stream.`, {
        retryable: true,
      });
    }
    return { first: first.value, rest: iterator };
  });
  return { candidate, ...value };
}
