/**
 * The admin commands of the `switchyard` CLI. Each talks to a running gateway's `/admin` API over HTTP, so it
 * does exactly what the API allows the key it is given (see docs/tenancy.md).
 */
import { budgetsCommand } from './budgets.js';
import type { AdminCommand } from './command.js';
import { keysCommand } from './keys.js';
import { pricesCommand, spendCommand, usageCommand } from './reports.js';
import { tenantsCommand } from './tenants.js';

export const adminCommands: Readonly<Record<string, AdminCommand>> = {
  tenants: tenantsCommand,
  keys: keysCommand,
  budgets: budgetsCommand,
  usage: usageCommand,
  spend: spendCommand,
  prices: pricesCommand,
};

export const adminCommandsUsage = `  tenants create|list|get|update     manage tenants (switchyard tenants --help)
  keys    create|list|get|update|revoke   manage a tenant's API keys
  budgets set|clear                  tenant and key spend budgets
  usage                              requests, tokens and cost per day, tenant, key and model
  spend   --tenant ID                where a tenant's and its keys' budgets stand this period
  prices                             the price table
`;
