/**
 * The engine's Deployment, its Service and PodDisruptionBudget. GPU count per pod is the plan's tensor-parallel
 * degree; the startup probe's budget comes from the weight size, so a large model is not killed mid-load.
 */
import type { AcceleratorScheduling } from './accelerators.js';
import type { EngineSpec, ServedModel } from './engines.js';
import type { JsonObject, KubernetesObject, ObjectMeta } from './kubernetes.js';
import type { PlanReport } from '../plan.js';
import type { StartupEstimate } from './startup.js';

export interface WorkloadSpec {
  meta: ObjectMeta;
  engine: EngineSpec;
  image: string;
  model: ServedModel;
  report: PlanReport;
  accelerator: AcceleratorScheduling;
  nodeSelector: Record<string, string>;
  replicas: number;
  startup: StartupEstimate;
  hfTokenSecret: { name: string; key: string };
  modelCacheClaim?: string;
}

const probePeriodSeconds = 10;

/** The labels that pick this deployment's pods (Deployment selector, Service, PDB). */
export function selectorLabels(meta: ObjectMeta): Record<string, string> {
  return { 'app.kubernetes.io/name': meta.labels['app.kubernetes.io/name'] ?? meta.name, 'app.kubernetes.io/instance': meta.name };
}

/** Host memory: safetensors are memory-mapped while loading, so leave room for one replica's weights plus the runtime. */
function hostMemoryGiB(report: PlanReport, tensorParallel: number): number {
  return Math.max(32, Math.ceil(report.memory.weightGiBPerGpu * tensorParallel + 8 * tensorParallel));
}

function probe(path: string, periodSeconds: number, failureThreshold: number): JsonObject {
  return { httpGet: { path, port: 'http' }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

export function deployment(spec: WorkloadSpec): KubernetesObject {
  const { meta, engine, report, accelerator } = spec;
  const tensorParallel = report.engine.tensorParallel ?? 1;
  const gpus = String(tensorParallel);
  // Half again the estimate: downloads are bursty and a slow node should still come up rather than restart-loop.
  const startupFailures = Math.ceil((spec.startup.totalSeconds * 1.5) / probePeriodSeconds);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selectorLabels(meta) },
      // Surge rather than drop: a replica leaving before its successor loads would cut capacity for minutes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: meta.labels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(engine.port), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          nodeSelector: spec.nodeSelector,
          tolerations: [{ key: accelerator.resource, operator: 'Exists', effect: 'NoSchedule' }],
          // In-flight requests finish generating before the pod goes (a long completion takes tens of seconds).
          terminationGracePeriodSeconds: 120,
          containers: [
            {
              name: engine.id,
              image: spec.image,
              args: engine.args(report, spec.model),
              ports: [{ name: 'http', containerPort: engine.port, protocol: 'TCP' }],
              env: [
                { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: spec.hfTokenSecret.name, key: spec.hfTokenSecret.key } } },
                { name: 'HF_HOME', value: engine.cachePath },
              ],
              resources: {
                requests: { cpu: String(4 * tensorParallel), memory: `${hostMemoryGiB(report, tensorParallel)}Gi`, [accelerator.resource]: gpus },
                limits: { memory: `${hostMemoryGiB(report, tensorParallel)}Gi`, [accelerator.resource]: gpus },
              },
              startupProbe: probe('/health', probePeriodSeconds, startupFailures),
              readinessProbe: probe('/health', 5, 3),
              livenessProbe: probe('/health', 15, 4),
              volumeMounts: [
                { name: 'dshm', mountPath: '/dev/shm' },
                { name: 'model-cache', mountPath: engine.cachePath },
              ],
            },
          ],
          volumes: [
            // NCCL and the engine's worker processes share tensors through /dev/shm; the container default is 64 MiB.
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: tensorParallel > 1 ? '16Gi' : '2Gi' } },
            spec.modelCacheClaim === undefined
              ? { name: 'model-cache', emptyDir: {} }
              : { name: 'model-cache', persistentVolumeClaim: { claimName: spec.modelCacheClaim } },
          ],
        },
      },
    },
  };
}

export function service(spec: WorkloadSpec): KubernetesObject {
  const { meta, engine } = spec;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(meta),
      ports: [{ name: 'http', port: engine.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** One replica at a time may be evicted by a node drain: `minAvailable` at a single replica would block drains forever. */
export function podDisruptionBudget(spec: WorkloadSpec): KubernetesObject {
  const { meta } = spec;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta,
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(meta) },
    },
  };
}
