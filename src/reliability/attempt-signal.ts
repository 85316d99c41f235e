/**
 * One attempt's abort signal (DESIGN.md §4 per-attempt first-byte timeout). It follows the request's own signal
 * (client gone, deadline, shutdown) and, when the attempt has a first-byte limit, also fires by itself if no
 * response headers arrived in time. undici's `headersTimeout` guards the first byte too, but runs on undici's
 * coarse shared timer (up to about a second late), far too loose for a limit of a few hundred milliseconds; it
 * stays as a backstop.
 */
import { GatewayError } from '../core/errors.js';
import { systemTimers, type TimerHandle, type Timers } from '../core/timers.js';

export interface AttemptSignal {
  /** Pass to the upstream call. */
  readonly signal: AbortSignal;
  /** The first byte arrived (response headers, or the attempt's result): the limit no longer applies. */
  firstByte(): void;
  /** The error to report when this attempt's own limit fired; undefined otherwise. */
  timeoutError(): GatewayError | undefined;
  /** The attempt is over: stop the timer and stop following the request's signal. Idempotent. */
  dispose(): void;
}

const nothing = (): undefined => undefined;
/** Per attempt without a first-byte limit (the common case): one small object, its functions shared. */
const untimed = (request: AbortSignal): AttemptSignal => ({ signal: request, firstByte: nothing, timeoutError: nothing, dispose: nothing });

/** Without `firstByteTimeoutMs` the request's own signal is used as it is: nothing to allocate. */
export function attemptSignal(
  request: AbortSignal,
  firstByteTimeoutMs: number | undefined,
  provider: string,
  timers: Timers = systemTimers,
): AttemptSignal {
  if (firstByteTimeoutMs === undefined || request.aborted) return untimed(request);
  const controller = new AbortController();
  // Made only when the limit fires: an Error captures a stack trace, too dear for every attempt that gets its byte.
  let timeout: GatewayError | undefined;
  const follow = () => controller.abort(request.reason);
  request.addEventListener('abort', follow, { once: true });
  let timer: TimerHandle | undefined = timers.setTimeout(() => {
    timer = undefined;
    if (request.aborted) return;
    timeout = new GatewayError('upstream_timeout', `Upstream ${provider} sent no first byte within ${firstByteTimeoutMs} ms.`, { retryable: true });
    controller.abort(timeout);
  }, firstByteTimeoutMs);
  const stopTimer = () => {
    if (timer === undefined) return;
    timers.clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    firstByte: stopTimer,
    timeoutError: () => (timeout !== undefined && controller.signal.reason === timeout ? timeout : undefined),
    dispose() {
      stopTimer();
      request.removeEventListener('abort', follow);
    },
  };
}
