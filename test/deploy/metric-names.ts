/**
 * What the deploy/ monitoring files are checked against: the metric names a real gateway exports on /metrics, and
 * the metric names a PromQL expression selects (parsed with Prometheus' own lezer grammar).
 */
import assert from 'node:assert/strict';
import { parser } from '@prometheus-io/lezer-promql';
import { postJson, simConfig, startTestGateway } from '../helpers/server.js';

/** Series Prometheus makes itself for every scrape target; no exporter lists them. */
export const prometheusSyntheticSeries = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']);

/** Every sample name /metrics can carry: each `# TYPE` family, with `_bucket`, `_sum`, `_count` for histograms. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match === null) continue;
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/**
 * Starts a gateway with process metrics, sends it a stream, a non-stream request, an embedding and an error,
 * and returns the metric names on its /metrics.
 */
export async function liveGatewayMetricNames(): Promise<Set<string>> {
  const gateway = await startTestGateway(simConfig(), { processMetrics: true });
  try {
    const chat = { model: 'sim-small', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 };
    for (const body of [chat, { ...chat, stream: true }, { ...chat, model: 'no-such-model' }]) {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, body);
      await response.arrayBuffer();
    }
    await (await postJson(`${gateway.url}/v1/embeddings`, { model: 'sim-embed', input: 'hi' })).arrayBuffer();
    const response = await fetch(`${gateway.url}/metrics`);
    assert.equal(response.status, 200, '/metrics answers');
    const text = await response.text();
    assert.match(text, /switchyard_requests_total\{[^}]*status="404"/, 'the traffic above was counted');
    return exportedNames(text);
  } finally {
    await gateway.close();
  }
}

export interface ParsedPromQL {
  /** Parse errors as `offset: text near it`; empty when the expression is valid PromQL. */
  errors: string[];
  /** Metric names of the expression's vector selectors. */
  metrics: string[];
}

export function parsePromQL(expr: string): ParsedPromQL {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { errors, metrics };
}

/** Grafana's template variables and macros, replaced by values a query could take, so the PromQL parses. */
export function expandGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h').replace(/\$\{?(\w+)\}?/g, '.*');
}

/** Names in `expr` the gateway does not export: each is a typo or a metric that does not exist (yet). */
export function unknownMetrics(expr: string, exported: Set<string>): string[] {
  return parsePromQL(expr).metrics.filter((name) => !exported.has(name) && !prometheusSyntheticSeries.has(name));
}
