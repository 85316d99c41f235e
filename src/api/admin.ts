/**
 * Operator endpoints for the resilience layer (master key only): where every deployment stands (breaker,
 * in-flight, latency, quota headroom, cooldown, concurrency, health) and the kill switch that takes a
 * deployment, a provider or a model out of rotation at once.
 */
import { z } from 'zod';
import type { GatewayContext } from '../core/context.js';
import type { Resilience } from '../reliability/resilience.js';
import type { Runtime } from '../runtime.js';
import type { KillSwitchTarget } from '../routing/deployment-stats.js';
import type { EdgeRequest, EdgeResponse } from './edge.js';
import { parseJsonBody } from './request-body.js';
import { jsonResponse } from './respond.js';

export function deployments(ctx: GatewayContext, runtime: Runtime, resilience: Resilience): EdgeResponse {
  const breakers = resilience.breakers.snapshot();
  const concurrency = resilience.gates.stats();
  const wallOffset = Date.now() - resilience.clock.now();
  const models = [...runtime.routes.models.values()].map((model) => ({
    model: model.name,
    routing: model.routing,
    fallbacks: model.fallbacks,
    fallbacks_on: model.fallbacksOn,
    deployments: resilience.snapshot(model, model.deployments, true).map((snapshot, index) => {
      const deployment = model.deployments[index]!;
      const breaker = breakers[deployment.id];
      return {
        id: deployment.id,
        provider: deployment.adapter.name,
        upstream_model: deployment.upstreamModel,
        weight: deployment.weight,
        disabled: snapshot.disabled,
        in_rotation: !snapshot.disabled && snapshot.healthWeight > 0,
        traffic_share: snapshot.healthWeight,
        circuit: breaker === undefined ? { state: 'closed' } : { ...breaker, since: new Date(breaker.since + wallOffset).toISOString() },
        outstanding: snapshot.outstanding,
        latency_ms: snapshot.latencyMs,
        quota_headroom: snapshot.quotaHeadroom,
        cooling_down_until:
          snapshot.coolingDownUntil === undefined ? undefined : new Date(snapshot.coolingDownUntil + wallOffset).toISOString(),
        concurrency: concurrency[deployment.id],
      };
    }),
  }));
  return jsonResponse(ctx, 200, { object: 'list', data: models });
}

export function resilienceStatus(ctx: GatewayContext, resilience: Resilience): EdgeResponse {
  return jsonResponse(ctx, 200, resilience.status());
}

const killSwitchSchema = z.strictObject({
  action: z.enum(['disable', 'enable']),
  target: z.union([
    z.strictObject({ deployment: z.string().min(1) }),
    z.strictObject({ provider: z.string().min(1) }),
    z.strictObject({ model: z.string().min(1) }),
  ]),
});

/** `POST /admin/kill-switches {action, target}`: takes effect for the next request, on this replica. */
export function setKillSwitch(ctx: GatewayContext, request: EdgeRequest, resilience: Resilience): EdgeResponse {
  const { action, target } = parseJsonBody(request.body, killSwitchSchema);
  const switchTarget = target as KillSwitchTarget;
  if (action === 'disable') resilience.stats.disable(switchTarget);
  else resilience.stats.enable(switchTarget);
  return jsonResponse(ctx, 200, { kill_switches: resilience.stats.killSwitches() });
}

export function listKillSwitches(ctx: GatewayContext, resilience: Resilience): EdgeResponse {
  return jsonResponse(ctx, 200, { kill_switches: resilience.stats.killSwitches() });
}
