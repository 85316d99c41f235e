/**
 * deploy/grafana: the dashboard is valid JSON Grafana can provision (uid, panels on a 24-column grid without
 * overlaps, a Prometheus datasource variable), every query is valid PromQL over metrics a running gateway exports,
 * and it covers what DESIGN.md §10 lists. The provisioning files point Grafana at it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { expandGrafanaVariables, liveGatewayMetricNames, parsePromQL, unknownMetrics } from './metric-names.js';

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const dashboardPath = 'deploy/grafana/switchyard-dashboard.json';
const readDashboard = () => JSON.parse(readFileSync(dashboardPath, 'utf8')) as Dashboard;
const queryPanels = (d: Dashboard) => (d.panels ?? []).filter((p) => p.type !== 'row');

function dashboardProblems(dashboard: Dashboard, exported: Set<string>): string[] {
  const problems: string[] = [];
  if (!dashboard.uid || !/^[a-zA-Z0-9_-]{1,40}$/.test(dashboard.uid)) problems.push('uid must be 1-40 of a-z, 0-9, _ -');
  if (!dashboard.title) problems.push('no title');
  if (typeof dashboard.schemaVersion !== 'number') problems.push('no schemaVersion');
  const variables = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
  const ds = dashboard.templating?.list.find((v) => v.name === 'datasource');
  if (ds?.type !== 'datasource' || ds.query !== 'prometheus') problems.push('no Prometheus datasource variable');
  const ids = new Set<number>();
  const cells: string[] = [];
  for (const panel of dashboard.panels ?? []) {
    const name = panel.title ?? `panel ${panel.id}`;
    if (typeof panel.id !== 'number' || ids.has(panel.id)) problems.push(`${name}: id missing or repeated`);
    ids.add(panel.id ?? -1);
    const grid = panel.gridPos;
    if (grid === undefined || grid.x < 0 || grid.w < 1 || grid.x + grid.w > 24 || grid.h < 1) {
      problems.push(`${name}: gridPos outside the 24-column grid`);
      continue;
    }
    for (let x = grid.x; x < grid.x + grid.w; x++) {
      for (let y = grid.y; y < grid.y + grid.h; y++) {
        if (cells.includes(`${x},${y}`)) {
          problems.push(`${name}: overlaps another panel at ${x},${y}`);
          x = grid.x + grid.w;
          break;
        }
        cells.push(`${x},${y}`);
      }
    }
    if (panel.type === 'row') continue;
    if (!panel.targets?.length) problems.push(`${name}: no queries`);
    if (panel.datasource?.uid !== '${datasource}') problems.push(`${name}: datasource is not the \${datasource} variable`);
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string') {
        problems.push(`${name}: a target has no expr`);
        continue;
      }
      for (const used of target.expr.matchAll(/\$\{?(\w+)\}?/g)) {
        if (!used[1]!.startsWith('__') && !variables.has(used[1]!)) problems.push(`${name}: undefined variable $${used[1]}`);
      }
      const expr = expandGrafanaVariables(target.expr);
      for (const error of parsePromQL(expr).errors) problems.push(`${name}: PromQL syntax error at ${error}`);
      for (const metric of unknownMetrics(expr, exported)) problems.push(`${name}: unknown metric ${metric}`);
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const definition = variable.definition;
    const inner = definition === undefined ? undefined : /label_values\((\w+)/.exec(definition)?.[1];
    if (inner !== undefined && !exported.has(inner)) problems.push(`variable ${variable.name}: unknown metric ${inner}`);
  }
  return problems;
}

describe('Grafana dashboard', () => {
  let exported: Set<string>;
  before(async () => {
    exported = await liveGatewayMetricNames();
  });

  test('is valid JSON whose panels query, in valid PromQL, only metrics the running gateway exports', () => {
    assert.deepEqual(dashboardProblems(readDashboard(), exported), [], 'no problems in the dashboard');
  });

  test('shows what DESIGN.md §10 lists: traffic, latency p50/p99, TTFT, errors by class, tokens, cost by tenant and model, rate-limit hits, circuits, upstream queue and KV', () => {
    const exprs = queryPanels(readDashboard()).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const shows = (what: string, pattern: RegExp) => assert.ok(exprs.some((e) => pattern.test(e)), `a panel shows ${what}`);
    shows('traffic', /rate\(switchyard_requests_total/);
    shows('latency p50', /histogram_quantile\(0\.5, .*gen_ai_client_operation_duration_seconds_bucket/);
    shows('latency p99', /histogram_quantile\(0\.99, .*gen_ai_client_operation_duration_seconds_bucket/);
    shows('TTFT', /gen_ai_server_time_to_first_token_seconds_bucket/);
    shows('errors by code', /sum by \(code\) \(rate\(switchyard_errors_total/);
    shows('tokens', /switchyard_tokens_total/);
    shows('cost by model', /sum by \(model\) \(rate\(switchyard_cost_usd_total/);
    shows('cost by tenant', /sum by \(tenant\) \(rate\(switchyard_tenant_cost_usd_total/);
    shows('rate-limit hits', /switchyard_errors_total\{code=~"[^"]*rate_limited/);
    shows('circuit state', /switchyard_circuit_state/);
    shows('upstream queue', /switchyard_upstream_queue\b/);
    shows('upstream KV use', /switchyard_upstream_kv_usage/);
  });

  test('the check catches a misspelled metric, broken PromQL, an overlap and an undefined variable', () => {
    const dashboard = readDashboard();
    const [first, second, third] = queryPanels(dashboard);
    first!.targets![0]!.expr = first!.targets![0]!.expr!.replace('switchyard_requests_total', 'switchyard_requests');
    second!.targets![0]!.expr = 'sum by (status (rate(switchyard_requests_total[5m]))';
    third!.gridPos = { ...second!.gridPos! };
    third!.targets![0]!.expr = 'sum(switchyard_in_flight_requests{instance=~"$instance"})';
    const problems = dashboardProblems(dashboard, exported);
    assert.ok(problems.some((p) => p.includes('unknown metric switchyard_requests')), 'misspelled metric reported');
    assert.ok(problems.some((p) => p.includes('PromQL syntax error')), 'syntax error reported');
    assert.ok(problems.some((p) => p.includes('overlaps')), 'overlap reported');
    assert.ok(problems.some((p) => p.includes('undefined variable $instance')), 'undefined variable reported');
  });

  test('provisioning: the Prometheus datasource and a file provider for the folder compose mounts the dashboard in', () => {
    const datasources = parse(readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8')) as {
      apiVersion: number;
      datasources: { type: string; url: string; isDefault?: boolean }[];
    };
    assert.equal(datasources.apiVersion, 1, 'provisioning apiVersion 1');
    const prometheus = datasources.datasources.find((d) => d.type === 'prometheus');
    assert.ok(prometheus?.isDefault, 'a default Prometheus datasource');
    assert.equal(prometheus.url, 'http://prometheus:9090', 'the compose Prometheus service');
    const providers = parse(readFileSync('deploy/grafana/provisioning/dashboards/switchyard.yml', 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const folder = providers.providers.find((p) => p.type === 'file')?.options.path;
    assert.ok(folder, 'a file dashboard provider');
    const compose = readFileSync('deploy/docker-compose.yml', 'utf8');
    assert.ok(compose.includes(`./grafana/switchyard-dashboard.json:${folder}/switchyard-dashboard.json:ro`), 'compose mounts the dashboard where the provider reads');
  });
});
