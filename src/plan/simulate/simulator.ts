/**
 * Replays a traffic curve against a scaling policy. Traffic is a fluid: each 10-second tick brings its share of the
 * minute's requests, ready replicas serve at the plan's per-replica rate (requests/s at the latency target), the
 * rest waits in a FIFO queue, and requests that would wait past the client timeout are dropped. The policy watches
 * utilisation (offered load, backlog included, over ready capacity) and adds replicas that serve only after the
 * cold start, or removes them after the cool-down. GPU time counts booting replicas: they are paid for too.
 */
import type { PlanReport } from '../plan.js';
import { PlanInputError } from '../plan.js';
import { replicasFor, type ScalingPolicy } from './policy.js';
import type { TrafficCurve } from './traffic.js';

export interface ReplicaCapacity {
  /** Requests per minute one replica completes at the latency target. */
  requestsPerMinute: number;
  outputTokensPerSecond: number;
  gpusPerReplica: number;
  gpuHourlyUsd: number;
}

export interface SimulationSettings {
  /** Queueing delay (on top of TTFT) a request may see before its minute counts as an SLO violation. */
  sloQueueSeconds: number;
  /** Client timeout: a request that would wait longer is dropped. */
  maxWaitSeconds: number;
  tickSeconds?: number;
}

export interface MinuteRecord {
  minute: number;
  requestsPerMinute: number;
  /** Ready replicas' capacity at the end of the minute. */
  capacityRequestsPerMinute: number;
  readyReplicas: number;
  /** Ready plus booting. */
  replicas: number;
  queue: number;
  maxQueueDelaySeconds: number;
  dropped: number;
  sloViolated: boolean;
}

export interface SimulationResult {
  policy: ScalingPolicy;
  minutes: MinuteRecord[];
  queueDelaySeconds: { p50: number; p95: number; max: number };
  sloViolationMinutes: number;
  requests: number;
  /** Requests that waited in the queue at all. */
  queuedRequests: number;
  droppedRequests: number;
  gpuHours: number;
  costUsd: number;
  replicas: { min: number; max: number; mean: number };
  scaleUps: number;
  scaleDowns: number;
}

/** The per-replica figures the simulator needs, from a plan that fits. */
export function capacityFromPlan(report: PlanReport): ReplicaCapacity {
  const perf = report.performance;
  if (perf === undefined || report.engine.tensorParallel === undefined || perf.replicaRequestsPerSecond <= 0) {
    throw new PlanInputError(`cannot simulate: ${report.warnings[0] ?? 'the plan has no throughput estimate'}`, 'gpu');
  }
  return {
    requestsPerMinute: perf.replicaRequestsPerSecond * 60,
    outputTokensPerSecond: perf.replicaOutputTokensPerSecond,
    gpusPerReplica: report.engine.tensorParallel,
    gpuHourlyUsd: report.cost?.gpuHourlyUsd ?? report.hardware.hourlyUsd,
  };
}

interface DelaySample {
  delay: number;
  weight: number;
}

function weightedPercentile(sorted: readonly DelaySample[], total: number, share: number): number {
  let seen = 0;
  for (const sample of sorted) {
    seen += sample.weight;
    if (seen >= total * share) return sample.delay;
  }
  return sorted.at(-1)?.delay ?? 0;
}

const clamp = (n: number, low: number, high: number) => Math.min(high, Math.max(low, n));

export function simulateScaling(curve: TrafficCurve, policy: ScalingPolicy, capacity: ReplicaCapacity, settings: SimulationSettings): SimulationResult {
  const tick = settings.tickSeconds ?? 10;
  if (!(tick > 0 && 60 % tick === 0)) throw new RangeError('tickSeconds must divide a minute');
  const perReplicaPerSecond = capacity.requestsPerMinute / 60;
  const sized = (requestsPerMinute: number) =>
    clamp(replicasFor(requestsPerMinute, capacity.requestsPerMinute, policy.targetUtilization), policy.minReplicas, policy.maxReplicas);

  let ready = sized(curve[0] ?? 0);
  const booting: number[] = []; // ready-at times, ascending
  let queue = 0;
  let lastScaleAt = Number.NEGATIVE_INFINITY;
  let aboveSince: number | undefined;
  let belowSince: number | undefined;
  const samples: DelaySample[] = [];
  const minutes: MinuteRecord[] = [];
  let requests = 0, queued = 0, dropped = 0, replicaSeconds = 0, scaleUps = 0, scaleDowns = 0;

  for (const [minute, requestsPerMinute] of curve.entries()) {
    const arrivalRate = requestsPerMinute / 60;
    let maxDelay = 0, droppedInMinute = 0;
    for (let start = minute * 60; start < (minute + 1) * 60; start += tick) {
      while (booting.length > 0 && booting[0]! <= start) {
        booting.shift();
        ready += 1;
      }
      const arrivals = arrivalRate * tick;
      const serviceRate = ready * perReplicaPerSecond;
      const net = arrivals - serviceRate * tick;
      const limit = serviceRate * settings.maxWaitSeconds;
      let end = Math.max(0, queue + net);
      // Mean queue over the tick: linear in time, or a triangle when it drains to empty before the tick ends.
      const meanQueue = Math.min(limit, net >= 0 || queue > -net ? queue + net / 2 : (queue * queue) / (2 * -net));
      const overflow = Math.max(0, end - limit);
      end -= overflow;
      const served = arrivals - overflow;
      const waited = net >= 0 ? (queue > 0 || net > 0 ? served : 0) : served * Math.min(1, queue / -net);
      if (serviceRate > 0 && served > 0) {
        samples.push({ delay: meanQueue / serviceRate, weight: served });
        maxDelay = Math.max(maxDelay, Math.min(settings.maxWaitSeconds, Math.max(queue, end) / serviceRate));
      }
      requests += arrivals;
      queued += waited;
      dropped += overflow;
      droppedInMinute += overflow;
      replicaSeconds += (ready + booting.length) * tick;
      queue = end;

      // The policy looks at the tick that just ended.
      const now = start + tick;
      const demand = arrivalRate + queue / 60; // backlog counts as load to clear within a minute
      const utilization = serviceRate > 0 ? demand / serviceRate : demand > 0 ? Number.POSITIVE_INFINITY : 0;
      aboveSince = utilization > policy.scaleUpUtilization ? (aboveSince ?? start) : undefined;
      belowSince = utilization < policy.scaleDownUtilization ? (belowSince ?? start) : undefined;
      const desired = sized(demand * 60);
      const total = ready + booting.length;
      if (aboveSince !== undefined && now - aboveSince >= policy.scaleUpAfterMinutes * 60 && desired > total) {
        for (let i = total; i < desired; i++) booting.push(now + policy.coldStartMinutes * 60);
        lastScaleAt = now;
        scaleUps += 1;
      } else if (
        belowSince !== undefined &&
        now - belowSince >= policy.scaleDownAfterMinutes * 60 &&
        now - lastScaleAt >= policy.coolDownMinutes * 60 &&
        booting.length === 0 &&
        desired < ready
      ) {
        ready = desired;
        lastScaleAt = now;
        belowSince = now;
        scaleDowns += 1;
      }
    }
    const sloViolated = maxDelay > settings.sloQueueSeconds || droppedInMinute > 0;
    minutes.push({
      minute,
      requestsPerMinute,
      capacityRequestsPerMinute: ready * capacity.requestsPerMinute,
      readyReplicas: ready,
      replicas: ready + booting.length,
      queue,
      maxQueueDelaySeconds: maxDelay,
      dropped: droppedInMinute,
      sloViolated,
    });
  }

  samples.sort((a, b) => a.delay - b.delay);
  const servedTotal = samples.reduce((sum, s) => sum + s.weight, 0);
  const replicaCounts = minutes.map((m) => m.replicas);
  const gpuHours = (replicaSeconds * capacity.gpusPerReplica) / 3600;
  return {
    policy,
    minutes,
    queueDelaySeconds: {
      p50: weightedPercentile(samples, servedTotal, 0.5),
      p95: weightedPercentile(samples, servedTotal, 0.95),
      max: Math.max(0, ...minutes.map((m) => m.maxQueueDelaySeconds)),
    },
    sloViolationMinutes: minutes.filter((m) => m.sloViolated).length,
    requests,
    queuedRequests: queued,
    droppedRequests: dropped,
    gpuHours,
    costUsd: gpuHours * capacity.gpuHourlyUsd,
    replicas: {
      min: Math.min(...replicaCounts),
      max: Math.max(...replicaCounts),
      mean: replicaCounts.reduce((sum, n) => sum + n, 0) / Math.max(1, replicaCounts.length),
    },
    scaleUps,
    scaleDowns,
  };
}
