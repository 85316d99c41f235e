/**
 * `POST /admin/plan` (master key): the capacity planner over HTTP. The body is the plan request the CLI builds from
 * its flags (same schema, same function); the answer is the report `switchyard plan --json` prints, plus the
 * Kubernetes manifests (objects and YAML) when the body asks for them. Bad input is a 400 naming the field.
 */
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import { PlanInputError } from '../../plan/plan.js';
import { planRequest, planRequestSchema } from '../../plan/plan-request.js';
import { defineAdminRoute } from './registry.js';

const kubernetesObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string() }),
  spec: z.record(z.string(), z.unknown()),
});

const planResponseSchema = z
  .object({
    model: z.object({ id: z.string(), name: z.string(), repository: z.string() }),
    hardware: z.object({ id: z.string(), name: z.string() }),
    engine: z.object({ weightDtype: z.string(), kvDtype: z.string(), tensorParallel: z.number().optional(), contextLength: z.number() }),
    memory: z.object({ kvCacheTokens: z.number(), maxConcurrentSequences: z.number(), fits: z.boolean() }),
    // The sections below are documented by their headline figures; the full shape is PlanReport in src/plan/plan.ts.
    performance: z.object({ ttftMs: z.number(), replicaOutputTokensPerSecond: z.number(), replicaRequestsPerSecond: z.number() }).optional(),
    demand: z.object({ peakRequestsPerMinute: z.number(), replicas: z.number(), gpus: z.number() }).optional(),
    cost: z.object({ gpuHourlyUsd: z.number(), selfHostedMonthlyUsd: z.number().optional(), apiMonthlyUsd: z.number().optional() }).optional(),
    rateLimits: z.object({ provider: z.string(), model: z.string() }).optional(),
    speculative: z.object({ draftTokens: z.number(), speedup: z.number() }).optional(),
    assumptions: z.array(z.string()),
    warnings: z.array(z.string()),
    manifests: z
      .object({
        objects: z.array(kubernetesObjectSchema),
        yaml: z.string().describe('The objects as one multi-document YAML stream, with operator notes as comments.'),
      })
      .optional(),
  })
  .meta({ id: 'PlanReport' });

export const planRoutes = [
  defineAdminRoute({
    operationId: 'planCapacity',
    method: 'POST',
    path: '/admin/plan',
    tag: 'plan',
    summary: 'Capacity plan for serving a model on a GPU, optionally with Kubernetes manifests',
    description:
      'GPU memory, latency and throughput, fleet size, cost against an API and provider rate-limit tiers; with ' +
      '`manifests`, the vLLM or TGI Deployment, Service, PodDisruptionBudget and KEDA or HPA autoscaler too.',
    access: 'master',
    body: planRequestSchema,
    response: planResponseSchema,
    handle({ body }) {
      try {
        return planRequest(body);
      } catch (error) {
        if (error instanceof PlanInputError) throw new GatewayError('invalid_request', error.message, { param: error.param ?? null });
        if (error instanceof RangeError) throw new GatewayError('invalid_request', error.message);
        throw error;
      }
    },
  }),
];
