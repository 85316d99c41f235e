/**
 * Operator endpoints for the resilience layer (master key only): where every deployment stands (breaker,
 * in-flight, latency, quota headroom, cooldown, concurrency, health) and the kill switch that takes a
 * deployment, a provider or a model out of rotation at once.
 */
import { z } from 'zod';
import type { Resilience } from '../../reliability/resilience.js';
import type { Runtime } from '../../runtime.js';
import type { KillSwitchTarget } from '../../routing/deployment-stats.js';
import { defineAdminRoute } from './registry.js';

const killSwitchTargetSchema = z
  .union([
    z.strictObject({ deployment: z.string().min(1) }),
    z.strictObject({ provider: z.string().min(1) }),
    z.strictObject({ model: z.string().min(1) }),
  ])
  .meta({ id: 'KillSwitchTarget' });

const killSwitchSchema = z.strictObject({ action: z.enum(['disable', 'enable']), target: killSwitchTargetSchema });
const killSwitchListSchema = z.object({ kill_switches: z.array(killSwitchTargetSchema) });

const deploymentStatusSchema = z.object({
  id: z.string(),
  provider: z.string(),
  upstream_model: z.string(),
  weight: z.number(),
  disabled: z.boolean(),
  in_rotation: z.boolean(),
  traffic_share: z.number().describe('Health weight: 1 healthy, 0 out of rotation, between while recovering.'),
  circuit: z.looseObject({ state: z.string(), since: z.string().optional() }),
  outstanding: z.number(),
  latency_ms: z.number().nullable().optional(),
  quota_headroom: z.number().nullable().optional(),
  cooling_down_until: z.string().optional(),
  concurrency: z.looseObject({ inFlight: z.number(), queued: z.number() }).optional(),
});

const deploymentListSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      model: z.string(),
      routing: z.string(),
      fallbacks: z.array(z.string()),
      fallbacks_on: z.record(z.string(), z.array(z.string())),
      deployments: z.array(deploymentStatusSchema),
    }),
  ),
});

const resilienceStatusSchema = z.looseObject({
  circuits: z.record(z.string(), z.unknown()),
  retry_budgets: z.unknown(),
  concurrency: z.record(z.string(), z.unknown()),
  health: z.unknown(),
  unhealthy_providers: z.array(z.string()),
  outages: z.unknown(),
  kill_switches: z.array(killSwitchTargetSchema),
});

export function deployments(runtime: Runtime, resilience: Resilience): z.input<typeof deploymentListSchema> {
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
      const gate = concurrency[deployment.id];
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
        concurrency: gate === undefined ? undefined : { ...gate },
      };
    }),
  }));
  return { object: 'list', data: models };
}

export const resilienceRoutes = [
  defineAdminRoute({
    operationId: 'listDeployments',
    method: 'GET',
    path: '/admin/deployments',
    tag: 'resilience',
    summary: 'Every deployment: circuit, in-flight, latency, quota headroom, cooldown, concurrency, rotation',
    access: 'master',
    response: deploymentListSchema,
    handle: (_input, { app, resilience }) => deployments(app.runtime(), resilience),
  }),
  defineAdminRoute({
    operationId: 'getResilienceStatus',
    method: 'GET',
    path: '/admin/resilience',
    tag: 'resilience',
    summary: 'Circuits, retry budgets, concurrency, health, outages and kill switches',
    access: 'master',
    response: resilienceStatusSchema,
    handle: (_input, { resilience }) => resilience.status() as z.input<typeof resilienceStatusSchema>,
  }),
  defineAdminRoute({
    operationId: 'listKillSwitches',
    method: 'GET',
    path: '/admin/kill-switches',
    tag: 'resilience',
    summary: 'Deployments, providers and models taken out of rotation on this replica',
    access: 'master',
    response: killSwitchListSchema,
    handle: (_input, { resilience }) => ({ kill_switches: resilience.stats.killSwitches() }),
  }),
  defineAdminRoute({
    operationId: 'setKillSwitch',
    method: 'POST',
    path: '/admin/kill-switches',
    tag: 'resilience',
    summary: 'Disable or enable a deployment, provider or model; takes effect for the next request, on this replica',
    access: 'master',
    body: killSwitchSchema,
    response: killSwitchListSchema,
    handle({ body }, { resilience }) {
      const target = body.target as KillSwitchTarget;
      if (body.action === 'disable') resilience.stats.disable(target);
      else resilience.stats.enable(target);
      return { kill_switches: resilience.stats.killSwitches() };
    },
  }),
];
