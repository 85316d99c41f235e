/** One mapping of undici/socket failures to GatewayErrors, shared by every phase of an upstream exchange. */
import { errors as undiciErrors } from 'undici';
import { GatewayError } from './errors.js';

/**
 * `connect`: the upstream was not reached or did not answer (nothing came back). `body`: headers arrived, so a
 * failure now means the upstream cut its answer short. An abort we asked for is rethrown as the abort reason.
 */
export function upstreamTransportError(
  provider: string,
  error: unknown,
  signal: AbortSignal,
  phase: 'connect' | 'body',
): unknown {
  if (error instanceof GatewayError) return error;
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_timeout', `Connecting to upstream ${provider} timed out.`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError) {
    return new GatewayError('upstream_timeout', `Upstream ${provider} did not answer in time (first byte).`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout', `Upstream ${provider} stopped sending data.`, {
      retryable: false,
      cause: error,
    });
  }
  const code = (error as { code?: string } | null)?.code ?? 'unknown';
  if (phase === 'body') {
    return new GatewayError('upstream_bad_response', `Upstream ${provider} closed the connection mid-response (${code}).`, {
      retryable: true,
      cause: error,
    });
  }
  return new GatewayError('upstream_unavailable', `Could not reach upstream ${provider} (${code}).`, {
    retryable: true,
    cause: error,
  });
}
