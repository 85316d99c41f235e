/**
 * Scaling policies the simulator replays traffic against: thresholds on utilisation held for a while, a cold start
 * before a new replica serves, a cool-down between a scaling action and the next scale-down, and replica bounds.
 */
import { z } from 'zod';

const minutes = z.number().min(0);
const share = z.number().gt(0).lte(1);

export const scalingPolicySchema = z
  .strictObject({
    name: z.string().min(1),
    /** Add replicas when utilisation (offered load over ready capacity) stays above this… */
    scaleUpUtilization: share.default(0.8),
    /** …for this long. */
    scaleUpAfterMinutes: minutes.default(2),
    /** Remove replicas when utilisation stays below this… */
    scaleDownUtilization: z.number().min(0).lt(1).default(0.3),
    /** …for this long. */
    scaleDownAfterMinutes: minutes.default(10),
    /** Utilisation a scaling action sizes the fleet for. */
    targetUtilization: share.default(0.6),
    /** From the scaling decision to the replica serving: node, image pull, weight load, engine start. */
    coldStartMinutes: minutes.default(3),
    /** No scale-down within this long of the last scaling action. */
    coolDownMinutes: minutes.default(5),
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().positive(),
  })
  .refine((p) => p.minReplicas <= p.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] })
  .refine((p) => p.scaleDownUtilization < p.scaleUpUtilization, {
    message: 'scaleDownUtilization must be below scaleUpUtilization',
    path: ['scaleDownUtilization'],
  });

export type ScalingPolicyInput = z.input<typeof scalingPolicySchema>;
export type ScalingPolicy = z.output<typeof scalingPolicySchema>;

/** Replicas that carry `requestsPerMinute` at `utilization` of each one's capacity. */
export function replicasFor(requestsPerMinute: number, replicaRequestsPerMinute: number, utilization: number): number {
  if (requestsPerMinute <= 0) return 0;
  return Math.ceil(Number((requestsPerMinute / (replicaRequestsPerMinute * utilization)).toPrecision(12)));
}

/**
 * Policies worth comparing for a curve: a fleet sized for the peak that never scales, a balanced autoscaler, one
 * too slow for a launch spike, and an eager one. Bounds: the plan's minimum, and room for the curve's peak.
 */
export function presetPolicies(peakRequestsPerMinute: number, replicaRequestsPerMinute: number, minReplicas: number, maxReplicas?: number): ScalingPolicyInput[] {
  const peakReplicas = Math.max(minReplicas, 1, replicasFor(peakRequestsPerMinute, replicaRequestsPerMinute, 0.8));
  const ceiling = Math.max(maxReplicas ?? Math.ceil(peakReplicas * 1.5), minReplicas, 1);
  return [
    { name: 'static-peak', minReplicas: peakReplicas, maxReplicas: peakReplicas },
    { name: 'balanced', minReplicas, maxReplicas: ceiling },
    { name: 'slow', minReplicas, maxReplicas: ceiling, scaleUpUtilization: 0.9, scaleUpAfterMinutes: 10, coldStartMinutes: 5, coolDownMinutes: 15 },
    { name: 'eager', minReplicas, maxReplicas: ceiling, scaleUpUtilization: 0.6, scaleUpAfterMinutes: 1, scaleDownUtilization: 0.2, scaleDownAfterMinutes: 20, targetUtilization: 0.5, coldStartMinutes: 2 },
  ];
}
