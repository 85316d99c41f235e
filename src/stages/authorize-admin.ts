/**
 * `/admin/*` is for operators only: it needs the master key, and is switched off entirely (403) when no master
 * key is configured, so an open demo gateway never exposes its controls.
 */
import { GatewayError } from '../core/errors.js';
import { verifyMasterKey, type AuthSettings } from './authenticate.js';

export function authorizeAdmin(credential: string | undefined, settings: AuthSettings): void {
  if (settings.master_key === undefined) {
    throw new GatewayError('admin_disabled', 'The admin API is disabled: set auth.master_key to enable it.');
  }
  verifyMasterKey(credential, settings.master_key);
}
