/**
 * The route table and the one dispatch function both HTTP edges call. Every `/v1` request gets a context,
 * authentication, an error envelope in its dialect, gateway headers, and exactly one metrics record when its
 * last byte is out.
 */
import Router from 'find-my-way';
import type { GatewayApp } from '../app.js';
import { createContext, type GatewayContext } from '../core/context.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { credentialOf, header, type EdgeRequest, type EdgeResponse } from './edge.js';
import { requestPriority, requestTimeoutMs } from './request-headers.js';
import { errorResponse, type Dialect } from './respond.js';
import { adminRoutes } from './admin/index.js';
import { routerPath } from './admin/registry.js';
import { runAdminRoute } from './admin/run.js';
import * as anthropic from './anthropic/messages.js';
import type { Resilience } from '../reliability/resilience.js';
import { authorizeAdmin, type AdminAccess } from '../stages/authorize-admin.js';
import type { Stores } from '../stores/types.js';
import type { RequestLog } from '../observability/request-log/request-log.js';
import { StreamCapture } from '../observability/request-log/stream-capture.js';
import type { Budgets } from '../budgets/budgets.js';
import * as openai from './openai.js';
import * as system from './system.js';

export interface GatewayState {
  app: GatewayApp;
  resilience: Resilience;
  /** Tenants and keys for the admin API; absent in library mode without stores (those routes answer 503). */
  stores?: Stores;
  /** One record per request when its last byte is out (not for system routes). */
  requestLog?: RequestLog;
  /** Budget counters, spend rollups and prices for the admin API. */
  budgets?: Budgets;
  readiness(): { ok: boolean; reason?: string };
  /** True once shutdown began: API requests are refused (503), probes and metrics still answer. */
  draining(): boolean;
}

type Params = Record<string, string | undefined>;

interface ApiRoute {
  endpoint: GatewayContext['endpoint'];
  dialect: Dialect;
  /** Admin route (api/admin/registry.ts): who may call it; refused entirely when no master key is configured. */
  admin?: AdminAccess;
  handle(state: GatewayState, ctx: GatewayContext, request: EdgeRequest, params: Params): Promise<EdgeResponse> | EdgeResponse;
}

interface SystemRoute {
  system: true;
  handle(state: GatewayState): Promise<EdgeResponse> | EdgeResponse;
}

type RouteSpec = ApiRoute | SystemRoute;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const methods: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const routes: [method: Method, path: string, spec: RouteSpec][] = [
  ['POST', '/v1/chat/completions', { endpoint: 'chat', dialect: 'openai', handle: (s, ctx, r) => openai.chatCompletions(s.app, ctx, r) }],
  ['POST', '/v1/completions', { endpoint: 'completions', dialect: 'openai', handle: (s, ctx, r) => openai.completions(s.app, ctx, r) }],
  ['POST', '/v1/embeddings', { endpoint: 'embeddings', dialect: 'openai', handle: (s, ctx, r) => openai.embeddings(s.app, ctx, r) }],
  ['GET', '/v1/models', { endpoint: 'models', dialect: 'openai', handle: (s, ctx) => openai.listModels(s.app, ctx) }],
  ['GET', '/v1/models/*', { endpoint: 'models', dialect: 'openai', handle: (s, ctx, _r, p) => openai.getModel(s.app, ctx, p['*'] ?? '') }],
  ['POST', '/v1/messages', { endpoint: 'messages', dialect: 'anthropic', handle: (s, ctx, r) => anthropic.messages(s.app, ctx, r) }],
  ['POST', '/v1/messages/count_tokens', { endpoint: 'messages', dialect: 'anthropic', handle: (s, ctx, r) => anthropic.countTokens(s.app, ctx, r) }],
  ['GET', '/healthz', { system: true, handle: () => system.healthz() }],
  ['GET', '/readyz', { system: true, handle: (s: GatewayState) => system.readyz(s.readiness()) }],
  ['GET', '/metrics', { system: true, handle: (s: GatewayState) => system.metrics(s.app) }],
];

const router = Router({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });
const noop = () => undefined;
for (const [method, path, spec] of routes) router.on(method, path, noop, spec);
for (const route of adminRoutes) {
  router.on(route.method, routerPath(route.path), noop, {
    endpoint: 'admin',
    dialect: 'openai',
    admin: route.access,
    handle: (s, ctx, r, p) => runAdminRoute(route, s, ctx, r, p),
  } satisfies ApiRoute);
}

/** Registers more routes (other endpoint families) before the first request. */
export function addRoute(method: Method, path: string, spec: ApiRoute): void {
  router.on(method, path, noop, spec);
}

function notFound(request: EdgeRequest, allowed: boolean): GatewayError {
  return allowed
    ? new GatewayError('method_not_allowed', `Method ${request.method} is not allowed on ${request.path}.`)
    : new GatewayError('not_found', `Unknown route: ${request.method} ${request.path}.`);
}

function abortAtDeadline(controller: AbortController): void {
  controller.abort(new DOMException('The request exceeded its time limit.', 'TimeoutError'));
}

export async function dispatch(state: GatewayState, request: EdgeRequest): Promise<EdgeResponse> {
  const match = router.find(request.method as Method, request.path);
  const spec = match?.store as RouteSpec | undefined;
  if (spec !== undefined && 'system' in spec) return spec.handle(state);

  const ctx = createContext(request.requestId, spec?.endpoint ?? 'chat', request.controller.signal);
  const { metrics } = state.app;
  metrics.requestStarted();
  let response: EdgeResponse;
  let deadlineTimer: NodeJS.Timeout | undefined;
  try {
    const timeoutMs = requestTimeoutMs(header(request, 'x-switchyard-timeout-ms'), state.app.runtime().config);
    ctx.deadlineAt = ctx.startedAt + timeoutMs;
    ctx.priority = requestPriority(header(request, 'x-switchyard-priority'));
    deadlineTimer = setTimeout(abortAtDeadline, timeoutMs, request.controller);
    // Checked here, after the body was read, so a request that was still uploading when shutdown began never
    // runs on a runtime that is closing.
    if (state.draining()) throw new GatewayError('shutting_down', 'The gateway is shutting down.');
    if (spec === undefined) {
      throw notFound(request, methods.some((method) => method !== request.method && router.find(method, request.path) !== null));
    }
    const credential = credentialOf(request);
    if (spec.admin !== undefined) authorizeAdmin(ctx, spec.admin, state.app.runtime().config.auth, () => state.app.authenticate(ctx, credential));
    else state.app.authenticate(ctx, credential);
    const streamBody = spec.admin === undefined ? state.requestLog?.streamBodyLimit() : undefined;
    if (streamBody !== undefined) ctx.streamCapture = new StreamCapture(streamBody);
    response = await spec.handle(state, ctx, request, match!.params);
  } catch (thrown) {
    response = errorResponse(ctx, toGatewayError(thrown), spec?.dialect ?? 'openai');
    if (ctx.errorCode === 'shutting_down') response.headers.connection = 'close';
  }
  let finished = false;
  response.finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(deadlineTimer);
    ctx.releaseAttempt?.();
    ctx.releaseLimits?.();
    ctx.settleSpend?.();
    metrics.requestEnded();
    metrics.recordRequest(ctx, response.status, ctx.errorCode);
    state.requestLog?.record(ctx, response.status, { request: request.body, response: response.body ?? ctx.streamCapture?.json() });
  };
  return response;
}
