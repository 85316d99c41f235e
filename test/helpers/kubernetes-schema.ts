/**
 * Kubernetes objects against the published schemas: kubernetes-models for the core API (1.27), and the
 * ajv-compiled CRD schemas of the operators the manifests target (prometheus-operator's ServiceMonitor and
 * PrometheusRule, KEDA's ScaledObject). Shared by the checked-in deploy manifests and alert rules and the manifests
 * the planner generates.
 */
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';

interface Validatable {
  validate(): void;
}

const models: Record<string, (object: never) => Validatable> = {
  'v1 Namespace': (o) => new Namespace(o),
  'v1 ConfigMap': (o) => new ConfigMap(o),
  'v1 Secret': (o) => new Secret(o),
  'v1 Service': (o) => new Service(o),
  'apps/v1 Deployment': (o) => new Deployment(o),
  'autoscaling/v2 HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o),
  'policy/v1 PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
  'monitoring.coreos.com/v1 ServiceMonitor': (o) => new ServiceMonitor(o),
  'monitoring.coreos.com/v1 PrometheusRule': (o) => new PrometheusRule(o),
  'keda.sh/v1alpha1 ScaledObject': (o) => new ScaledObject(o),
};

/** The schema error, or undefined when the object is valid; a kind with no schema here fails. */
export function schemaError(object: { apiVersion: string; kind: string; [field: string]: unknown }): string | undefined {
  const model = models[`${object.apiVersion} ${object.kind}`];
  if (model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    model(structuredClone(object) as never).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
