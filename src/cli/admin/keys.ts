/**
 * `switchyard keys create|list|get|update|revoke`: a tenant's virtual keys through the admin API (the master
 * key, or that tenant's admin key). `create` prints the secret, which the gateway shows only this once.
 */
import { adminRequest, listRows, usageError } from './client.js';
import { commandGroup, defined, stringFlag, jsonFlag, type Subcommand } from './command.js';
import { json, record, table, type Row } from './output.js';
import { limitOptions, limitsFrom, limitsHelp, listOptions } from './tenants.js';

const keyFields = ['id', 'tenant_id', 'name', 'key_prefix', 'status', 'scopes', 'tier', 'limits', 'budget', 'metadata', 'expires_at', 'revoked_at', 'created_at', 'last_used_at'] as const;

const keysPath = (tenant: string) => `/admin/tenants/${encodeURIComponent(tenant)}/keys`;
const keyPath = (tenant: string, key: string) => `${keysPath(tenant)}/${encodeURIComponent(key)}`;

const keyOptions = {
  name: { type: 'string' },
  models: { type: 'string' },
  admin: { type: 'boolean' },
  'no-admin': { type: 'boolean' },
  tier: { type: 'string' },
  'expires-at': { type: 'string' },
  'no-expiry': { type: 'boolean' },
  metadata: { type: 'string' },
  ...limitOptions,
} as const;

type Values = Record<string, string | boolean | undefined>;

/** --models a,b (`*` or an empty list: every model) and --admin / --no-admin as the scopes object. */
function scopesFrom(values: Values): Record<string, unknown> | undefined {
  const models = stringFlag(values, 'models');
  const admin = values.admin === true ? true : values['no-admin'] === true ? false : undefined;
  if (models === undefined && admin === undefined) return undefined;
  const list = models?.split(',').map((model) => model.trim()).filter((model) => model !== '');
  return defined({ models: list === undefined || list.length === 0 || list.includes('*') ? undefined : list, admin });
}

function keyBody(values: Values): Record<string, unknown> {
  return defined({
    name: stringFlag(values, 'name'),
    scopes: scopesFrom(values),
    tier: stringFlag(values, 'tier'),
    limits: limitsFrom(values),
    metadata: jsonFlag(values, 'metadata'),
    expires_at: values['no-expiry'] === true ? null : stringFlag(values, 'expires-at'),
  });
}

const show = (key: unknown, asJson: boolean) => (asJson ? json(key) : record(key as Row, keyFields));

const subcommands: Record<string, Subcommand> = {
  create: {
    synopsis: `<tenant_id> --name NAME [--models a,b] [--admin] [${limitsHelp}] [--expires-at ISO] [--tier T] [--metadata JSON]`,
    summary: 'create a key; prints its secret once (store it: it cannot be shown again)',
    positionals: ['tenant_id'],
    options: keyOptions,
    async run({ conn, values, args, json: asJson }) {
      const body = keyBody(values);
      if (body.name === undefined) throw usageError('--name is required');
      const created = (await adminRequest(conn, 'POST', keysPath(args.tenant_id!), body)) as Row;
      if (asJson) return json(created);
      return `${record(created, keyFields)}\nsecret: ${String(created.secret)}\n(shown once: store it now)\n`;
    },
  },
  list: {
    synopsis: '<tenant_id> [--include-revoked] [--limit N] [--after ID] [--all]',
    summary: "list a tenant's keys, oldest first",
    positionals: ['tenant_id'],
    options: { ...listOptions, 'include-revoked': { type: 'boolean' } },
    async run({ conn, values, args, json: asJson }) {
      const query = { limit: stringFlag(values, 'limit'), after: stringFlag(values, 'after'), include_revoked: values['include-revoked'] === true ? 'true' : undefined };
      const { rows, hasMore, lastId } = await listRows(conn, keysPath(args.tenant_id!), query, values.all === true);
      if (asJson) return json(rows);
      return table(rows, ['id', 'name', 'key_prefix', 'status', 'scopes', 'limits', 'budget', 'expires_at', 'last_used_at']) + (hasMore ? `(more: --after ${lastId})\n` : '');
    },
  },
  get: {
    synopsis: '<tenant_id> <key_id>',
    summary: 'show one key (never its secret)',
    positionals: ['tenant_id', 'key_id'],
    async run({ conn, args, json: asJson }) {
      return show(await adminRequest(conn, 'GET', keyPath(args.tenant_id!, args.key_id!)), asJson);
    },
  },
  update: {
    synopsis: `<tenant_id> <key_id> [--name NAME] [--models a,b] [--admin|--no-admin] [${limitsHelp}] [--expires-at ISO|--no-expiry] [--metadata JSON]`,
    summary: "change a key's name, scopes, limits, expiry or metadata",
    positionals: ['tenant_id', 'key_id'],
    options: keyOptions,
    async run({ conn, values, args, json: asJson }) {
      const body = keyBody(values);
      if (Object.keys(body).length === 0) throw usageError('nothing to change: give --name, --models, --admin, limits, --expires-at or --metadata');
      return show(await adminRequest(conn, 'PATCH', keyPath(args.tenant_id!, args.key_id!), body), asJson);
    },
  },
  revoke: {
    synopsis: '<tenant_id> <key_id>',
    summary: 'revoke a key: refused from the next request on',
    positionals: ['tenant_id', 'key_id'],
    async run({ conn, args, json: asJson }) {
      const key = (await adminRequest(conn, 'DELETE', keyPath(args.tenant_id!, args.key_id!))) as Row;
      return asJson ? json(key) : `revoked ${String(key.id)} (${String(key.name)}) at ${String(key.revoked_at)}\n`;
    },
  },
};

export const keysCommand = commandGroup('keys', "Manage a tenant's virtual API keys.", subcommands);
