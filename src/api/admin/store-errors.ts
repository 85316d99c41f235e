/**
 * Store failures as admin API errors: a StoreError becomes 404, 409 or 400 (its message is written for users);
 * anything else a store throws means it could not be reached or failed, a 503 whose body hides the cause
 * (logged instead, without secrets: store errors carry ids and SQL states, never key material).
 */
import { GatewayError } from '../../core/errors.js';
import { log } from '../../observability/log.js';
import { StoreError, type Stores } from '../../stores/types.js';

const statusCode = { not_found: 'not_found', conflict: 'conflict', invalid: 'invalid_request' } as const;

export function storeFailure(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof StoreError) return new GatewayError(statusCode[error.code], error.message, { cause: error });
  log.warn('admin: store call failed', { error: error instanceof Error ? error.message : String(error) });
  return new GatewayError('store_unavailable', 'The tenant store is unavailable; try again shortly.', { cause: error, retryable: true });
}

/** Awaits a store call, translating its failure. */
export async function fromStore<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw storeFailure(error);
  }
}

/** The gateway's stores, or 503 when it was started without any (library mode without `stores`). */
export function requireStores(stores: Stores | undefined): Stores {
  if (stores === undefined) {
    throw new GatewayError('store_unavailable', 'This gateway was started without a tenant store, so tenants and keys cannot be managed here.');
  }
  return stores;
}
