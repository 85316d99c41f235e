/**
 * Tenant isolation for admin handlers. A tenant admin key sees only its own tenant: every other tenant's id, and
 * any key or budget under it, answers 404 with the very message an absent one gets, so ids never leak.
 */
import type { Caller } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { AdminScope } from './registry.js';

/** The authorized caller of an admin route (dispatch ran `authorizeAdmin` first, so `caller` is set). */
export function adminScope(caller: Caller | undefined): AdminScope {
  if (caller?.kind === 'key') return { kind: 'tenant', tenantId: caller.tenant.id, keyId: caller.key.id };
  if (caller?.kind === 'master') return { kind: 'master' };
  throw new GatewayError('internal_error', 'Admin route reached without an authorized caller.');
}

export function tenantNotFound(tenantId: string): GatewayError {
  return new GatewayError('not_found', `No tenant with id "${tenantId}".`);
}

export function keyNotFound(tenantId: string, keyId: string): GatewayError {
  return new GatewayError('not_found', `Tenant "${tenantId}" has no key with id "${keyId}".`);
}

/** Whether the caller may see this tenant at all. */
export function canSeeTenant(scope: AdminScope, tenantId: string): boolean {
  return scope.kind === 'master' || scope.tenantId === tenantId;
}

/** Throws the same 404 an absent tenant gets when the caller is another tenant's admin. */
export function assertTenantVisible(scope: AdminScope, tenantId: string): void {
  if (!canSeeTenant(scope, tenantId)) throw tenantNotFound(tenantId);
}

/** For routes without `{tenant_id}`: the tenant a tenant admin's results must be limited to; undefined for the master key. */
export function scopedTenantId(scope: AdminScope): string | undefined {
  return scope.kind === 'tenant' ? scope.tenantId : undefined;
}

/** For a change only the operator may make, on a route tenant admins may otherwise call. */
export function requireMaster(scope: AdminScope, what: string, param?: string): void {
  if (scope.kind !== 'master') throw new GatewayError('permission_denied', `Only the master key can ${what}.`, { param });
}
