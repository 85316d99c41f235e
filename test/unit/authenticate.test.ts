import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createContext, type GatewayContext } from '../../src/core/context.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ApiKey, ResolvedKey, Tenant } from '../../src/core/tenancy.js';
import { authenticate, verifyMasterKey } from '../../src/stages/authenticate.js';
import { authorizeModel, mayUseModel } from '../../src/stages/model-access.js';
import type { KeyDirectory } from '../../src/stores/types.js';

const tenant: Tenant = { id: 'acme', name: 'Acme', tier: 'gold', limits: {}, budget: null, metadata: {}, version: 1, createdAt: new Date(0) };
const key: ApiKey = {
  id: 'key_1',
  tenantId: 'acme',
  name: 'k',
  keyPrefix: 'sk-sy-abcdef',
  keyHash: 'h',
  scopes: { models: ['fast', 'gpt-4o*'] },
  tier: null,
  limits: {},
  budget: null,
  metadata: {},
  version: 1,
  expiresAt: null,
  revokedAt: null,
  createdAt: new Date(0),
  lastUsedAt: null,
};
const SECRET = 'sk-sy-secret';

function directory(entry: ResolvedKey | undefined, hasTenants = true): KeyDirectory & { used: string[] } {
  const used: string[] = [];
  return { used, hasTenants, resolve: (secret) => (secret === SECRET ? entry : undefined), markUsed: (id) => void used.push(id) };
}

const context = (): GatewayContext => createContext('req', 'chat', new AbortController().signal);
const code = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return error instanceof GatewayError ? `${error.status} ${error.code}` : 'other';
  }
  return 'ok';
};

describe('authenticate', () => {
  test('no master key and no tenant: open (demo), whatever is presented', () => {
    const ctx = context();
    authenticate(ctx, undefined, {}, directory(undefined, false));
    assert.deepEqual(ctx.caller, { kind: 'open' });
    authenticate(ctx, undefined, {}, undefined);
    assert.deepEqual(ctx.caller, { kind: 'open' });
  });

  test('a live key becomes the caller with its tenant; the tier falls back to the tenant; the use is noted', () => {
    const ctx = context();
    const keys = directory({ key, tenant });
    authenticate(ctx, SECRET, { master_key: 'master-key' }, keys);
    assert.deepEqual(ctx.caller, { kind: 'key', tenant, key, tier: 'gold' });
    assert.deepEqual(keys.used, ['key_1']);
    authenticate(ctx, SECRET, {}, directory({ key: { ...key, tier: 'batch' }, tenant }));
    assert.equal(ctx.caller.kind === 'key' && ctx.caller.tier, 'batch');
  });

  test('a key is expired from its expiresAt on', () => {
    const expiresAt = new Date(1_000_000);
    const keys = directory({ key: { ...key, expiresAt }, tenant });
    assert.equal(code(() => authenticate(context(), SECRET, {}, keys, 999_999)), 'ok');
    assert.equal(code(() => authenticate(context(), SECRET, {}, keys, 1_000_000)), '401 invalid_api_key');
  });

  test('the master key still authenticates; anything else is 401', () => {
    const ctx = context();
    authenticate(ctx, 'master-key', { master_key: 'master-key' }, directory(undefined));
    assert.deepEqual(ctx.caller, { kind: 'master' });
    assert.equal(code(() => authenticate(context(), 'nope', { master_key: 'master-key' }, directory(undefined))), '401 invalid_api_key');
    assert.equal(code(() => authenticate(context(), undefined, { master_key: 'master-key' }, undefined)), '401 invalid_api_key');
    assert.equal(code(() => authenticate(context(), 'nope', {}, directory(undefined))), '401 invalid_api_key');
  });

  test('verifyMasterKey accepts only the master key', () => {
    assert.equal(code(() => verifyMasterKey('master-key', 'master-key')), 'ok');
    assert.equal(code(() => verifyMasterKey(SECRET, 'master-key')), '401 invalid_api_key');
    assert.equal(code(() => verifyMasterKey('', 'master-key')), '401 invalid_api_key');
  });
});

describe('model access', () => {
  const caller = { kind: 'key', tenant, key, tier: null } as const;

  test('scopes list exact names and prefixes; open and master callers may use anything', () => {
    assert.equal(mayUseModel(caller, 'fast'), true);
    assert.equal(mayUseModel(caller, 'gpt-4o-mini'), true);
    assert.equal(mayUseModel(caller, 'fast2'), false);
    assert.equal(mayUseModel(caller, 'smart'), false);
    assert.equal(mayUseModel({ ...caller, key: { ...key, scopes: {} } }, 'smart'), true);
    assert.equal(mayUseModel({ ...caller, key: { ...key, scopes: { models: [] } } }, 'fast'), false);
    assert.equal(mayUseModel({ kind: 'master' }, 'smart'), true);
    assert.equal(mayUseModel(undefined, 'smart'), true);
  });

  test('authorizeModel throws 403 model_not_allowed naming the model', () => {
    assert.equal(code(() => authorizeModel(caller, 'smart')), '403 model_not_allowed');
    assert.equal(code(() => authorizeModel(caller, 'fast')), 'ok');
  });
});
