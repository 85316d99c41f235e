/**
 * The admin route registry: every `/admin` endpoint is declared once, as data — method, path, summary, who may
 * call it, zod schemas for its path params, query, body and response, and a handler. From that one declaration
 * the gateway routes, authorizes and validates the request (routes.ts via `run.ts`), and `GET /admin/openapi.json`
 * documents it (openapi.ts). The `/v1` hot path never touches this code.
 *
 * HOW TO ADD AN ADMIN ROUTE
 *
 * 1. In your module (for example `src/api/admin/usage.ts`), declare it with `defineAdminRoute` and export an
 *    array of your routes:
 *
 *      export const usageRoutes = [
 *        defineAdminRoute({
 *          operationId: 'getTenantUsage',           // unique, camelCase: the OpenAPI operationId
 *          method: 'GET',
 *          path: '/admin/tenants/{tenant_id}/usage', // OpenAPI-style {params}
 *          tag: 'usage',
 *          summary: 'Usage of one tenant per day, key and model',
 *          access: 'tenant',                         // 'master': master key only; 'tenant': tenant admin keys too
 *          params: z.object({ tenant_id: tenantIdParam }),
 *          query: z.object({ from: z.iso.date().optional() }),   // strings in; use z.coerce for numbers
 *          response: usageListSchema,
 *          async handle({ scope, params, query }, services) { ... return body; },
 *        }),
 *      ];
 *
 * 2. Add `...usageRoutes` to `adminRoutes` in `src/api/admin/index.ts`. That is all: the route is served,
 *    authorized and listed in the OpenAPI document (a test checks every registered route appears there).
 *
 * Rules the runner enforces, so handlers need not:
 * - Authentication and access: the master key, or (for `access: 'tenant'`) a virtual key whose scopes hold
 *   `admin: true`. Any other key gets 403; a tenant admin key on a `master` route gets 403.
 * - Tenant isolation by path: when a tenant admin calls a route whose path has `{tenant_id}`, any tenant id but
 *   its own answers 404 exactly as an absent tenant would, before the handler runs.
 * - Validation: path params that do not parse are 404; query and body failures are 400 with `param`.
 *
 * What handlers must still do:
 * - Routes without `{tenant_id}` (e.g. `GET /admin/usage`) that a tenant admin may call must filter by
 *   `scope.tenantId` themselves (see `scopedTenantId` in access.ts).
 * - Wrap store calls in `fromStore(...)` (store-errors.ts): StoreError → 404/409/400, an unreachable store → 503.
 * - Return the response body (it must match `response`); `status` sets the success status (default 200).
 *
 * A handler's dependencies come from `AdminServices` (the gateway state). To give handlers a new one, add an
 * optional field to `GatewayOptions` (gateway.ts) and `GatewayState` (routes.ts) and pass it in `startGateway`.
 */
import type { z } from 'zod';
import type { GatewayContext } from '../../core/context.js';
import type { GatewayState } from '../routes.js';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call a route: the master key only, or also a tenant admin key (for its own tenant). */
export type AdminAccess = 'master' | 'tenant';

/** The caller of an admin route, once authorized: the operator, or the admin of one tenant. */
export type AdminScope =
  | { readonly kind: 'master' }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly keyId: string };

/** What a handler depends on: the gateway's state (app, runtime, resilience, stores). */
export type AdminServices = GatewayState;

export interface AdminInput<P, Q, B> {
  readonly ctx: GatewayContext;
  readonly scope: AdminScope;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
}

type Schema = z.ZodType;
type Out<S extends Schema | undefined> = S extends Schema ? z.output<S> : undefined;

export interface AdminRoute<
  P extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  B extends Schema | undefined = Schema | undefined,
  R extends Schema = Schema,
> {
  /** Unique camelCase name: the OpenAPI operationId. */
  readonly operationId: string;
  readonly method: AdminMethod;
  /** OpenAPI-style path, `/admin/...` with `{name}` params. */
  readonly path: string;
  /** Groups operations in the OpenAPI document: `tenants`, `keys`, `budgets`, `resilience`, … */
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly access: AdminAccess;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: R;
  /** Success status (default 200). */
  readonly status?: 200 | 201;
  // A method (not a property) so routes with different schemas share one list type.
  handle(input: AdminInput<Out<P>, Out<Q>, Out<B>>, services: AdminServices): Promise<z.input<R>> | z.input<R>;
}

/** Declares an admin route; the schemas type the handler's input and result. */
export function defineAdminRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema = Schema,
>(route: AdminRoute<P, Q, B, R>): AdminRoute<P, Q, B, R> {
  return route;
}

/** `/admin/tenants/{tenant_id}` → `/admin/tenants/:tenant_id`, as the router writes params. */
export function routerPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}
