/** `switchyard budgets set|clear`: a tenant's budget (master key) or one key's (master or tenant admin key). */
import { adminRequest, usageError } from './client.js';
import { commandGroup, defined, numberFlag, stringFlag, type Subcommand } from './command.js';
import { json } from './output.js';

function budgetPath(tenant: string, key: string | undefined): string {
  const base = `/admin/tenants/${encodeURIComponent(tenant)}`;
  return key === undefined ? `${base}/budget` : `${base}/keys/${encodeURIComponent(key)}/budget`;
}

const target = (tenant: string, key: string | undefined) => (key === undefined ? `tenant ${tenant}` : `key ${key} of tenant ${tenant}`);

const subcommands: Record<string, Subcommand> = {
  set: {
    synopsis: '<tenant_id> [--key-id KEY_ID] --usd AMOUNT --period day|month [--on-exhausted block|downgrade] [--downgrade-to MODEL]',
    summary: "set the tenant's budget, or with --key-id that key's",
    positionals: ['tenant_id'],
    options: { 'key-id': { type: 'string' }, usd: { type: 'string' }, period: { type: 'string' }, 'on-exhausted': { type: 'string' }, 'downgrade-to': { type: 'string' } },
    async run({ conn, values, args, json: asJson }) {
      const amount = numberFlag(values, 'usd');
      const period = stringFlag(values, 'period');
      if (amount === undefined || period === undefined) throw usageError('--usd and --period are required');
      const body = defined({ amount_usd: amount, period, on_exhausted: stringFlag(values, 'on-exhausted'), downgrade_to: stringFlag(values, 'downgrade-to') });
      const keyId = stringFlag(values, 'key-id');
      const result = await adminRequest(conn, 'PUT', budgetPath(args.tenant_id!, keyId), body);
      return asJson ? json(result) : `budget of ${target(args.tenant_id!, keyId)}: $${amount} per ${period}${body.on_exhausted ? `, then ${String(body.on_exhausted)}` : ''}${body.downgrade_to ? ` to ${String(body.downgrade_to)}` : ''}\n`;
    },
  },
  clear: {
    synopsis: '<tenant_id> [--key-id KEY_ID]',
    summary: "remove the tenant's budget, or with --key-id that key's",
    positionals: ['tenant_id'],
    options: { 'key-id': { type: 'string' } },
    async run({ conn, values, args, json: asJson }) {
      const keyId = stringFlag(values, 'key-id');
      const result = await adminRequest(conn, 'DELETE', budgetPath(args.tenant_id!, keyId));
      return asJson ? json(result) : `budget of ${target(args.tenant_id!, keyId)} removed\n`;
    },
  },
};

export const budgetsCommand = commandGroup('budgets', 'Set or clear spend budgets.', subcommands);
