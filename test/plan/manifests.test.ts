/**
 * Generated Kubernetes manifests: every object validates against the published schemas (kubernetes-models for the
 * Kubernetes 1.27 API, @kubernetes-models/keda for KEDA's CRD, both ajv-compiled), and carries what the plan decided.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../../src/plan/manifests/kubernetes.js';
import { PlanInputError } from '../../src/plan/plan.js';
import { planRequest, type PlanRequest } from '../../src/plan/plan-request.js';
import { schemaError } from '../helpers/kubernetes-schema.js';

function manifestsFor(request: PlanRequest) {
  const response = planRequest(request);
  assert.ok(response.manifests, 'manifests were asked for');
  return { report: response, ...response.manifests };
}

const byKind = (objects: KubernetesObject[], kind: string) => objects.find((o) => o.kind === kind)!;
type Container = { args: string[]; resources: { requests: Record<string, string>; limits: Record<string, string> }; startupProbe: { failureThreshold: number; periodSeconds: number } };
const containerOf = (objects: KubernetesObject[]) =>
  (byKind(objects, 'Deployment').spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

const demand = { dailyActiveUsers: 20_000 };

describe('Kubernetes manifests', () => {
  const variants: [string, PlanRequest][] = [
    ['vLLM + KEDA on H100', { model: 'llama-3.1-70b', gpu: 'h100', demand, manifests: { engine: 'vllm', autoscaler: 'keda' } }],
    ['vLLM + HPA on L4, fp8 KV', { model: 'llama-3.1-8b', gpu: 'l4', kvDtype: 'fp8', demand, manifests: { autoscaler: 'hpa', namespace: 'llm' } }],
    ['TGI + HPA on A100', { model: 'mistral-7b', gpu: 'a100', demand, manifests: { engine: 'tgi', autoscaler: 'hpa' } }],
    ['vLLM on MI300X, fp8, no autoscaler', { model: 'qwen2.5-72b', gpu: 'mi300x', weightDtype: 'fp8', manifests: { autoscaler: 'none', modelCacheClaim: 'hf-cache' } }],
  ];
  for (const [name, request] of variants) {
    test(`${name}: every object validates against its schema`, () => {
      const { objects } = manifestsFor(request);
      const expected = request.manifests?.autoscaler === 'none' ? 3 : 4;
      assert.equal(objects.length, expected, `${expected} objects`);
      for (const object of objects) assert.equal(schemaError(object), undefined, `${object.kind} is valid`);
    });
  }

  test('the validators reject broken manifests (the check above can fail)', () => {
    const { objects } = manifestsFor(variants[0]![1]);
    const broken = (kind: string, mutate: (spec: Record<string, unknown>) => void) => {
      const copy = structuredClone(byKind(objects, kind));
      mutate(copy.spec);
      return schemaError(copy);
    };
    assert.match(broken('Deployment', (s) => void (s.replicas = 'two')) ?? '', /replicas/, 'replicas must be an integer');
    assert.match(broken('Deployment', (s) => void delete s.selector) ?? '', /selector/, 'a Deployment needs a selector');
    assert.match(broken('Service', (s) => void (s.ports = [{ name: 'http' }])) ?? '', /port/, 'a Service port needs a number');
    assert.match(broken('ScaledObject', (s) => void delete s.scaleTargetRef) ?? '', /scaleTargetRef/, 'a ScaledObject needs a target');
    assert.match(broken('ScaledObject', (s) => void (s.triggers = [{ metadata: {} }])) ?? '', /type/, 'a trigger needs a type');
    const hpa = manifestsFor(variants[1]![1]).objects;
    const noTarget = structuredClone(byKind(hpa, 'HorizontalPodAutoscaler'));
    delete noTarget.spec.maxReplicas;
    assert.match(schemaError(noTarget) ?? '', /maxReplicas/, 'an HPA needs maxReplicas');
  });

  test('the YAML stream is the same objects, without anchors', () => {
    const { objects, yaml } = manifestsFor(variants[1]![1]);
    const documents = parseAllDocuments(yaml);
    assert.ok(Array.isArray(documents), 'a document stream');
    assert.deepEqual(documents.map((d) => d.toJS()), JSON.parse(JSON.stringify(objects)));
    assert.doesNotMatch(yaml, /[&*]a\d/, 'no YAML aliases');
    assert.match(yaml, /^# Llama 3\.1 8B on 1 × NVIDIA L4/m, 'notes as comments');
    assert.match(yaml, /seriesQuery: '\{__name__="vllm:num_requests_waiting"/, 'the adapter rule the HPA needs');
  });

  test('the vLLM container runs the plan: model, TP, context, memory share, batch, GPUs', () => {
    const { report, objects } = manifestsFor({ model: 'llama-3.1-70b', gpu: 'h100', contextLength: 16384, maxNumSeqs: 128, demand, manifests: {} });
    const container = containerOf(objects);
    assert.equal(report.engine.tensorParallel, 2);
    assert.equal(flag(container.args, '--model'), 'meta-llama/Llama-3.1-70B-Instruct');
    assert.equal(flag(container.args, '--tensor-parallel-size'), '2');
    assert.equal(flag(container.args, '--max-model-len'), '16384');
    assert.equal(flag(container.args, '--gpu-memory-utilization'), '0.9');
    assert.equal(flag(container.args, '--max-num-seqs'), '128');
    assert.equal(container.resources.limits['nvidia.com/gpu'], '2');
    const pod = (byKind(objects, 'Deployment').spec as { template: { spec: Record<string, unknown> } }).template.spec;
    assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.match(JSON.stringify(pod.volumes), /"medium":"Memory"/, '/dev/shm is a memory emptyDir');
  });

  test('the startup probe budget grows with the weights', () => {
    const budget = (model: string) => {
      const probe = containerOf(manifestsFor({ model, gpu: 'h100', demand, manifests: {} }).objects).startupProbe;
      return probe.failureThreshold * probe.periodSeconds;
    };
    const small = budget('llama-3.1-8b');
    const large = budget('llama-3.1-70b');
    assert.ok(small >= 150, `an 8B replica gets at least 150 s (got ${small})`);
    assert.ok(large > small * 2, `70B (${large} s) gets far longer than 8B (${small} s)`);
  });

  test('KEDA scales between the plan minimum and its peak replicas on queue depth', () => {
    const { report, objects } = manifestsFor({ model: 'llama-3.1-8b', gpu: 'h100', minReplicas: 2, demand: { dailyActiveUsers: 400_000 }, manifests: { queueDelayTargetSeconds: 3 } });
    const spec = byKind(objects, 'ScaledObject').spec as { minReplicaCount: number; maxReplicaCount: number; triggers: { metadata: { query: string; threshold: string } }[] };
    assert.equal(spec.minReplicaCount, 2);
    assert.equal(spec.maxReplicaCount, report.demand!.replicas);
    assert.ok(report.demand!.replicas > 2, 'the demand needs more than the minimum');
    const trigger = spec.triggers[0]!.metadata;
    assert.equal(trigger.query, 'sum(vllm:num_requests_waiting{namespace="default",model_name="llama-3.1-8b"})');
    assert.equal(trigger.threshold, String(Math.round(report.performance!.replicaRequestsPerSecond * 3)));
  });

  test('TGI gets its own flags and queue metric', () => {
    const { objects } = manifestsFor(variants[2]![1]);
    const container = containerOf(objects);
    assert.equal(flag(container.args, '--model-id'), 'mistralai/Mistral-7B-Instruct-v0.3');
    assert.equal(flag(container.args, '--num-shard'), '1');
    assert.equal(flag(container.args, '--max-total-tokens'), '8192');
    const hpa = byKind(objects, 'HorizontalPodAutoscaler').spec as { metrics: { pods: { metric: { name: string } } }[] };
    assert.equal(hpa.metrics[0]!.pods.metric.name, 'tgi_queue_size');
  });

  test('requests that cannot become a deployment say which field to change', () => {
    const refused = (request: PlanRequest, param: string, message: RegExp) =>
      assert.throws(() => planRequest(request), (error: unknown) => {
        assert.ok(error instanceof PlanInputError, 'a PlanInputError');
        assert.equal(error.param, param);
        assert.match(error.message, message);
        return true;
      });
    refused({ model: 'llama-3.1-8b', gpu: 'm4-max', manifests: { autoscaler: 'none' } }, 'gpu', /NVIDIA and AMD GPUs only/);
    refused({ model: 'llama-3.1-8b', gpu: 'h100', weightDtype: 'int4', demand, manifests: {} }, 'manifests.huggingFaceModel', /AWQ or GPTQ/);
    refused({ model: 'llama-3.1-8b', gpu: 'h100', manifests: {} }, 'manifests.maxReplicas', /needs a ceiling/);
    refused({ model: 'llama-3.1-405b', gpu: 'l4', manifests: { autoscaler: 'none' } }, 'gpu', /does not leave room/);
    refused({ model: 'llama-3.1-8b', gpu: 'h100', manifests: { engine: 'triton' as 'vllm' } }, 'manifests.engine', /manifests\.engine/);
    refused({ model: 'llama-3.1-8b', gpu: 'h100', manifests: { namespace: 'Bad_NS' } }, 'manifests.namespace', /DNS label/);
  });
});
