/**
 * Autoscaling on queue depth, the signal that says a replica is out of batch slots: GPU utilisation sits near 100%
 * long before latency suffers, and request rate ignores how long requests are. Either KEDA (a ScaledObject with a
 * Prometheus trigger) or an autoscaling/v2 HPA reading the gauge through the Prometheus adapter.
 */
import type { EngineSpec, ServedModel } from './engines.js';
import type { JsonObject, KubernetesObject, ObjectMeta } from './kubernetes.js';

export interface AutoscalerSpec {
  meta: ObjectMeta;
  engine: EngineSpec;
  model: ServedModel;
  minReplicas: number;
  maxReplicas: number;
  /** Average requests waiting per replica the autoscaler holds. */
  waitingPerReplica: number;
  scaleDownStabilizationSeconds: number;
  prometheusAddress: string;
}

/**
 * Scale up at once (a GPU replica takes minutes to arrive, waiting longer only adds to that), by up to 100% or
 * 2 pods a minute; scale down one pod at a time after the stabilisation window.
 */
function behavior(spec: AutoscalerSpec): JsonObject {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: 100, periodSeconds: 60 },
        { type: 'Pods', value: 2, periodSeconds: 60 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: spec.scaleDownStabilizationSeconds,
      policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }],
    },
  };
}

export function horizontalPodAutoscaler(spec: AutoscalerSpec): KubernetesObject {
  const { meta, engine } = spec;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: meta.name },
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: engine.adapterMetric },
            target: { type: 'AverageValue', averageValue: String(spec.waitingPerReplica) },
          },
        },
      ],
      behavior: behavior(spec),
    },
  };
}

/** The Prometheus adapter rule that exposes the engine's gauge under the name the HPA asks for. */
export function prometheusAdapterRule(engine: EngineSpec): string {
  return [
    'prometheus-adapter rule (Helm values, rules.custom) that serves the metric this HPA reads:',
    `  - seriesQuery: '{__name__="${engine.queueMetric}",namespace!="",pod!=""}'`,
    '    resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }',
    `    name: { matches: "^.*$", as: "${engine.adapterMetric}" }`,
    "    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'",
  ].join('\n');
}

export function kedaScaledObject(spec: AutoscalerSpec): KubernetesObject {
  const { meta, engine, model } = spec;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: meta.name },
      minReplicaCount: spec.minReplicas,
      maxReplicaCount: spec.maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: spec.scaleDownStabilizationSeconds,
      advanced: { horizontalPodAutoscalerConfig: { behavior: behavior(spec) } },
      triggers: [
        {
          type: 'prometheus',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: spec.prometheusAddress,
            query: `sum(${engine.queueMetric}${engine.selector(meta.namespace, meta.name, model)})`,
            threshold: String(spec.waitingPerReplica),
          },
        },
      ],
    },
  };
}
