/**
 * `deploymentManifests(report, options)`: the Kubernetes objects that run a plan — the engine's Deployment,
 * Service and PodDisruptionBudget, and a KEDA ScaledObject or HPA on queue depth — and the same as one YAML stream.
 */
import { Document } from 'yaml';
import { PlanInputError, type PlanReport } from '../plan.js';
import { acceleratorScheduling } from './accelerators.js';
import { horizontalPodAutoscaler, kedaScaledObject, prometheusAdapterRule, type AutoscalerSpec } from './autoscalers.js';
import { engines, loadsFrom16Bit } from './engines.js';
import { dnsLabel, type KubernetesObject, type ObjectMeta } from './kubernetes.js';
import type { ManifestOptions } from './manifest-options.js';
import { startupEstimate } from './startup.js';
import { deployment, podDisruptionBudget, service, type WorkloadSpec } from './workload.js';

export interface FleetSize {
  minReplicas: number;
  /** Replicas the plan's demand needs at its peak, when demand was given. */
  peakReplicas?: number;
}

export interface Manifests {
  objects: KubernetesObject[];
  /** The objects as one multi-document YAML stream, with the notes an operator needs as comments. */
  yaml: string;
}

const param = (field: string) => `manifests.${field}`;

export function deploymentManifests(report: PlanReport, fleet: FleetSize, options: ManifestOptions): Manifests {
  const tensorParallel = report.engine.tensorParallel;
  if (tensorParallel === undefined || !report.memory.fits) {
    throw new PlanInputError(`no manifests: ${report.warnings[0] ?? 'the model does not fit this GPU'}`, 'gpu');
  }
  const accelerator = acceleratorScheduling(report.hardware.id);
  if (accelerator === undefined) {
    throw new PlanInputError(`no manifests for ${report.hardware.name}: Kubernetes schedules NVIDIA and AMD GPUs only`, 'gpu');
  }
  const engine = engines[options.engine];
  const { weightDtype } = report.engine;
  if (weightDtype.startsWith('gguf')) {
    throw new PlanInputError(`${weightDtype} is a llama.cpp format; plan with weightDtype int4 or int8 for ${engine.id}`, 'weightDtype');
  }
  if (!loadsFrom16Bit(engine, weightDtype) && options.huggingFaceModel === undefined) {
    throw new PlanInputError(
      `${engine.id} cannot make ${weightDtype} weights from a 16-bit checkpoint: set ${param('huggingFaceModel')} to a ` +
        `repository already quantised to ${weightDtype} (AWQ or GPTQ for int4)`,
      param('huggingFaceModel'),
    );
  }
  const maxReplicas = options.maxReplicas ?? fleet.peakReplicas;
  if (options.autoscaler !== 'none' && maxReplicas === undefined) {
    throw new PlanInputError(
      `the autoscaler needs a ceiling: give demand (dailyActiveUsers) or ${param('maxReplicas')}`,
      param('maxReplicas'),
    );
  }
  if (maxReplicas !== undefined && maxReplicas < fleet.minReplicas) {
    throw new PlanInputError(`${param('maxReplicas')} (${maxReplicas}) is below minReplicas (${fleet.minReplicas})`, param('maxReplicas'));
  }

  const model = {
    repository: options.huggingFaceModel ?? (report.model.repository || report.model.id),
    servedName: options.servedModelName ?? report.model.id,
  };
  const name = options.name ?? dnsLabel(`${engine.id}-${report.model.id}`);
  const meta: ObjectMeta = {
    name,
    namespace: options.namespace,
    labels: {
      'app.kubernetes.io/name': engine.id,
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/component': 'model-server',
      'app.kubernetes.io/managed-by': 'switchyard-plan',
    },
  };
  const startup = startupEstimate(report.memory.weightGiBPerGpu * tensorParallel, tensorParallel, options.weightLoadGBps);
  const workload: WorkloadSpec = {
    meta,
    engine,
    image: options.image ?? engine.image[accelerator.vendor],
    model,
    report,
    accelerator,
    nodeSelector: options.nodeSelector ?? accelerator.nodeSelector,
    replicas: fleet.minReplicas,
    startup,
    hfTokenSecret: options.hfTokenSecret,
    ...(options.modelCacheClaim === undefined ? {} : { modelCacheClaim: options.modelCacheClaim }),
  };
  const objects = [deployment(workload), service(workload), podDisruptionBudget(workload)];
  const notes = [
    `${report.model.name} on ${tensorParallel} × ${report.hardware.name} per replica, served by ${engine.id} as "${model.servedName}".`,
    `Startup budget: ~${Math.round(startup.totalSeconds)} s (weights ${Math.round(startup.weightSeconds)} s at ` +
      `${options.weightLoadGBps} GB/s, engine ${Math.round(startup.engineSeconds)} s); the startup probe allows 1.5× that.`,
    `Needs the Secret ${options.hfTokenSecret.name} (key ${options.hfTokenSecret.key}) with a Hugging Face token in ${options.namespace}.`,
  ];
  const comments = new Map<KubernetesObject, string>();
  if (options.autoscaler !== 'none' && maxReplicas !== undefined) {
    const requestsPerSecond = report.performance?.replicaRequestsPerSecond ?? 0;
    const autoscaler: AutoscalerSpec = {
      meta,
      engine,
      model,
      minReplicas: fleet.minReplicas,
      maxReplicas,
      // A replica drains `requestsPerSecond`; N waiting is N / that many seconds of queue.
      waitingPerReplica: Math.max(1, Math.round(requestsPerSecond * options.queueDelayTargetSeconds)),
      scaleDownStabilizationSeconds: options.scaleDownStabilizationSeconds,
      prometheusAddress: options.prometheusAddress,
    };
    const scaler = options.autoscaler === 'keda' ? kedaScaledObject(autoscaler) : horizontalPodAutoscaler(autoscaler);
    objects.push(scaler);
    notes.push(
      `Autoscaling ${fleet.minReplicas}–${maxReplicas} replicas on ${engine.queueMetric}: ${autoscaler.waitingPerReplica} waiting ` +
        `per replica ≈ ${options.queueDelayTargetSeconds} s of queue at ${requestsPerSecond.toFixed(2)} requests/s per replica.`,
    );
    if (options.autoscaler === 'hpa') comments.set(scaler, prometheusAdapterRule(engine));
  }
  return { objects, yaml: toYamlStream(objects, notes, comments) };
}

function toYamlStream(objects: readonly KubernetesObject[], notes: readonly string[], comments: ReadonlyMap<KubernetesObject, string>): string {
  return objects
    .map((object, index) => {
      // No anchors: the same labels object appears in several places, and kubectl users expect them spelled out.
      const doc = new Document(object, { aliasDuplicateObjects: false });
      const comment = [index === 0 ? notes.join('\n') : undefined, comments.get(object)].filter((c) => c !== undefined).join('\n');
      if (comment !== '') doc.commentBefore = comment.split('\n').map((line) => ` ${line}`).join('\n');
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}
