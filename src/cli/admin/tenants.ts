/** `switchyard tenants create|list|get|update`: tenants through a running gateway's admin API (master key). */
import { adminRequest, listRows, usageError } from './client.js';
import { commandGroup, defined, intFlag, jsonFlag, stringFlag, type Subcommand } from './command.js';
import { json, record, table, type Row } from './output.js';

export const tenantFields = ['id', 'name', 'tier', 'limits', 'budget', 'metadata', 'created_at'] as const;

export const limitOptions = {
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  concurrency: { type: 'string' },
  limits: { type: 'string' },
} as const;

export const limitsHelp = '--rpm N --tpm N --concurrency N (or --limits JSON; together they replace the limits)';

/** The limits object from --rpm/--tpm/--concurrency and --limits, or undefined when none was given. */
export function limitsFrom(values: Record<string, string | boolean | undefined>): Record<string, unknown> | undefined {
  const base = jsonFlag(values, 'limits');
  const flags = defined({ requests_per_minute: intFlag(values, 'rpm'), tokens_per_minute: intFlag(values, 'tpm'), concurrent_requests: intFlag(values, 'concurrency') });
  if (base === undefined && Object.keys(flags).length === 0) return undefined;
  return { ...base, ...flags };
}

export const listOptions = { limit: { type: 'string' }, after: { type: 'string' }, all: { type: 'boolean' } } as const;

const tenantPath = (id: string) => `/admin/tenants/${encodeURIComponent(id)}`;

const show = (tenant: unknown, asJson: boolean) => (asJson ? json(tenant) : record(tenant as Row, tenantFields));

const subcommands: Record<string, Subcommand> = {
  create: {
    synopsis: `--name NAME [--id ID] [--tier TIER] [${limitsHelp}] [--metadata JSON]`,
    summary: 'create a tenant',
    options: { name: { type: 'string' }, id: { type: 'string' }, tier: { type: 'string' }, metadata: { type: 'string' }, ...limitOptions },
    async run({ conn, values, json: asJson }) {
      const name = stringFlag(values, 'name');
      if (name === undefined) throw usageError('--name is required');
      const body = defined({ id: stringFlag(values, 'id'), name, tier: stringFlag(values, 'tier'), limits: limitsFrom(values), metadata: jsonFlag(values, 'metadata') });
      return show(await adminRequest(conn, 'POST', '/admin/tenants', body), asJson);
    },
  },
  list: {
    synopsis: '[--limit N] [--after ID] [--all]',
    summary: 'list tenants by id (--all follows every page)',
    options: listOptions,
    async run({ conn, values, json: asJson }) {
      const { rows, hasMore, lastId } = await listRows(conn, '/admin/tenants', { limit: stringFlag(values, 'limit'), after: stringFlag(values, 'after') }, values.all === true);
      if (asJson) return json(rows);
      const more = hasMore ? `(more: --after ${lastId})\n` : '';
      return table(rows, ['id', 'name', 'tier', 'limits', 'budget', 'created_at']) + more;
    },
  },
  get: {
    synopsis: '<tenant_id>',
    summary: 'show one tenant',
    positionals: ['tenant_id'],
    async run({ conn, args, json: asJson }) {
      return show(await adminRequest(conn, 'GET', tenantPath(args.tenant_id!)), asJson);
    },
  },
  update: {
    synopsis: `<tenant_id> [--name NAME] [--tier TIER | --no-tier] [${limitsHelp}] [--metadata JSON]`,
    summary: "change a tenant's name, tier, limits or metadata (budgets: switchyard budgets)",
    positionals: ['tenant_id'],
    options: { name: { type: 'string' }, tier: { type: 'string' }, 'no-tier': { type: 'boolean' }, metadata: { type: 'string' }, ...limitOptions },
    async run({ conn, values, args, json: asJson }) {
      const body = defined({
        name: stringFlag(values, 'name'),
        tier: values['no-tier'] === true ? null : stringFlag(values, 'tier'),
        limits: limitsFrom(values),
        metadata: jsonFlag(values, 'metadata'),
      });
      if (Object.keys(body).length === 0) throw usageError('nothing to change: give --name, --tier, --no-tier, limits or --metadata');
      return show(await adminRequest(conn, 'PATCH', tenantPath(args.tenant_id!), body), asJson);
    },
  },
};

export const tenantsCommand = commandGroup('tenants', 'Manage tenants (master key).', subcommands);
