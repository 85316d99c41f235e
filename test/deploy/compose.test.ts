/**
 * deploy/docker-compose.yml: valid against the Compose Specification's JSON Schema (vendored in specs/), and
 * wired the way the gateway needs it: dependencies healthy before it starts, DATABASE_URL and REDIS_URL at the
 * compose services, secrets only from deploy/.env, its mounted switchyard.yaml valid for the gateway's own schema,
 * and Prometheus scraping it with the alert rules loaded.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { parseConfigYaml } from '../../src/config/load.js';

const composePath = 'deploy/docker-compose.yml';
const composeDir = dirname(composePath);
const required = ['gateway', 'postgres', 'redis', 'prometheus', 'grafana'];

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
  ports?: string[];
  command?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
// The spec names its meta-schema as https://json-schema.org/draft-07/schema; Ajv knows draft-07 by its http id.
const { $schema: _metaSchema, ...composeSpec } = JSON.parse(readFileSync('specs/compose-spec.json', 'utf8')) as Record<string, unknown>;
const validateCompose = ajv.compile(composeSpec);
const schemaErrors = (doc: unknown) =>
  validateCompose(doc) ? [] : (validateCompose.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

const readCompose = () => parse(readFileSync(composePath, 'utf8')) as Compose;
const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);
/** `${NAME}`, `${NAME:?message}`, `${NAME:-default}` references in a string. */
const variables = (text: string) => [...text.matchAll(/\$\{([A-Z0-9_]+)(?::?[?-][^}]*)?\}/g)].map((m) => m[1]!);

/** Wiring mistakes the schema cannot see, as sentences; empty when there are none. */
function wiringProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const services = compose.services;
  for (const name of required) if (services[name] === undefined) problems.push(`no ${name} service`);
  for (const [name, service] of Object.entries(services)) {
    if (service.healthcheck === undefined) problems.push(`${name}: no healthcheck`);
    if (service.image !== undefined && (!/:[^:]*\d/.test(service.image) || service.image.endsWith(':latest'))) problems.push(`${name}: image ${service.image} is not pinned to a version`);
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      if (services[dependency] === undefined) problems.push(`${name}: depends on unknown service ${dependency}`);
      else if (condition === 'service_healthy' && services[dependency]!.healthcheck === undefined) {
        problems.push(`${name}: waits for ${dependency} to be healthy, but ${dependency} has no healthcheck`);
      }
    }
    for (const volume of service.volumes ?? []) {
      const [source = ''] = volume.split(':');
      if (source.startsWith('.') && !source.includes('secrets') && !existsSync(join(composeDir, source))) problems.push(`${name}: mounts missing ${source}`);
      if (!source.startsWith('.') && !source.startsWith('/') && compose.volumes?.[source] === undefined) problems.push(`${name}: undeclared volume ${source}`);
    }
  }
  const gateway = services.gateway;
  if (gateway !== undefined) {
    const env = gateway.environment ?? {};
    if (!/^postgres:\/\/[^@]+@postgres:5432\//.test(env.DATABASE_URL ?? '')) problems.push('gateway: DATABASE_URL does not point at the postgres service');
    if (!/^redis:\/\/redis:6379/.test(env.REDIS_URL ?? '')) problems.push('gateway: REDIS_URL does not point at the redis service');
    for (const dependency of ['postgres', 'redis']) {
      if (gateway.depends_on?.[dependency]?.condition !== 'service_healthy') problems.push(`gateway: does not wait for ${dependency} to be healthy`);
    }
    if (!/^\$\{SWITCHYARD_MASTER_KEY:\?/.test(env.SWITCHYARD_MASTER_KEY ?? '')) problems.push('gateway: the master key does not come (required) from deploy/.env');
    const configMount = (gateway.volumes ?? []).map((v) => v.split(':')).find(([, target]) => env.SWITCHYARD_CONFIG?.startsWith(`${target}/`));
    if (configMount === undefined) problems.push('gateway: SWITCHYARD_CONFIG is not inside a mounted folder');
  }
  return problems;
}

describe('docker-compose.yml', () => {
  test('validates against the Compose Specification schema', () => {
    assert.deepEqual(schemaErrors(readCompose()), [], 'no schema errors');
  });

  test('gateway, PostgreSQL, Redis, Prometheus, Grafana: health checks, healthy dependencies, env wiring, mounts that exist', () => {
    assert.deepEqual(wiringProblems(readCompose()), [], 'no wiring problems');
  });

  test('every variable it interpolates is in .env.example, and secrets are required (${NAME:?…})', () => {
    const text = readFileSync(composePath, 'utf8');
    const example = readFileSync(join(composeDir, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    for (const name of new Set(variables(text))) {
      assert.ok(documented.has(name), `${name} is documented in deploy/.env.example`);
      assert.match(text, new RegExp(`\\$\\{${name}:\\?`), `${name} must be set (no silent empty secret)`);
    }
    assert.match(readFileSync(join(composeDir, '.gitignore'), 'utf8'), /^\.env$/m, 'deploy/.env is git-ignored');
  });

  test('the mounted switchyard.yaml is valid for the gateway (cluster mode: postgres store, Redis limits, budgets, shared state)', () => {
    const gateway = readCompose().services.gateway!;
    const env = gateway.environment!;
    const [source, target] = gateway.volumes!.map((v) => v.split(':')).find(([, t]) => env.SWITCHYARD_CONFIG!.startsWith(`${t}/`))!;
    const file = join(composeDir, source!, env.SWITCHYARD_CONFIG!.slice(target!.length + 1));
    const config = parseConfigYaml(readFileSync(file, 'utf8'), { SWITCHYARD_MASTER_KEY: 'test-master-key' }, file);
    assert.equal(config.store.driver, 'postgres', 'postgres store');
    assert.equal(config.limits.store, 'redis', 'Redis rate limits');
    assert.equal(config.shared_state.store, 'redis', 'Redis shared state');
    assert.equal(config.budgets.store, 'redis', 'Redis budget counters');
    assert.equal(config.auth.master_key, 'test-master-key', 'master key from the environment');
    assert.equal(config.server.port, Number(gateway.ports![0]!.split(':')[1]), 'published port is the gateway port');
    assert.ok(seconds(gateway.stop_grace_period!) * 1000 > config.server.shutdown_grace_ms, 'docker waits longer than the drain before SIGKILL');
  });

  test('Prometheus scrapes the gateway, loads the mounted alert rules and sends to Alertmanager', () => {
    const compose = readCompose();
    const prometheus = compose.services.prometheus!;
    const mounts = new Map(prometheus.volumes!.map((v) => v.split(':')).map(([source, target]) => [target!, source!]));
    const configFile = prometheus.command!.find((c) => c.startsWith('--config.file='))!.split('=')[1]!;
    const config = parse(readFileSync(join(composeDir, mounts.get(configFile)!), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const job = config.scrape_configs.find((c) => c.job_name === 'switchyard');
    assert.deepEqual(job?.static_configs[0]?.targets, ['gateway:8400'], 'scrapes the gateway service (job "switchyard", as alerts.yml expects)');
    for (const rules of config.rule_files) assert.equal(mounts.get(rules), './prometheus/alerts.yml', `${rules} is the mounted alerts.yml`);
    const [host] = config.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!.split(':');
    assert.ok(compose.services[host!], `Alertmanager target ${host} is a compose service`);
    assert.match(readFileSync('deploy/prometheus/alerts.yml', 'utf8'), /up\{job="switchyard"\}/, 'alerts.yml uses the same job name');
  });

  test('the checks reject a misspelled key, a dependency on an unknown service, and waiting on a service with no healthcheck', () => {
    const typo = readCompose();
    (typo.services.redis as Record<string, unknown>).healthchek = typo.services.redis!.healthcheck;
    assert.ok(schemaErrors(typo).some((e) => e.includes('healthchek')), 'unknown key rejected by the schema');
    const wrongType = readCompose();
    (wrongType.services.gateway as Record<string, unknown>).ports = 8400;
    assert.ok(schemaErrors(wrongType).some((e) => e.startsWith('/services/gateway/ports')), 'ports must be a list');
    const unknown = readCompose();
    unknown.services.gateway!.depends_on!.postgress = { condition: 'service_healthy' };
    assert.ok(wiringProblems(unknown).some((p) => p.includes('unknown service postgress')), 'unknown dependency reported');
    const unhealthy = readCompose();
    delete unhealthy.services.redis!.healthcheck;
    assert.ok(wiringProblems(unhealthy).some((p) => p.includes('redis has no healthcheck')), 'waiting on no healthcheck reported');
    const rewired = readCompose();
    rewired.services.gateway!.environment!.REDIS_URL = 'redis://localhost:6379';
    assert.ok(wiringProblems(rewired).some((p) => p.includes('REDIS_URL')), 'REDIS_URL at localhost reported');
  });
});
