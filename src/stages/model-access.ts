/**
 * Which models a caller may use: a virtual key's `scopes.models` (public model names and aliases, as clients
 * send them; a trailing `*` matches a prefix). Checked on the name requested, before routing: the fallbacks the
 * gateway picks for an allowed model are the gateway's choice, not the caller's.
 */
import type { Caller } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { scopeAllowsModel } from '../core/tenancy.js';

export function mayUseModel(caller: Caller | undefined, model: string): boolean {
  return caller?.kind !== 'key' || scopeAllowsModel(caller.key.scopes, model);
}

/** Throws 403 `model_not_allowed` when the caller's key does not cover `model`. */
export function authorizeModel(caller: Caller | undefined, model: string): void {
  if (!mayUseModel(caller, model)) {
    throw new GatewayError('model_not_allowed', `This API key is not allowed to use the model \`${model}\`.`, { param: 'model' });
  }
}
