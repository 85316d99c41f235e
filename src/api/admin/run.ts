/**
 * Runs one registered admin route for a request that dispatch already authenticated and authorized: tenant
 * isolation on `{tenant_id}`, path/query/body validation, the handler, and the JSON response.
 */
import type { z } from 'zod';
import type { GatewayContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { EdgeRequest, EdgeResponse } from '../edge.js';
import { paramPath, parseJsonBody } from '../request-body.js';
import { jsonResponse } from '../respond.js';
import { adminScope, assertTenantVisible } from './access.js';
import type { AdminRoute, AdminServices } from './registry.js';

type Params = Record<string, string | undefined>;

/** Path params that do not parse name nothing that exists: 404, like an unknown id. */
function parseParams(route: AdminRoute, params: Params): unknown {
  if (route.params === undefined) return undefined;
  const result = route.params.safeParse(params);
  if (result.success) return result.data;
  const name = String(result.error.issues[0]?.path[0] ?? '');
  throw new GatewayError('not_found', `No such resource: invalid ${name || 'path parameter'} "${params[name] ?? ''}".`);
}

/** The query string as an object of strings (a repeated name keeps its first value). */
export function queryObject(query: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === undefined || query === '') return out;
  for (const [name, value] of new URLSearchParams(query)) if (!(name in out)) out[name] = value;
  return out;
}

function parseQuery(schema: z.ZodType | undefined, query: string | undefined): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(queryObject(query));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = paramPath(issue.path);
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unrecognized query parameter${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`
      : `Invalid value for query parameter '${param}': ${issue.message}`;
  throw new GatewayError('invalid_request', message, { param: param || (issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? null) : null) });
}

export async function runAdminRoute(
  route: AdminRoute,
  services: AdminServices,
  ctx: GatewayContext,
  request: EdgeRequest,
  rawParams: Params,
): Promise<EdgeResponse> {
  const scope = adminScope(ctx.caller);
  const tenantId = rawParams.tenant_id;
  // Before any validation, so another tenant's ids answer exactly as absent ones.
  if (tenantId !== undefined) assertTenantVisible(scope, tenantId);
  const params = parseParams(route, rawParams);
  const query = parseQuery(route.query, request.query);
  const body = route.body === undefined ? undefined : parseJsonBody(request.body, route.body);
  const result = await route.handle({ ctx, scope, params, query, body }, services);
  return jsonResponse(ctx, route.status ?? 200, result);
}
