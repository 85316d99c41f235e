/**
 * `switchyard plan manifests`: the plan's flags plus manifest options in, Kubernetes YAML out (stdout, or one file
 * per object under `--out`). Builds the same request `POST /admin/plan` takes and calls the same function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ManifestOptionsInput } from '../plan/manifests/manifest-options.js';
import { PlanInputError } from '../plan/plan.js';
import { planRequest } from '../plan/plan-request.js';
import { planFlagOptions, planInputFromFlags } from './plan-flags.js';
import type { CommandResult } from './plan.js';

export const manifestsUsage = `Usage: switchyard plan manifests --model <id> --gpu <id> [plan options] [options]

Kubernetes manifests for the plan: the engine's Deployment (GPUs = tensor parallel, probes sized for weight
loading), Service, PodDisruptionBudget and a KEDA ScaledObject or HPA on queue depth. Takes every
\`switchyard plan\` option (see plan --help); --dau sets the autoscaler's ceiling.

  --engine <vllm|tgi>        serving engine (default vllm)
  --autoscaler <keda|hpa|none>  (default keda)
  --namespace <ns>           (default default)
  --name <name>              Deployment/Service name (default <engine>-<model>)
  --image <ref>              container image (default: the engine's pinned release)
  --hf-model <repo>          Hugging Face repository (default: the catalogue's instruct model)
  --served-name <name>       model name clients send (default: the catalogue id)
  --hf-secret <name:key>     Secret with the Hugging Face token (default hf-token:token)
  --node-selector <k=v>      node label to schedule on, repeatable (default: the GPU product label)
  --max-replicas <n>         autoscaler ceiling (default: the replicas --dau needs at peak)
  --queue-seconds <s>        queueing delay the autoscaler holds (default 2)
  --prometheus <url>         Prometheus the KEDA trigger queries
  --cache-pvc <claim>        PersistentVolumeClaim for the Hugging Face cache (default: emptyDir)
  --out <dir>                write one file per object there instead of printing the stream
  -h, --help                 show this help
`;

const manifestFlagOptions = {
  ...planFlagOptions,
  engine: { type: 'string' },
  autoscaler: { type: 'string' },
  namespace: { type: 'string' },
  name: { type: 'string' },
  image: { type: 'string' },
  'hf-model': { type: 'string' },
  'served-name': { type: 'string' },
  'hf-secret': { type: 'string' },
  'node-selector': { type: 'string', multiple: true },
  'max-replicas': { type: 'string' },
  'queue-seconds': { type: 'string' },
  prometheus: { type: 'string' },
  'cache-pvc': { type: 'string' },
  out: { type: 'string' },
} as const;

type ManifestFlags = ReturnType<typeof parseArgs<{ options: typeof manifestFlagOptions }>>['values'];

function pairs(values: readonly string[] | undefined, separator: string, flag: string): [string, string][] | undefined {
  return values?.map((value) => {
    const at = value.indexOf(separator);
    if (at <= 0) throw new PlanInputError(`${flag} takes name${separator}value, got "${value}"`, flag);
    return [value.slice(0, at), value.slice(at + 1)];
  });
}

export function manifestOptionsFromFlags(flags: ManifestFlags): ManifestOptionsInput {
  const secret = pairs(flags['hf-secret'] === undefined ? undefined : [flags['hf-secret']], ':', '--hf-secret')?.[0];
  const selector = pairs(flags['node-selector'], '=', '--node-selector');
  const options: Record<string, unknown> = {
    engine: flags.engine,
    autoscaler: flags.autoscaler,
    namespace: flags.namespace,
    name: flags.name,
    image: flags.image,
    huggingFaceModel: flags['hf-model'],
    servedModelName: flags['served-name'],
    hfTokenSecret: secret === undefined ? undefined : { name: secret[0], key: secret[1] },
    nodeSelector: selector === undefined ? undefined : Object.fromEntries(selector),
    maxReplicas: flags['max-replicas'] === undefined ? undefined : Number(flags['max-replicas']),
    queueDelayTargetSeconds: flags['queue-seconds'] === undefined ? undefined : Number(flags['queue-seconds']),
    prometheusAddress: flags.prometheus,
    modelCacheClaim: flags['cache-pvc'],
  };
  // The schema validates the values (an unknown engine is refused there, naming the field).
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ManifestOptionsInput;
}

export function runPlanManifestsCommand(args: readonly string[]): CommandResult {
  let flags: ManifestFlags;
  try {
    flags = parseArgs({ args: [...args], options: manifestFlagOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\n\n${manifestsUsage}` };
  }
  if (flags.help) return { exitCode: 0, stdout: manifestsUsage, stderr: '' };
  if (flags.model === undefined || flags.gpu === undefined) {
    return { exitCode: 2, stdout: '', stderr: `--model and --gpu are required\n\n${manifestsUsage}` };
  }
  try {
    const response = planRequest({ ...planInputFromFlags(flags), manifests: manifestOptionsFromFlags(flags) });
    const manifests = response.manifests!;
    if (flags.out === undefined) return { exitCode: 0, stdout: manifests.yaml, stderr: '' };
    mkdirSync(flags.out, { recursive: true });
    const documents = manifests.yaml.split(/^---\n/m);
    const written = manifests.objects.map((object, index) => {
      const path = join(flags.out!, `${object.kind.toLowerCase()}.yaml`);
      writeFileSync(path, documents[index]!);
      return path;
    });
    return { exitCode: 0, stdout: `${written.join('\n')}\n`, stderr: '' };
  } catch (error) {
    if (error instanceof PlanInputError || error instanceof RangeError) return { exitCode: 2, stdout: '', stderr: `${error.message}\n` };
    throw error;
  }
}
