/**
 * Who is calling. With a master key configured every `/v1` call must present it (as `Authorization: Bearer`
 * or `x-api-key`); with none the gateway runs open, in demo mode. Tenant keys extend this stage.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../core/errors.js';

export interface AuthSettings {
  master_key?: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export function authenticate(credential: string | undefined, settings: AuthSettings): void {
  if (settings.master_key === undefined) return;
  if (credential === undefined || credential === '') {
    throw new GatewayError('invalid_api_key', 'Missing API key: send it as "Authorization: Bearer <key>".');
  }
  // Compare digests so the comparison takes the same time whatever the key's length.
  if (!timingSafeEqual(digest(credential), digest(settings.master_key))) {
    throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
  }
}
