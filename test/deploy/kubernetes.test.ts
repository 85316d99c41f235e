/**
 * deploy/kubernetes: every object kustomization.yaml applies validates against the Kubernetes schemas
 * (kubernetes-models; prometheus-operator's for the optional ServiceMonitor), the pieces fit together (selectors,
 * ports, HPA target, Secret and ConfigMap names, drain timing), and the ConfigMap's switchyard.yaml is valid for
 * the gateway's own config schema with only the Secret's variables.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { parseConfigYaml } from '../../src/config/load.js';
import { schemaError } from '../helpers/kubernetes-schema.js';

const dir = 'deploy/kubernetes';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface Kustomization {
  namespace: string;
  resources: string[];
  secretGenerator: { name: string; envs: string[] }[];
  images: { name: string; newName?: string; newTag?: string }[];
}

const readYaml = (file: string) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS() as K8sObject);
const kustomization = () => parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
const envFile = (file: string) =>
  Object.fromEntries(
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

/** What `kubectl apply -k` would create, the Secret from secrets.env.example in place of the git-ignored secrets.env. */
function applied(): K8sObject[] {
  const k = kustomization();
  const objects = k.resources.flatMap(readYaml);
  for (const generator of k.secretGenerator) {
    const data = Object.assign({}, ...generator.envs.map((file) => envFile(`${file}.example`))) as Record<string, string>;
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: generator.name }, type: 'Opaque', stringData: data });
  }
  return objects;
}

type Probe = { httpGet?: { path: string; port: string | number } };
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The gateway's config from the ConfigMap the Deployment mounts, and the environment the pod gives it. */
function gatewayConfigText(objects: K8sObject[]): { text: string; env: Record<string, string>; problems: string[] } {
  const problems: string[] = [];
  const deployment = ofKind(objects, 'Deployment')[0]!;
  const pod = (deployment.spec as DeploymentSpec).template.spec;
  const container = pod.containers[0]!;
  const configPath = container.env?.find((e) => e.name === 'SWITCHYARD_CONFIG')?.value ?? '';
  const mount = container.volumeMounts?.find((m) => m.mountPath === dirname(configPath));
  if (mount === undefined) problems.push(`SWITCHYARD_CONFIG ${configPath} is not in a mounted folder`);
  if (mount?.subPath !== undefined) problems.push('the config is mounted with subPath: ConfigMap updates would never reach the pod');
  const volume = pod.volumes?.find((v) => v.name === mount?.name);
  const configMap = ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === volume?.configMap?.name);
  const text = (configMap?.data as Record<string, string> | undefined)?.[basename(configPath)];
  if (text === undefined) problems.push(`no ConfigMap key ${basename(configPath)} behind ${configPath}`);
  const env: Record<string, string> = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
  for (const from of container.envFrom ?? []) {
    const secret = ofKind(objects, 'Secret').find((s) => s.metadata.name === from.secretRef?.name);
    if (secret === undefined) problems.push(`envFrom names a missing Secret ${from.secretRef?.name}`);
    Object.assign(env, secret?.stringData);
  }
  return { text: text ?? '', env, problems };
}

/** Everything wrong with how the objects fit together, as sentences; empty when nothing is. */
function fitProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const [deployment] = ofKind(objects, 'Deployment');
  if (deployment === undefined) return ['no Deployment'];
  const spec = deployment.spec as DeploymentSpec;
  const pod = spec.template.spec;
  const labels = spec.template.metadata.labels;
  const container = pod.containers[0]!;
  if (spec.replicas !== 3) problems.push(`replicas is ${spec.replicas}, not 3`);
  if (!selects(spec.selector.matchLabels, labels)) problems.push('the Deployment selector does not match its pods');
  const portNames = new Set((container.ports ?? []).map((p) => p.name));
  const probe = (name: 'livenessProbe' | 'readinessProbe', path: string) => {
    const get = container[name]?.httpGet;
    if (get?.path !== path) problems.push(`${name} does not GET ${path}`);
    else if (typeof get.port === 'string' && !portNames.has(get.port)) problems.push(`${name} port ${get.port} is not a container port`);
  };
  probe('livenessProbe', '/healthz');
  probe('readinessProbe', '/readyz');
  for (const kind of ['requests', 'limits'] as const) {
    if (!container.resources?.[kind]?.cpu || !container.resources[kind]!.memory) problems.push(`no cpu and memory ${kind}`);
  }
  if (pod.securityContext?.runAsNonRoot !== true || !pod.securityContext.runAsUser) problems.push('the pod may run as root');
  const sc = container.securityContext;
  if (sc?.readOnlyRootFilesystem !== true) problems.push('the root filesystem is writable');
  if (sc?.allowPrivilegeEscalation !== false || !sc.capabilities?.drop?.includes('ALL')) problems.push('privilege escalation or capabilities are not dropped');
  if (!container.volumeMounts?.some((m) => m.mountPath === '/tmp')) problems.push('no writable /tmp with a read-only root filesystem');

  const { text, env, problems: configProblems } = gatewayConfigText(objects);
  problems.push(...configProblems);
  for (const [, name] of text.matchAll(/\$\{env:([A-Za-z0-9_]+)(:-[^}]*)?\}/g)) {
    if (!(name! in env)) problems.push(`switchyard.yaml reads \${env:${name}}, which neither the Secret nor the Deployment sets`);
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'SWITCHYARD_MASTER_KEY', 'SWITCHYARD_KEY_PEPPER']) {
    if (!(name in env)) problems.push(`the pod gets no ${name}`);
  }
  const sleep = Number(container.lifecycle?.preStop?.exec?.command?.at(-1));
  if (!(sleep > 0)) problems.push('no preStop sleep before SIGTERM');
  try {
    const drainS = parseConfigYaml(text, env, 'configmap').server.shutdown_grace_ms / 1000;
    if (!((pod.terminationGracePeriodSeconds ?? 30) > sleep + drainS)) {
      problems.push(`terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} is not more than preStop ${sleep} s + drain ${drainS} s`);
    }
  } catch (error) {
    problems.push(`switchyard.yaml is invalid: ${(error as Error).message}`);
  }

  for (const service of ofKind(objects, 'Service')) {
    const s = service.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
    if (!selects(s.selector, labels)) problems.push(`Service ${service.metadata.name} selects no gateway pod`);
    for (const port of s.ports) if (typeof port.targetPort === 'string' && !portNames.has(port.targetPort)) problems.push(`Service targetPort ${port.targetPort} is not a container port`);
  }
  for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
    const h = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: { resource?: { name: string } }[] };
    if (h.scaleTargetRef.kind !== 'Deployment' || h.scaleTargetRef.name !== deployment.metadata.name) problems.push('the HPA does not scale the gateway Deployment');
    if (!h.metrics.some((m) => m.resource?.name === 'cpu')) problems.push('the HPA does not scale on CPU');
    if (h.minReplicas < 2 || h.maxReplicas < h.minReplicas) problems.push('HPA replica bounds');
  }
  for (const pdb of ofKind(objects, 'PodDisruptionBudget')) {
    const p = pdb.spec as { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number };
    if (!selects(p.selector.matchLabels, labels)) problems.push('the PodDisruptionBudget selects no gateway pod');
    if (p.maxUnavailable === undefined || p.maxUnavailable >= spec.replicas) problems.push('the PodDisruptionBudget allows all pods down');
  }
  for (const monitor of ofKind(objects, 'ServiceMonitor')) {
    const m = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    const service = ofKind(objects, 'Service').find((s) => selects(m.selector.matchLabels, s.metadata.labels ?? {}));
    if (service === undefined) problems.push('the ServiceMonitor selects no Service');
    const ports = new Set(((service?.spec as { ports?: { name: string }[] } | undefined)?.ports ?? []).map((p) => p.name));
    if (!m.endpoints.every((e) => ports.has(e.port) && e.path === '/metrics')) problems.push('the ServiceMonitor does not scrape /metrics on a named Service port');
  }
  return problems;
}

describe('Kubernetes manifests', () => {
  test('every object kubectl apply -k creates validates against its schema, and the files it lists exist', () => {
    const objects = applied();
    assert.deepEqual(
      objects.map((o) => o.kind).sort(),
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'PodDisruptionBudget', 'Secret', 'Service'],
      'the gateway objects',
    );
    for (const object of objects) assert.equal(schemaError(object), undefined, `${object.kind} ${object.metadata.name} is valid`);
    assert.equal(ofKind(objects, 'Namespace')[0]!.metadata.name, kustomization().namespace, 'the Namespace is the one kustomize puts objects in');
  });

  test('the optional ServiceMonitor validates against prometheus-operator CRD schema and scrapes the Service', () => {
    const objects = [...applied(), ...readYaml('servicemonitor.yaml')];
    const [monitor] = ofKind(objects, 'ServiceMonitor');
    assert.equal(schemaError(monitor!), undefined, 'valid ServiceMonitor');
    assert.deepEqual(fitProblems(objects), [], 'it fits the Service');
    assert.match(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'), /# - servicemonitor\.yaml/, 'kustomization.yaml says how to add it');
  });

  test('the pieces fit: 3 replicas, /healthz and /readyz probes, resources, non-root read-only pod, drain timing, selectors, HPA, PDB', () => {
    assert.deepEqual(fitProblems(applied()), [], 'no problems');
  });

  test("the ConfigMap's switchyard.yaml is valid for the gateway's schema in cluster mode, with the Secret's variables only", () => {
    const { text, env } = gatewayConfigText(applied());
    const config = parseConfigYaml(text, env, 'configmap switchyard.yaml');
    assert.equal(config.store.driver, 'postgres', 'PostgreSQL store (DATABASE_URL)');
    for (const section of [config.limits, config.shared_state, config.budgets]) assert.equal(section.store, 'redis', 'shared through Redis (REDIS_URL)');
    assert.equal(config.server.port, 8400, 'the port the container exposes');
    assert.equal(config.auth.master_key, env.SWITCHYARD_MASTER_KEY, 'master key from the Secret');
  });

  test('the image matches the Dockerfile: kustomize image name, non-root uid and port', () => {
    const dockerfile = readFileSync('deploy/docker/Dockerfile', 'utf8');
    const deployment = ofKind(applied(), 'Deployment')[0]!;
    const pod = (deployment.spec as DeploymentSpec).template.spec;
    assert.equal(String(pod.securityContext?.runAsUser), /^USER (\d+)/m.exec(dockerfile)?.[1], 'runAsUser is the image USER');
    assert.equal(String(pod.containers[0]!.ports![0]!.containerPort), /^EXPOSE (\d+)/m.exec(dockerfile)?.[1], 'containerPort is the EXPOSEd port');
    const image = kustomization().images[0]!;
    assert.equal(pod.containers[0]!.image.split(':')[0], image.name, 'kustomize images: rewrites the gateway image');
    assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^secrets\.env$/m, 'the real secrets.env is git-ignored');
  });

  test('the checks catch a schema violation, a misspelled probe, a wrong selector, a config the gateway rejects, and a variable no Secret sets', () => {
    const mutate = (kind: string, change: (object: K8sObject) => void) => {
      const objects = applied();
      change(ofKind(objects, kind)[0]!);
      return objects;
    };
    const deploymentSpec = (o: K8sObject) => o.spec as DeploymentSpec;
    const has = (problems: string[], text: string) => assert.ok(problems.some((p) => p.includes(text)), `"${text}" in ${JSON.stringify(problems)}`);
    const invalid = mutate('Deployment', (o) => void (deploymentSpec(o).replicas = 'three' as never));
    assert.match(schemaError(ofKind(invalid, 'Deployment')[0]!) ?? '', /replicas/, 'replicas must be an integer');
    has(
      fitProblems(
        mutate('Deployment', (o) => {
          const c = deploymentSpec(o).template.spec.containers[0] as Container & { readinessProbes?: Probe };
          c.readinessProbes = c.readinessProbe;
          delete c.readinessProbe;
        }),
      ),
      'readinessProbe does not GET /readyz',
    );
    has(fitProblems(mutate('Service', (o) => void ((o.spec as { selector: Record<string, string> }).selector['app.kubernetes.io/name'] = 'switchyrd'))), 'selects no gateway pod');
    const badConfig = mutate('ConfigMap', (o) => {
      const data = o.data as Record<string, string>;
      data['switchyard.yaml'] = data['switchyard.yaml']!.replace('routing: engine_aware', 'routing: fastest');
    });
    has(fitProblems(badConfig), 'switchyard.yaml is invalid');
    const unsetVariable = mutate('ConfigMap', (o) => {
      const data = o.data as Record<string, string>;
      data['switchyard.yaml'] = data['switchyard.yaml']!.replace('${env:ANTHROPIC_API_KEY}', '${env:ANTHROPIC_KEY}');
    });
    has(fitProblems(unsetVariable), '${env:ANTHROPIC_KEY}');
    has(fitProblems(mutate('Deployment', (o) => void (deploymentSpec(o).template.spec.terminationGracePeriodSeconds = 30))), 'terminationGracePeriodSeconds 30');
    has(
      fitProblems(mutate('Deployment', (o) => void (deploymentSpec(o).template.spec.containers[0]!.volumeMounts![0]!.subPath = 'switchyard.yaml'))),
      'subPath',
    );
  });
});
