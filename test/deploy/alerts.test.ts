/**
 * deploy/prometheus/alerts.yml and deploy/alertmanager/alertmanager.yml: rule groups shaped as Prometheus (and
 * prometheus-operator's PrometheusRule CRD) expect, every expression valid PromQL over metrics a running gateway
 * exports, the alerts DESIGN.md §10 asks for, and every severity routed to a receiver that exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { schemaError } from '../helpers/kubernetes-schema.js';
import { liveGatewayMetricNames, parsePromQL, unknownMetrics } from './metric-names.js';

interface Rule {
  alert?: string;
  record?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const rulesPath = 'deploy/prometheus/alerts.yml';
const alertmanagerPath = 'deploy/alertmanager/alertmanager.yml';
const severities = new Set(['page', 'ticket', 'info']);
const duration = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Everything wrong with a rule file, as sentences; empty when it is right. */
function ruleProblems(file: RuleFile, exported: Set<string>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  if (!Array.isArray(file.groups) || file.groups.length === 0) return ['no rule groups'];
  for (const group of file.groups) {
    if (typeof group.name !== 'string' || group.name === '') problems.push('a group has no name');
    for (const rule of group.rules ?? []) {
      const name = rule.alert ?? rule.record ?? '(unnamed)';
      if (rule.alert === undefined) problems.push(`${group.name}: rule ${name} is not an alert`);
      else if (!/^[A-Z][A-Za-z0-9]+$/.test(rule.alert)) problems.push(`${name}: alert names are CamelCase`);
      if (names.has(name)) problems.push(`${name}: defined twice`);
      names.add(name);
      if (typeof rule.expr !== 'string') {
        problems.push(`${name}: no expr`);
        continue;
      }
      const parsed = parsePromQL(rule.expr);
      for (const error of parsed.errors) problems.push(`${name}: PromQL syntax error at ${error}`);
      for (const metric of unknownMetrics(rule.expr, exported)) problems.push(`${name}: unknown metric ${metric}`);
      if (parsed.metrics.length === 0) problems.push(`${name}: selects no metric`);
      if (rule.for !== undefined && !duration.test(rule.for)) problems.push(`${name}: for "${rule.for}" is not a duration`);
      if (!severities.has(rule.labels?.severity ?? '')) problems.push(`${name}: severity must be one of ${[...severities].join(', ')}`);
      if (!rule.annotations?.summary) problems.push(`${name}: no summary annotation`);
    }
  }
  return problems;
}

/** prometheus-operator's schema for the same groups (what `kubectl apply` of a PrometheusRule would check). */
/** The rule file as prometheus-operator would take it: the spec of a PrometheusRule. */
const prometheusRuleError = (file: RuleFile) =>
  schemaError({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'switchyard' }, spec: { groups: file.groups } });

const readRules = (): RuleFile => parse(readFileSync(rulesPath, 'utf8')) as RuleFile;
const allRules = (file: RuleFile) => file.groups.flatMap((group) => group.rules);

describe('Prometheus alert rules', () => {
  let exported: Set<string>;
  before(async () => {
    exported = await liveGatewayMetricNames();
  });

  test('every rule is valid PromQL over metrics the running gateway exports, with a severity and a summary', () => {
    assert.deepEqual(ruleProblems(readRules(), exported), [], 'no problems in alerts.yml');
  });

  test('the groups validate against the PrometheusRule CRD schema', () => {
    assert.equal(prometheusRuleError(readRules()), undefined, 'valid PrometheusRule spec');
  });

  test('DESIGN.md §10 alerts are there: error rate > 5% for 5 m, p99 > 10 s, cost spike, budget, circuit open, upstream saturation', () => {
    const rules = allRules(readRules());
    const find = (what: string, match: (rule: Rule) => boolean) => {
      const rule = rules.find(match);
      assert.ok(rule, `an alert for ${what}`);
      return rule;
    };
    const errorRate = find('the 5xx error rate', (r) => /status=~"5\.\."/.test(r.expr ?? '') && /switchyard_requests_total/.test(r.expr ?? ''));
    assert.match(errorRate.expr!, />\s*0\.05\b/, 'error-rate threshold 5%');
    assert.equal(errorRate.for, '5m', 'error rate held for 5 minutes');
    find('p99 latency over 10 s', (r) => /histogram_quantile\(0\.99,/.test(r.expr ?? '') && /\)\s*>\s*10\s*$/.test((r.expr ?? '').trim()));
    find('a cost spike', (r) => /switchyard_cost_usd_total/.test(r.expr ?? ''));
    find('budgets spent', (r) => /budget_exceeded/.test(r.expr ?? ''));
    find('budget alerts not delivered', (r) => /alert_failed/.test(r.expr ?? ''));
    find('an open circuit', (r) => /switchyard_circuit_state/.test(r.expr ?? '') && /==\s*1/.test(r.expr ?? ''));
    find('upstream queue saturation', (r) => /switchyard_upstream_queue\b/.test(r.expr ?? ''));
    find('upstream KV-cache saturation', (r) => /switchyard_upstream_kv_usage/.test(r.expr ?? ''));
  });

  test('the checks catch a misspelled metric, broken PromQL, a missing severity and a schema violation', () => {
    const mutate = (change: (rules: Rule[]) => void) => {
      const file = readRules();
      change(allRules(file));
      return file;
    };
    const misspelled = mutate((rules) => void (rules[1]!.expr = rules[1]!.expr!.replace('switchyard_requests_total', 'switchyard_request_total')));
    assert.ok(ruleProblems(misspelled, exported).some((p) => p.includes('unknown metric switchyard_request_total')), 'misspelled metric reported');
    const broken = mutate((rules) => void (rules[0]!.expr = 'sum(rate(switchyard_requests_total[5m]) > 1'));
    assert.ok(ruleProblems(broken, exported).some((p) => p.includes('PromQL syntax error')), 'unbalanced parenthesis reported');
    const unlabelled = mutate((rules) => void delete rules[2]!.labels);
    assert.ok(ruleProblems(unlabelled, exported).some((p) => p.includes('severity')), 'missing severity reported');
    assert.match(prometheusRuleError(mutate((rules) => void delete rules[0]!.expr)) ?? '', /expr/, 'a rule without expr fails the CRD schema');
    assert.match(prometheusRuleError(mutate((rules) => void (rules[0]!.for = 5 as never))) ?? '', /for/, 'a numeric for fails the CRD schema');
  });
});

interface Route {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
}
interface AlertmanagerConfig {
  route: Route;
  receivers: { name: string; [integration: string]: unknown }[];
  inhibit_rules?: { source_matchers?: string[]; target_matchers?: string[]; equal?: string[] }[];
}

/** One Alertmanager matcher (`label="v"`, `!=`, `=~`, `!~`) as a predicate over labels. */
function matcher(text: string): (labels: Record<string, string>) => boolean {
  const match = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (match === null) throw new Error(`not a matcher: ${text}`);
  const [, name, op, value] = match as unknown as [string, string, string, string];
  const regex = new RegExp(`^(?:${value})$`);
  return (labels) => {
    const actual = labels[name] ?? '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    if (op === '=~') return regex.test(actual);
    return !regex.test(actual);
  };
}

/** The receivers an alert with these labels reaches (Alertmanager's routing: first match, unless `continue`). */
function receiversFor(route: Route, labels: Record<string, string>, inherited = route.receiver): string[] {
  const receiver = route.receiver ?? inherited;
  const reached: string[] = [];
  for (const child of route.routes ?? []) {
    if (!(child.matchers ?? []).every((m) => matcher(m)(labels))) continue;
    reached.push(...receiversFor(child, labels, receiver));
    if (!child.continue) return reached;
  }
  return reached.length > 0 ? reached : receiver === undefined ? [] : [receiver];
}

function routingProblems(config: AlertmanagerConfig): string[] {
  const problems: string[] = [];
  const defined = new Set(config.receivers.map((r) => r.name));
  if (config.route?.receiver === undefined) problems.push('the root route has no receiver');
  const walk = (route: Route): void => {
    if (route.receiver !== undefined && !defined.has(route.receiver)) problems.push(`route to undefined receiver "${route.receiver}"`);
    for (const m of route.matchers ?? []) {
      try {
        matcher(m);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    route.routes?.forEach(walk);
  };
  walk(config.route);
  for (const rule of config.inhibit_rules ?? []) {
    for (const m of [...(rule.source_matchers ?? []), ...(rule.target_matchers ?? [])]) {
      try {
        matcher(m);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  return problems;
}

describe('Alertmanager routes', () => {
  const read = () => parse(readFileSync(alertmanagerPath, 'utf8')) as AlertmanagerConfig;

  test('every route names a defined receiver and every matcher parses', () => {
    assert.deepEqual(routingProblems(read()), [], 'no routing problems');
  });

  test('pages reach the pager and Slack, tickets Slack, info no one; every alert in alerts.yml is routed', () => {
    const config = read();
    assert.deepEqual(receiversFor(config.route, { severity: 'page', alertname: 'SwitchyardDown' }), ['pager', 'slack'], 'page');
    assert.deepEqual(receiversFor(config.route, { severity: 'ticket' }), ['slack'], 'ticket');
    assert.deepEqual(receiversFor(config.route, { severity: 'info' }), ['blackhole'], 'info');
    const integrations = (name: string) => Object.keys(config.receivers.find((r) => r.name === name) ?? {}).filter((k) => k !== 'name');
    assert.deepEqual(integrations('blackhole'), [], 'blackhole sends nothing');
    for (const rule of allRules(readRules())) {
      const reached = receiversFor(config.route, { alertname: rule.alert!, ...rule.labels });
      assert.ok(reached.length > 0, `${rule.alert} reaches a receiver`);
    }
  });

  test('receiver URLs are read from mounted secret files, never written in the file', () => {
    const text = readFileSync(alertmanagerPath, 'utf8');
    assert.doesNotMatch(text, /https?:\/\/hooks\.|api_url:|\burl:\s/, 'no inline webhook URL');
    const compose = readFileSync('deploy/docker-compose.yml', 'utf8');
    for (const [, file] of text.matchAll(/_file:\s*(\S+)/g)) {
      assert.match(file!, /^\/etc\/alertmanager\/secrets\//, `${file} lives in the mounted secrets folder`);
    }
    assert.match(compose, /\.\/alertmanager\/secrets:\/etc\/alertmanager\/secrets:ro/, 'compose mounts the secrets folder');
  });

  test('the check catches a route to a receiver that does not exist and a malformed matcher', () => {
    const config = read();
    config.route.routes![0]!.receiver = 'pagerr';
    config.route.routes![1]!.matchers = ['severity=page'];
    const problems = routingProblems(config);
    assert.ok(problems.some((p) => p.includes('"pagerr"')), 'undefined receiver reported');
    assert.ok(problems.some((p) => p.includes('not a matcher: severity=page')), 'unquoted matcher reported');
  });
});
