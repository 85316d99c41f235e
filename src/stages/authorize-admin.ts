/**
 * Who may use `/admin/*`: the master key everywhere; a tenant's virtual key whose scopes hold `admin: true` on
 * routes open to tenant admins (its own tenant only — api/admin enforces the tenant). Any other key is refused
 * (403). The whole admin API is off (403) when no master key is configured, so an open demo gateway never
 * exposes its controls.
 */
import type { GatewayContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { AuthSettings } from './authenticate.js';

/** `master`: operator only; `tenant`: tenant admin keys too. */
export type AdminAccess = 'master' | 'tenant';

/**
 * Authenticates with `authenticate` (which sets `ctx.caller` or throws 401), then checks the caller may use a
 * route with this access.
 */
export function authorizeAdmin(ctx: GatewayContext, access: AdminAccess, settings: AuthSettings, authenticate: () => void): void {
  if (settings.master_key === undefined) {
    throw new GatewayError('admin_disabled', 'The admin API is disabled: set auth.master_key to enable it.');
  }
  authenticate();
  const caller = ctx.caller;
  if (caller?.kind === 'master') return;
  if (caller?.kind === 'key' && caller.key.scopes.admin === true) {
    if (access === 'tenant') return;
    throw new GatewayError('permission_denied', 'This admin route needs the master key; tenant admin keys manage only their own tenant.');
  }
  throw new GatewayError('permission_denied', 'This key cannot use the admin API: use the master key or a key with the admin scope.');
}
