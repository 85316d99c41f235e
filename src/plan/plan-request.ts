/**
 * A plan request as the admin API and the CLI send it: the plan input, plus optional manifest options. One schema,
 * one function, so `POST /admin/plan` and `switchyard plan manifests` cannot drift apart.
 */
import type { z } from 'zod';
import { deploymentManifests, type Manifests } from './manifests/manifests.js';
import { manifestOptionsSchema } from './manifests/manifest-options.js';
import { planInputSchema } from './plan-input.js';
import { planCapacity, planInputError, type PlanReport } from './plan.js';

export const planRequestSchema = planInputSchema.extend({ manifests: manifestOptionsSchema.optional() });

export type PlanRequest = z.input<typeof planRequestSchema>;

export type PlanResponse = PlanReport & { manifests?: Manifests };

export function planRequest(raw: PlanRequest): PlanResponse {
  const parsed = planRequestSchema.safeParse(raw);
  if (!parsed.success) throw planInputError(parsed.error);
  const { manifests: manifestOptions, ...input } = parsed.data;
  const report = planCapacity(input);
  if (manifestOptions === undefined) return report;
  const fleet = { minReplicas: input.minReplicas, ...(report.demand === undefined ? {} : { peakReplicas: report.demand.replicas }) };
  return { ...report, manifests: deploymentManifests(report, fleet, manifestOptions) };
}
