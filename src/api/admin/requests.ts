/**
 * The request log over the admin API: `GET /admin/tenants/{tenant_id}/requests` (a tenant admin sees only its
 * own tenant's requests) and `GET /admin/requests` (master key: every tenant, or one with `tenant_id`). Newest
 * first, keyset pages by id, filters by model, status (`429` or `5xx`) and time range.
 */
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import type { RequestLogQuery, RequestLogScope, RequestLogStore } from '../../stores/request-log.js';
import { requestLogJson } from '../../observability/request-log/record.js';
import { tenantNotFound } from './access.js';
import { listPage, listQuerySchema, listSchema, storePage } from './lists.js';
import { defineAdminRoute } from './registry.js';
import type { AdminServices } from './registry.js';
import { tenantIdSchema, tenantParamsSchema } from './resources.js';
import { fromStore, requireStores } from './store-errors.js';

const timestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .describe('RFC 3339 time, e.g. 2025-06-01T00:00:00Z.');

const requestsQuerySchema = listQuerySchema.extend({
  model: z.string().min(1).max(256).optional().describe('The requested model or alias, or the model that served it.'),
  status: z
    .string()
    .regex(/^([1-5][0-9]{2}|[1-5]xx)$/, 'must be an HTTP status (429) or a class (4xx)')
    .optional()
    .describe('An HTTP status (429) or a class (5xx).'),
  from: timestamp.optional().describe('Requests that arrived at or after this time.'),
  to: timestamp.optional().describe('Requests that arrived before this time.'),
});

const allRequestsQuerySchema = requestsQuerySchema.extend({
  tenant_id: tenantIdSchema.optional().describe("Only this tenant's requests."),
});

const requestLogItemSchema = z.object({
  id: z.string().describe('Log record id (log_…); pages run newest first by it.'),
  request_id: z.string().describe('The x-request-id the caller saw.'),
  time: z.string().describe('When the request arrived.'),
  tenant_id: z.string().nullable(),
  key_id: z.string().nullable(),
  endpoint: z.string(),
  requested_model: z.string().nullable(),
  model: z.string().nullable().describe('The model that served it, after alias resolution and fallbacks.'),
  provider: z.string().nullable(),
  status: z.number().int(),
  error_code: z.string().nullable(),
  attempts: z.number().int(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  input_tokens: z.number().int().nullable(),
  output_tokens: z.number().int().nullable(),
  cost_usd: z.number().nullable(),
  cache: z.string(),
  degraded: z.boolean(),
  trimmed_messages: z.number().int().nullable(),
  request_body: z.string().nullable().describe('Redacted and truncated; only when request_log.bodies is on.'),
  response_body: z.string().nullable(),
});

type RequestsQuery = z.output<typeof requestsQuerySchema>;

function statusRange(status: string | undefined): Pick<RequestLogQuery, 'statusFrom' | 'statusTo'> {
  if (status === undefined) return {};
  if (status.endsWith('xx')) {
    const base = Number(status[0]) * 100;
    return { statusFrom: base, statusTo: base + 99 };
  }
  return { statusFrom: Number(status), statusTo: Number(status) };
}

function logStore(services: AdminServices): RequestLogStore {
  const store = services.requestLog?.store;
  if (store === undefined) {
    throw new GatewayError('store_unavailable', 'This gateway keeps no request log store (request_log.store is off or there is no store).');
  }
  return store;
}

async function page(services: AdminServices, scope: RequestLogScope, query: RequestsQuery) {
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
    throw new GatewayError('invalid_request', "'from' must be before 'to'.", { param: 'from' });
  }
  const records = await fromStore(
    logStore(services).list({ scope, ...storePage(query), model: query.model, ...statusRange(query.status), from: query.from, to: query.to }),
  );
  return listPage(records, query, requestLogJson);
}

export const requestLogRoutes = [
  defineAdminRoute({
    operationId: 'listTenantRequests',
    method: 'GET',
    path: '/admin/tenants/{tenant_id}/requests',
    tag: 'requests',
    summary: "A tenant's request log, newest first",
    access: 'tenant',
    params: tenantParamsSchema,
    query: requestsQuerySchema,
    response: listSchema(requestLogItemSchema),
    async handle({ params, query }, services) {
      // An unknown tenant is 404, not an empty list.
      if ((await fromStore(requireStores(services.stores).tenants.get(params.tenant_id))) === undefined) {
        throw tenantNotFound(params.tenant_id);
      }
      return page(services, { tenantId: params.tenant_id }, query);
    },
  }),
  defineAdminRoute({
    operationId: 'listRequests',
    method: 'GET',
    path: '/admin/requests',
    tag: 'requests',
    summary: 'The request log of every tenant (and of master-key and demo requests), newest first',
    access: 'master',
    query: allRequestsQuerySchema,
    response: listSchema(requestLogItemSchema),
    handle({ query }, services) {
      const { tenant_id: tenantId, ...rest } = query;
      return page(services, tenantId === undefined ? { all: true } : { tenantId }, rest);
    },
  }),
];
