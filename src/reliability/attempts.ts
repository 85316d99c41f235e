/**
 * The attempt loop (DESIGN.md §4): tries a request's deployments and fallbacks until one answers, within the
 * request's deadline. Per model it follows the balancer's order; a retry moves to the next deployment (wrapping
 * around, with full-jitter backoff or the upstream's retry-after when it comes back to one already tried), each
 * retry paid from the failed deployment's retry budget. Circuit breakers, concurrency gates, live stats and the
 * outage detector see every attempt. For streams, success means the first chunk arrived: the commit point,
 * after which nothing is retried. Failures the caller caused, and aborts, end the loop at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayContext } from '../core/context.js';
import { GatewayError, abortedError, toGatewayError } from '../core/errors.js';
import type { UpstreamCall } from '../core/provider.js';
import type { FallbackChain } from '../routing/fallback-chain.js';
import type { Candidate } from '../routing/resolve.js';
import type { ConditionalFallbackKind, Deployment, ModelRoute } from '../routing/route-table.js';
import { retryDelayMs } from './backoff.js';
import { countsAsFailure, type Admission } from './circuit-breaker.js';
import type { ReleaseSlot } from './concurrency-gate.js';
import { attemptSignal } from './attempt-signal.js';
import { attemptFirstByteTimeoutMs } from './deadline.js';
import type { Resilience } from './resilience.js';
import { exhaustedError } from './exhausted.js';

/** Failures another deployment may not have: worth moving on for, though retrying the same one is pointless. */
const movesOn = new Set(['context_length_exceeded', 'content_filtered', 'upstream_auth_failed']);

export function shouldTryNext(error: GatewayError): boolean {
  return error.retryable || movesOn.has(error.code);
}

const conditionalKind: Partial<Record<string, ConditionalFallbackKind>> = {
  context_length_exceeded: 'context_length_exceeded',
  content_filtered: 'content_filtered',
  upstream_rate_limited: 'rate_limited',
};

export interface Served<T> {
  candidate: Candidate;
  value: T;
  /**
   * Ends the attempt's bookkeeping (breaker outcome, concurrency slot, in-flight count, latency): at once for a
   * complete answer, at the end of a stream. Idempotent.
   */
  settle(ok: boolean): void;
}

export type Attempt<T> = (candidate: Candidate, call: UpstreamCall) => Promise<T>;

export async function runAttempts<T>(
  ctx: GatewayContext,
  chain: FallbackChain,
  resilience: Resilience,
  attempt: Attempt<T>,
): Promise<Served<T>> {
  const { settings } = resilience;
  let lastError: GatewayError | undefined;
  let lastFailed: string | undefined;
  /** Why a retry was not made, for the error the caller gets when nothing else worked either. */
  let notRetried: string | undefined;
  let retries = 0;
  for (let position = 0; ; position++) {
    const model = chain.at(position);
    if (model === undefined) break;
    const order = resilience.order(model, chain.deploymentsOf(model), ctx.request);
    if (order.length === 0) {
      lastError ??= new GatewayError('upstream_unavailable', `No deployment of \`${model.name}\` is in rotation (circuit open or disabled).`, {
        retryable: true,
      });
      continue;
    }
    // Made on the first failure: most requests are served by their first attempt and need neither.
    let tried: Set<string> | undefined;
    let excluded: Set<string> | undefined;
    for (let turn = 0; turn < settings.maxAttempts; turn++) {
      const deployment = order[turn % order.length]!;
      if (excluded?.has(deployment.id) === true) continue;
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      if (ctx.attempts.length > 0) {
        let wait = 0;
        if (tried?.has(deployment.id) === true && lastError !== undefined) {
          wait = retryDelayMs(lastError, retries + 1, settings.backoff, resilience.random);
          // An upstream asking for a longer pause than we back off is not retried here: the caller hears it.
          if (lastError.retryAfterSeconds !== undefined && wait > settings.backoff.maxDelayMs) {
            notRetried = `${deployment.id} asked to wait ${lastError.retryAfterSeconds} s`;
            break;
          }
          // A wait that cannot fit the deadline is not slept on; the fallbacks, which need none, still get their turn.
          if (performance.now() + wait >= ctx.deadlineAt) {
            notRetried = `waiting ${Math.round(wait)} ms to retry ${deployment.id} would pass the request's deadline`;
            break;
          }
        }
        // Each retry is paid for by the deployment whose failure caused it, so retries cannot amplify an outage.
        if (lastFailed !== undefined && !resilience.budgets.get(lastFailed).tryAcquireRetry()) {
          notRetried = `the retry budget of ${lastFailed} is spent`;
          break;
        }
        retries += 1;
        await pause(wait, ctx.signal);
      }
      const retried = tried?.has(deployment.id) === true;
      if (!retried) resilience.budgets.get(deployment.id).recordRequest();
      const outcome = await tryDeployment(ctx, resilience, model, deployment, attempt);
      if (outcome.served) return outcome.served;
      const { error } = outcome;
      tried ??= new Set();
      tried.add(deployment.id);
      if (!shouldTryNext(error)) throw error;
      lastError = error;
      lastFailed = deployment.id;
      // Shed by its concurrency gate: queueing there again would undo the shedding; other deployments may have room.
      if (!error.retryable || error.code === 'overloaded') (excluded ??= new Set()).add(deployment.id);
      const kind = conditionalKind[error.code];
      if (kind !== undefined) chain.addConditional(position, model, kind);
      // This model's other deployments share its context window and content policy: go to the fallbacks.
      if (error.code === 'context_length_exceeded' || error.code === 'content_filtered') break;
    }
  }
  throw exhaustedError(chain.primary, ctx, lastError, notRetried);
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw abortedError(signal);
  }
}

type Outcome<T> = { served: Served<T>; error?: undefined } | { served?: undefined; error: GatewayError };

async function tryDeployment<T>(
  ctx: GatewayContext,
  resilience: Resilience,
  model: ModelRoute,
  deployment: Deployment,
  attempt: Attempt<T>,
): Promise<Outcome<T>> {
  const { id } = deployment;
  const breaker = resilience.breakers.get(id);
  const admission: Admission = breaker.allowRequest();
  if (!admission.allowed) {
    return { error: new GatewayError('upstream_unavailable', `Circuit open for ${id}.`, { retryable: true }) };
  }
  let release: ReleaseSlot | undefined;
  const gate = resilience.gates.gate(id);
  if (gate !== undefined) {
    try {
      release = await gate.acquire({ priority: ctx.priority, deadlineAt: ctx.deadlineAt, signal: ctx.signal });
    } catch (thrown) {
      breaker.release(admission);
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      return { error: toGatewayError(thrown) };
    }
  }
  const record: GatewayContext['attempts'][number] = {
    provider: deployment.adapter.name,
    model: deployment.upstreamModel,
    startedAt: performance.now(),
  };
  ctx.attempts.push(record);
  const finishStats = resilience.stats.begin(id);
  const remaining = ctx.deadlineAt - record.startedAt;
  const configured = resilience.settings.firstByteTimeoutMs;
  // A limit no shorter than what is left of the deadline needs no timer of its own: the deadline ends the attempt.
  const ownLimit = configured !== undefined && configured < remaining ? configured : undefined;
  const guard = attemptSignal(ctx.signal, ownLimit, deployment.adapter.name);
  const call: UpstreamCall = {
    model: deployment.upstreamModel,
    signal: guard.signal,
    requestId: ctx.requestId,
    onResponseHeaders: (headers) => {
      guard.firstByte();
      resilience.stats.observeQuota(id, headers);
    },
  };
  if (Number.isFinite(remaining) || configured !== undefined) {
    call.firstByteTimeoutMs = Math.max(1, attemptFirstByteTimeoutMs(remaining, configured));
  }
  const candidate: Candidate = { model, deployment };
  try {
    const value = await attempt(candidate, call);
    guard.firstByte();
    const latencyMs = performance.now() - record.startedAt;
    record.durationMs = latencyMs;
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      guard.dispose();
      release?.();
      if (ok) breaker.onSuccess(admission);
      else if (ctx.signal.aborted) breaker.release(admission);
      else breaker.onFailure(admission);
      finishStats({ ok, latencyMs });
      if (!ctx.signal.aborted) resilience.outages.record(id, ok);
    };
    return { served: { candidate, value, settle } };
  } catch (thrown) {
    guard.dispose();
    release?.();
    record.durationMs = performance.now() - record.startedAt;
    if (ctx.signal.aborted) {
      // The client left, or the request's own deadline passed: nothing to hold against the deployment.
      breaker.release(admission);
      finishStats({ ok: true });
      const error = abortedError(ctx.signal);
      record.errorCode = error.code;
      throw error;
    }
    // An adapter may report its own aborted call in its own way; the attempt's time limit is what happened.
    const error = guard.timeoutError() ?? toGatewayError(thrown);
    record.errorCode = error.code;
    const failed = countsAsFailure(error);
    if (failed) breaker.onFailure(admission);
    else breaker.release(admission);
    finishStats({ ok: !failed, latencyMs: record.durationMs });
    resilience.outages.record(id, !failed);
    if (error.code === 'upstream_rate_limited' && error.retryAfterSeconds !== undefined) {
      resilience.stats.cooldown(id, resilience.stats.clock.now() + error.retryAfterSeconds * 1000);
    }
    return { error };
  }
}
