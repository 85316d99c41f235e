/** The autoscaling what-if: known traffic curves against scaling policies, traffic parsing, and the chart. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planCapacity } from '../../src/plan/plan.js';
import { scalingChartSvg } from '../../src/plan/simulate/chart.js';
import { scalingPolicySchema, type ScalingPolicyInput } from '../../src/plan/simulate/policy.js';
import { capacityFromPlan, simulateScaling, type ReplicaCapacity, type SimulationResult } from '../../src/plan/simulate/simulator.js';
import { diurnalTraffic, parseTrafficCsv } from '../../src/plan/simulate/traffic.js';

const capacity: ReplicaCapacity = { requestsPerMinute: 100, outputTokensPerSecond: 1000, gpusPerReplica: 1, gpuHourlyUsd: 2 };
const settings = { sloQueueSeconds: 1, maxWaitSeconds: 60 };
const flat = (minutes: number, rpm: number) => Array.from({ length: minutes }, () => rpm);
const run = (curve: readonly number[], policy: Partial<ScalingPolicyInput>) =>
  simulateScaling(curve, scalingPolicySchema.parse({ name: 'test', maxReplicas: 10, ...policy }), capacity, settings);
const firstMinute = (result: SimulationResult, from: number, predicate: (m: SimulationResult['minutes'][number]) => boolean) =>
  result.minutes.find((m) => m.minute >= from && predicate(m))?.minute;

describe('autoscaling simulation', () => {
  // 30 minutes at 50 rpm, then 300 rpm: three replicas' worth more than the one that is running.
  const step = [...flat(30, 50), ...flat(90, 300)];

  test('a step up is met once the cold start is over, not before', () => {
    const result = run(step, { scaleUpUtilization: 0.8, scaleUpAfterMinutes: 2, coldStartMinutes: 3 });
    const met = firstMinute(result, 30, (m) => m.capacityRequestsPerMinute >= 300);
    // Above threshold from minute 30, decision at 32, replicas serving from 35.
    assert.equal(met, 35, 'capacity arrives two minutes of signal plus three of cold start after the step');
    assert.ok(result.minutes[34]!.capacityRequestsPerMinute < 300, 'not before the cold start ends');
    assert.ok(result.minutes[34]!.replicas > result.minutes[34]!.readyReplicas, 'the new replicas were booting (and paid for)');
    const lastViolation = result.minutes.filter((m) => m.sloViolated).at(-1)?.minute ?? -1;
    assert.ok(lastViolation >= 31 && lastViolation < 45, `violations end soon after capacity arrives (last at ${lastViolation})`);
    const dropping = result.minutes.filter((m) => m.dropped > 0).map((m) => m.minute);
    assert.ok(dropping.length > 0 && dropping.every((m) => m >= 30 && m < 35), `drops only until capacity arrives (${dropping.join(', ')})`);
    assert.ok(result.queueDelaySeconds.max > settings.sloQueueSeconds, 'the step did queue requests');
  });

  test('a policy that reacts too slowly violates the SLO and drops requests; one sized for the peak does not', () => {
    const balanced = run(step, { coldStartMinutes: 3 });
    const slow = run(step, { scaleUpUtilization: 0.9, scaleUpAfterMinutes: 10, coldStartMinutes: 5 });
    const peak = run(step, { minReplicas: 5, maxReplicas: 5 });
    assert.ok(slow.sloViolationMinutes >= 15, `slow violates for 15+ minutes (got ${slow.sloViolationMinutes})`);
    assert.ok(slow.sloViolationMinutes > balanced.sloViolationMinutes, 'slow is worse than balanced');
    assert.ok(slow.droppedRequests > 0, 'the backlog outgrows the client timeout');
    assert.equal(peak.sloViolationMinutes, 0, 'a fleet sized for the peak never violates');
    assert.ok(slow.droppedRequests > balanced.droppedRequests, 'and drops more than balanced');
    assert.equal(peak.gpuHours, 10, 'five replicas for the whole two hours, idle ones included');
  });

  test('scale-down waits for the cool-down after the last scaling action', () => {
    // A step up (scaling at ~minute 12), then traffic falls away at minute 30.
    const curve = [...flat(10, 50), ...flat(20, 300), ...flat(60, 20)];
    const policy = { scaleDownUtilization: 0.3, scaleDownAfterMinutes: 1, coldStartMinutes: 1 };
    const patient = run(curve, { ...policy, coolDownMinutes: 30 });
    const hasty = run(curve, { ...policy, coolDownMinutes: 0 });
    const scaledUpAt = firstMinute(patient, 10, (m) => m.replicas > 1)!;
    const patientDown = firstMinute(patient, 30, (m) => m.replicas < patient.minutes[29]!.replicas)!;
    const hastyDown = firstMinute(hasty, 30, (m) => m.replicas < hasty.minutes[29]!.replicas)!;
    assert.ok(hastyDown <= 32, `without a cool-down it scales down a minute after the drop (minute ${hastyDown})`);
    assert.ok(patientDown >= scaledUpAt + 30, `with one it waits 30 minutes after scaling up at ${scaledUpAt} (down at ${patientDown})`);
    assert.ok(patient.gpuHours > hasty.gpuHours, 'the wait costs GPU time');
    assert.equal(patient.minutes.at(-1)!.replicas, 1, 'both end at the minimum');
  });

  test('steady load under capacity: no queue, and GPU-hours and cost are exact', () => {
    const result = run(flat(120, 100), { minReplicas: 2, maxReplicas: 2 });
    assert.deepEqual(result.queueDelaySeconds, { p50: 0, p95: 0, max: 0 });
    assert.equal(result.sloViolationMinutes, 0);
    assert.equal(result.queuedRequests, 0);
    assert.equal(result.gpuHours, 4, '2 replicas × 1 GPU × 2 hours');
    assert.equal(result.costUsd, 8);
    assert.equal(Math.round(result.requests), 12_000);
  });

  test('overload with a fixed fleet: requests are conserved, waits are capped by the client timeout', () => {
    const result = run(flat(30, 200), { minReplicas: 1, maxReplicas: 1 });
    const served = 30 * 100;
    const finalQueue = result.minutes.at(-1)!.queue;
    assert.ok(Math.abs(result.requests - (served + result.droppedRequests + finalQueue)) < 1e-6, 'arrivals = served + dropped + queued');
    assert.equal(result.queueDelaySeconds.max, settings.maxWaitSeconds);
    assert.equal(result.sloViolationMinutes, 30);
  });

  test('per-replica capacity comes from the plan at its latency target', () => {
    const report = planCapacity({ model: 'llama-3.1-8b', gpu: 'h100', itlTargetMs: 30 });
    const fromPlan = capacityFromPlan(report);
    assert.equal(fromPlan.requestsPerMinute, report.performance!.replicaRequestsPerSecond * 60);
    assert.equal(fromPlan.gpusPerReplica, 1);
    assert.equal(fromPlan.gpuHourlyUsd, report.cost!.gpuHourlyUsd);
    assert.throws(() => capacityFromPlan(planCapacity({ model: 'llama-3.1-405b', gpu: 'l4' })), /cannot simulate/);
  });
});

describe('traffic curves', () => {
  test('CSV: header and comments skipped, minutes must be consecutive, rates non-negative', () => {
    assert.deepEqual(parseTrafficCsv('minute,requests_per_minute\n# warm-up\n10,5\n11,7.5\n\n12,0\n'), [5, 7.5, 0]);
    assert.throws(() => parseTrafficCsv('0,1\n2,1\n'), /line 2: minute 2 follows 0/);
    assert.throws(() => parseTrafficCsv('0,1\n1,-3\n'), /line 2: requests_per_minute "-3"/);
    assert.throws(() => parseTrafficCsv('0,1\n1;2\n'), /line 2: expected "minute,requests_per_minute"/);
    assert.throws(() => parseTrafficCsv('minute,rpm\n'), /no data lines/);
  });

  test('diurnal: peak at the peak hour, trough twelve hours away, launch spike multiplies the day', () => {
    const calm = diurnalTraffic({ days: 2, peakRequestsPerMinute: 1000, troughShare: 0.2, peakHour: 14 });
    assert.equal(calm.length, 2 * 24 * 60);
    assert.ok(Math.abs(calm[14 * 60]! - 1000) < 1e-9, 'the peak at 14:00');
    assert.ok(Math.abs(calm[2 * 60]! - 200) < 1e-9, 'the trough at 02:00');
    const launch = { day: 1, hour: 9, multiplier: 3, rampMinutes: 20, decayHours: 3 };
    const launched = diurnalTraffic({ days: 2, peakRequestsPerMinute: 1000, troughShare: 0.2, peakHour: 14, launch });
    const top = (24 + 9) * 60 + 20;
    assert.ok(Math.abs(launched[top]! / calm[top]! - 3) < 1e-9, 'three times the usual level at the top of the spike');
    assert.deepEqual(launched.slice(0, 24 * 60), calm.slice(0, 24 * 60), 'the day before the launch is unchanged');
    assert.ok(launched[top + 6 * 60]! / calm[top + 6 * 60]! < 1.3, 'the spike has mostly decayed six hours later');
  });
});

describe('scaling chart', () => {
  const curve = diurnalTraffic({ days: 1, peakRequestsPerMinute: 400, troughShare: 0.25, peakHour: 14 });
  const results = [run(curve, { name: 'balanced <default>' }), run(curve, { name: 'fixed', minReplicas: 7, maxReplicas: 7 })];

  test('is deterministic SVG with the load and one capacity line per policy', () => {
    const svg = scalingChartSvg(curve, results, 'Llama 3.1 8B on H100');
    assert.equal(svg, scalingChartSvg(curve, results, 'Llama 3.1 8B on H100'), 'same input, same bytes');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.trimEnd().endsWith('</svg>'), 'closed');
    assert.equal(svg.match(/<polyline /g)?.length, 3, 'load + two policies');
    assert.match(svg, /balanced &lt;default&gt; capacity/, 'names are escaped');
    assert.match(svg, /2-minute buckets/, 'a day is bucketed to at most 720 points');
    const ys = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1])));
    assert.ok(ys.every((v) => v >= 48 && v <= 440 - 72), 'every point inside the plot area');
  });
});
