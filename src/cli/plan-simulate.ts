/**
 * `switchyard plan simulate`: replays a traffic curve (CSV or a built-in diurnal profile with a launch spike)
 * against scaling policies, with each replica's capacity from the plan, and reports queueing, SLO minutes, drops,
 * GPU-hours and cost per policy; `--svg` writes the load-versus-capacity chart. File I/O lives here, the model in
 * src/plan/simulate/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PlanInputError, planCapacity } from '../plan/plan.js';
import { scalingChartSvg } from '../plan/simulate/chart.js';
import { presetPolicies, scalingPolicySchema, type ScalingPolicy, type ScalingPolicyInput } from '../plan/simulate/policy.js';
import { capacityFromPlan, simulateScaling, type SimulationResult } from '../plan/simulate/simulator.js';
import { defaultLaunch, diurnalTraffic, parseTrafficCsv, type TrafficCurve } from '../plan/simulate/traffic.js';
import { planFlagOptions, planInputFromFlags } from './plan-flags.js';
import type { CommandResult } from './plan.js';

export const simulateUsage = `Usage: switchyard plan simulate --model <id> --gpu <id> [plan options] [options]

Replays traffic against scaling policies; a replica serves what the plan says it serves at the latency target
(add --itl-ms to set one). Takes every \`switchyard plan\` option (see plan --help).

Traffic (one of):
  --csv <file>               minute,requests_per_minute lines
  --peak-rpm <n>             diurnal profile peaking at n requests/min (default: the peak --dau gives)
    --days <n>               length of the profile (default 3)
    --trough <share>         night-time traffic over the peak (default 0.25)
    --launch <x>             launch-day spike: x times normal traffic on day 2 at 09:00 (default 3; 1 = none)

Policies (default: static-peak, balanced, slow, eager):
  --policy <spec>            a preset name, or key=value pairs: name, up, up-after, down, down-after, target,
                             cold-start, cooldown, min, max (minutes and utilisation shares), repeatable
  --max-replicas <n>         ceiling for the presets (default: 1.5 × the replicas the curve's peak needs)

  --slo-seconds <s>          queueing delay a request may see before its minute violates the SLO (default 1)
  --max-wait <s>             client timeout; longer waits are dropped (default 60)
  --svg <file>               write the load-versus-capacity chart
  --json                     print the per-policy summary as JSON
  -h, --help                 show this help
`;

const simulateFlagOptions = {
  ...planFlagOptions,
  csv: { type: 'string' },
  'peak-rpm': { type: 'string' },
  days: { type: 'string' },
  trough: { type: 'string' },
  launch: { type: 'string' },
  policy: { type: 'string', multiple: true },
  'max-replicas': { type: 'string' },
  'slo-seconds': { type: 'string' },
  'max-wait': { type: 'string' },
  svg: { type: 'string' },
} as const;

type SimulateFlags = ReturnType<typeof parseArgs<{ options: typeof simulateFlagOptions }>>['values'];

const policyKeys: Readonly<Record<string, keyof ScalingPolicyInput>> = {
  name: 'name',
  up: 'scaleUpUtilization',
  'up-after': 'scaleUpAfterMinutes',
  down: 'scaleDownUtilization',
  'down-after': 'scaleDownAfterMinutes',
  target: 'targetUtilization',
  'cold-start': 'coldStartMinutes',
  cooldown: 'coolDownMinutes',
  min: 'minReplicas',
  max: 'maxReplicas',
};

/** `balanced` → that preset; `name=x,up=0.8,…` → a policy (the preset of the same name, if any, fills the rest). */
export function parsePolicySpec(spec: string, presets: readonly ScalingPolicyInput[]): ScalingPolicy {
  const preset = presets.find((p) => p.name === spec);
  const fields: Record<string, string | number> = {};
  if (preset === undefined) {
    for (const pair of spec.split(',')) {
      const [key = '', value = ''] = pair.split('=').map((part) => part.trim());
      const field = policyKeys[key];
      if (field === undefined) throw new PlanInputError(`--policy: unknown key "${key}"; keys: ${Object.keys(policyKeys).join(', ')}`, 'policy');
      fields[field] = field === 'name' ? value : Number(value);
    }
  }
  const base = presets.find((p) => p.name === fields.name) ?? presets.find((p) => p.name === 'balanced');
  const parsed = scalingPolicySchema.safeParse(preset ?? { ...base, name: 'custom', ...fields });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PlanInputError(`--policy ${spec}: ${issue.path.join('.') || 'policy'}: ${issue.message}`, 'policy');
  }
  return parsed.data;
}

const optionalNumber = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));

function trafficFrom(flags: SimulateFlags, demandPeak: number | undefined): { curve: TrafficCurve; description: string } {
  if (flags.csv !== undefined) return { curve: parseTrafficCsv(readFileSync(flags.csv, 'utf8')), description: `CSV ${flags.csv}` };
  const peak = flags['peak-rpm'] === undefined ? demandPeak : Number(flags['peak-rpm']);
  if (peak === undefined) throw new PlanInputError('give --csv, --peak-rpm or --dau for the traffic to replay', 'traffic');
  const days = optionalNumber(flags.days, 3);
  const multiplier = optionalNumber(flags.launch, defaultLaunch.multiplier);
  const profile = { days, peakRequestsPerMinute: peak, troughShare: optionalNumber(flags.trough, 0.25), peakHour: 14 };
  const launch = multiplier > 1 && days > defaultLaunch.day ? { ...defaultLaunch, multiplier } : undefined;
  return {
    curve: diurnalTraffic(launch === undefined ? profile : { ...profile, launch }),
    description:
      `diurnal, ${days} days, peak ${int(peak)} requests/min at 14:00` +
      (launch === undefined ? '' : `, launch ×${multiplier} on day ${launch.day + 1} at 0${launch.hour}:00`),
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function summary(result: SimulationResult) {
  const { minutes: _minutes, ...rest } = result;
  return rest;
}

function policyTable(results: readonly SimulationResult[]): string {
  const header = ['policy', 'replicas', 'ups/downs', 'queue p50', 'p95', 'max', 'SLO min', 'queued', 'dropped', 'GPU-h', 'cost'];
  const rows = results.map((r) => [
    r.policy.name,
    r.replicas.min === r.replicas.max ? `${r.replicas.min}` : `${r.replicas.min}–${r.replicas.max}`,
    `${r.scaleUps}/${r.scaleDowns}`,
    `${fixed(r.queueDelaySeconds.p50, 2)} s`,
    `${fixed(r.queueDelaySeconds.p95, 2)} s`,
    `${fixed(r.queueDelaySeconds.max, 1)} s`,
    int(r.sloViolationMinutes),
    int(r.queuedRequests),
    int(r.droppedRequests),
    fixed(r.gpuHours, 1),
    `$${fixed(r.costUsd, 0)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function runPlanSimulateCommand(args: readonly string[]): CommandResult {
  let flags: SimulateFlags;
  try {
    flags = parseArgs({ args: [...args], options: simulateFlagOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\n\n${simulateUsage}` };
  }
  if (flags.help) return { exitCode: 0, stdout: simulateUsage, stderr: '' };
  if (flags.model === undefined || flags.gpu === undefined) {
    return { exitCode: 2, stdout: '', stderr: `--model and --gpu are required\n\n${simulateUsage}` };
  }
  try {
    const input = planInputFromFlags(flags);
    const report = planCapacity(input);
    const capacity = capacityFromPlan(report);
    const { curve, description } = trafficFrom(flags, report.demand?.peakRequestsPerMinute);
    const minReplicas = input.minReplicas ?? 1;
    const maxReplicas = flags['max-replicas'] === undefined ? undefined : Number(flags['max-replicas']);
    const presets = presetPolicies(Math.max(...curve), capacity.requestsPerMinute, minReplicas, maxReplicas);
    const policies = (flags.policy ?? presets.map((p) => p.name)).map((spec) => parsePolicySpec(spec, presets));
    const settings = { sloQueueSeconds: optionalNumber(flags['slo-seconds'], 1), maxWaitSeconds: optionalNumber(flags['max-wait'], 60) };
    if (!(settings.sloQueueSeconds > 0 && settings.maxWaitSeconds > 0)) throw new PlanInputError('--slo-seconds and --max-wait must be positive', 'settings');
    const results = policies.map((policy) => simulateScaling(curve, policy, capacity, settings));
    const title = `${report.model.name} on ${capacity.gpusPerReplica} × ${report.hardware.name} per replica`;
    if (flags.svg !== undefined) writeFileSync(flags.svg, scalingChartSvg(curve, results, `${title}: load vs capacity`));
    if (flags.json) {
      const body = { capacity, traffic: { description, minutes: curve.length, peakRequestsPerMinute: Math.max(...curve) }, settings, results: results.map(summary) };
      return { exitCode: 0, stdout: `${JSON.stringify(body, null, 2)}\n`, stderr: '' };
    }
    const totalRequests = curve.reduce((sum, rpm) => sum + rpm, 0);
    const text = [
      `Autoscaling what-if: ${title}`,
      `  replica capacity  ${int(capacity.requestsPerMinute)} requests/min (${int(capacity.outputTokensPerSecond)} output tok/s), $${fixed(capacity.gpuHourlyUsd, 2)}/GPU-hour`,
      `  traffic           ${description}: ${int(curve.length)} minutes, ${int(totalRequests)} requests`,
      `  SLO               queueing delay ≤ ${settings.sloQueueSeconds} s; requests waiting over ${settings.maxWaitSeconds} s are dropped`,
      '',
      policyTable(results),
      '',
      ...policies.map((p) =>
        p.minReplicas === p.maxReplicas
          ? `  ${p.name}: fixed at ${p.minReplicas} replicas`
          : `  ${p.name}: up at >${Math.round(p.scaleUpUtilization * 100)}% for ${p.scaleUpAfterMinutes} min, down at <${Math.round(p.scaleDownUtilization * 100)}% ` +
          `for ${p.scaleDownAfterMinutes} min, cold start ${p.coldStartMinutes} min, cool-down ${p.coolDownMinutes} min, ${p.minReplicas}–${p.maxReplicas} replicas`,
      ),
      ...(flags.svg === undefined ? [] : ['', `chart: ${flags.svg}`]),
    ];
    return { exitCode: 0, stdout: `${text.join('\n')}\n`, stderr: '' };
  } catch (error) {
    if (error instanceof PlanInputError || error instanceof RangeError) return { exitCode: 2, stdout: '', stderr: `${error.message}\n` };
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\n` };
    throw error;
  }
}
