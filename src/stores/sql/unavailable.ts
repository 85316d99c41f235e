/**
 * Tells "the database could not be reached or did not answer in time" apart from every other failure, and turns
 * it into 503 store_unavailable with a message an operator can act on. The stores are wrapped once
 * (`guardAvailability`), so every method of every SQL store reports an outage the same way.
 */
import { GatewayError } from '../../core/errors.js';
import { StoreError } from '../types.js';

/** SQLSTATEs that mean the server is unreachable, shutting down, overloaded or timed the statement out. */
const unavailableStates = /^(08...|57P0[1-3]|57014|53300)$/;
/** What pg and pg-pool throw without a SQLSTATE when the connection fails or a client-side timeout fires. */
const connectionMessages = /timeout|timed out|terminated|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|Connection ended|not queryable/i;

function codeOf(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof StoreError || error instanceof GatewayError) return false;
  const code = codeOf(error);
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return unavailableStates.test(code);
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (connectionMessages.test(current.message) || (code !== undefined && connectionMessages.test(code))) return true;
  }
  return false;
}

export function storeUnavailable(kind: string, cause: unknown): GatewayError {
  return new GatewayError(
    'store_unavailable',
    `The tenant and key store (${kind}) cannot be reached or did not answer in time, so this change was not made. ` +
      'Requests with existing keys are still served; try again once the database is back.',
    { cause, retryAfterSeconds: 1 },
  );
}

/** `store` with every async method's outage failures turned into `storeUnavailable`. Other failures pass unchanged. */
export function guardAvailability<T extends object>(store: T, kind: string): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          throw isUnavailable(error) ? storeUnavailable(kind, error) : error;
        });
      };
    },
  });
}
