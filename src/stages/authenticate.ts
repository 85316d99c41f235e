/**
 * Who is calling. A tenant's virtual key (`sk-sy-…`, resolved from the in-memory key cache: no I/O here)
 * authenticates as that tenant; the master key as the operator. Keys and master key arrive as
 * `Authorization: Bearer` or `x-api-key`. With no master key and no tenant in the store the gateway runs open,
 * in demo mode.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller, GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { KeyDirectory } from '../stores/types.js';

export interface AuthSettings {
  master_key?: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function missingKey(): GatewayError {
  return new GatewayError('invalid_api_key', 'Missing API key: send it as "Authorization: Bearer <key>".');
}

/** The operator's key, and nothing else (`/admin`): a tenant's virtual key is refused here. */
export function verifyMasterKey(credential: string | undefined, masterKey: string): void {
  if (credential === undefined || credential === '') throw missingKey();
  // Compare digests so the comparison takes the same time whatever the key's length.
  if (!timingSafeEqual(digest(credential), digest(masterKey))) throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
}

function identify(credential: string | undefined, settings: AuthSettings, keys: KeyDirectory | undefined, now: number): Caller {
  if (settings.master_key === undefined && keys?.hasTenants !== true) return { kind: 'open' };
  if (credential === undefined || credential === '') throw missingKey();
  const resolved = keys?.resolve(credential);
  if (resolved !== undefined) {
    const { key, tenant } = resolved;
    if (key.expiresAt !== null && key.expiresAt.getTime() <= now) {
      throw new GatewayError('invalid_api_key', `The API key ${key.keyPrefix}… expired at ${key.expiresAt.toISOString()}.`);
    }
    keys!.markUsed(key.id);
    return { kind: 'key', tenant, key, tier: key.tier ?? tenant.tier };
  }
  if (settings.master_key === undefined) throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
  verifyMasterKey(credential, settings.master_key);
  return { kind: 'master' };
}

/** Sets `ctx.caller`, or throws 401 (missing, unknown, revoked or expired key). */
export function authenticate(
  ctx: GatewayContext,
  credential: string | undefined,
  settings: AuthSettings,
  keys: KeyDirectory | undefined,
  now = Date.now(),
): void {
  ctx.caller = identify(credential, settings, keys, now);
}
