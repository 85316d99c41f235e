/**
 * The SQL schema, in drizzle's TypeScript form. It is the source `drizzle-kit generate` diffs to write the next
 * migration in `./migrations` (see docs/stores.md); the app applies those migrations, never this file directly.
 * Tables are unqualified: the connection's `search_path` picks the schema, so tests run in their own.
 */
import { bigint, boolean, date, doublePrecision, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { Budget, KeyScopes, Limits, Metadata } from '../../core/tenancy.js';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  tier: text('tier'),
  limits: jsonb('limits').$type<Limits>().notNull().default({}),
  budget: jsonb('budget').$type<Budget>(),
  metadata: jsonb('metadata').$type<Metadata>().notNull().default({}),
  version: integer('version').notNull().default(1),
  createdAt: instant('created_at').notNull().defaultNow(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    keyPrefix: text('key_prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    scopes: jsonb('scopes').$type<KeyScopes>().notNull().default({}),
    tier: text('tier'),
    limits: jsonb('limits').$type<Limits>().notNull().default({}),
    budget: jsonb('budget').$type<Budget>(),
    metadata: jsonb('metadata').$type<Metadata>().notNull().default({}),
    version: integer('version').notNull().default(1),
    expiresAt: instant('expires_at'),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
    lastUsedAt: instant('last_used_at'),
  },
  (table) => [index('api_keys_tenant_id_idx').on(table.tenantId, table.id)],
);

/** Small facts about the store itself, e.g. the pepper fingerprint. */
export const storeMeta = pgTable('store_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * One row per answered request (observability/request-log/): written in batches off the request path, read by
 * the admin API newest first (ids sort by time), pruned by `request_log.retention_days`. No foreign key to
 * tenants: the log outlives them, and master-key and demo requests have no tenant.
 */
export const requestLog = pgTable(
  'request_log',
  {
    id: text('id').primaryKey(),
    requestId: text('request_id').notNull(),
    time: instant('time').notNull(),
    tenantId: text('tenant_id'),
    keyId: text('key_id'),
    endpoint: text('endpoint').notNull(),
    requestedModel: text('requested_model'),
    model: text('model'),
    provider: text('provider'),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    attempts: integer('attempts').notNull(),
    latencyMs: doublePrecision('latency_ms').notNull(),
    ttftMs: doublePrecision('ttft_ms'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costUsd: doublePrecision('cost_usd'),
    cache: text('cache').notNull(),
    degraded: boolean('degraded').notNull().default(false),
    trimmedMessages: integer('trimmed_messages'),
    requestBody: text('request_body'),
    responseBody: text('response_body'),
  },
  (table) => [index('request_log_tenant_id_idx').on(table.tenantId, table.id), index('request_log_time_idx').on(table.time)],
);

/**
 * Spend rolled up per tenant, key, public model and UTC day (DESIGN.md §6), added to in batches by the spend
 * aggregator. Cost is exact decimal (nano-dollar scale) so sums of many small requests do not drift. No foreign
 * keys: rollups outlive revoked keys.
 */
export const spendDaily = pgTable(
  'spend_daily',
  {
    tenantId: text('tenant_id').notNull(),
    keyId: text('key_id').notNull(),
    model: text('model').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 24, scale: 9 }).notNull().default('0'),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.keyId, table.model, table.day] }), index('spend_daily_day_idx').on(table.day)],
);
