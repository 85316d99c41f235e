/** Operational endpoints: liveness, readiness, Prometheus metrics. */
import type { GatewayApp } from '../app.js';
import type { EdgeResponse } from './edge.js';

export function healthz(): EdgeResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' };
}

export function readyz(ready: { ok: boolean; reason?: string }): EdgeResponse {
  return {
    status: ready.ok ? 200 : 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ready.ok ? { status: 'ready' } : { status: 'not_ready', reason: ready.reason }),
  };
}

export async function metrics(app: GatewayApp): Promise<EdgeResponse> {
  const { contentType, body } = await app.metrics.render();
  return { status: 200, headers: { 'content-type': contentType }, body };
}
