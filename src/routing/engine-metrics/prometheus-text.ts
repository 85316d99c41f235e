/**
 * A small parser for the Prometheus text exposition format (version 0.0.4, and the OpenMetrics lines engines
 * emit in it): `name{label="value",...} value [timestamp]`, `#` comments, escaped label values, NaN and ±Inf.
 * Malformed lines are skipped rather than failing the scrape: one odd metric must not blind the router.
 * `accept` filters by metric name before a line is parsed, so a scrape of a large page with many histograms only
 * pays for the few series the router reads.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const nameStart = /[a-zA-Z_:]/;
const nameChar = /[a-zA-Z0-9_:]/;

export function parsePrometheusText(text: string, accept: (name: string) => boolean = () => true): Sample[] {
  const samples: Sample[] = [];
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const sample = parseLine(text, lineStart, lineEnd, accept);
    if (sample !== undefined) samples.push(sample);
    lineStart = lineEnd + 1;
  }
  return samples;
}

function parseLine(text: string, start: number, end: number, accept: (name: string) => boolean): Sample | undefined {
  let at = start;
  while (at < end && (text[at] === ' ' || text[at] === '\t')) at++;
  if (at >= end || text[at] === '#' || !nameStart.test(text[at]!)) return undefined;
  const nameFrom = at;
  while (at < end && nameChar.test(text[at]!)) at++;
  const name = text.slice(nameFrom, at);
  if (!accept(name)) return undefined;
  let labels: Record<string, string> = {};
  if (text[at] === '{') {
    const parsed = parseLabels(text, at + 1, end);
    if (parsed === undefined) return undefined;
    labels = parsed.labels;
    at = parsed.next;
  }
  const rest = text.slice(at, end).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return undefined;
  const value = parseValue(rest[0]!);
  return value === undefined ? undefined : { name, labels, value };
}

/** Parses `a="x",b="y"}` from just after the `{`; undefined when the label set is malformed. */
function parseLabels(text: string, start: number, end: number): { labels: Record<string, string>; next: number } | undefined {
  const labels: Record<string, string> = {};
  let at = start;
  for (;;) {
    while (at < end && (text[at] === ' ' || text[at] === ',')) at++;
    if (at >= end) return undefined;
    if (text[at] === '}') return { labels, next: at + 1 };
    const keyFrom = at;
    while (at < end && nameChar.test(text[at]!)) at++;
    const key = text.slice(keyFrom, at);
    while (at < end && text[at] === ' ') at++;
    if (key === '' || text[at] !== '=') return undefined;
    at++;
    while (at < end && text[at] === ' ') at++;
    if (text[at] !== '"') return undefined;
    at++;
    let value = '';
    for (;;) {
      if (at >= end) return undefined;
      const char = text[at]!;
      if (char === '"') break;
      if (char === '\\' && at + 1 < end) {
        const escaped = text[at + 1]!;
        value += escaped === 'n' ? '\n' : escaped;
        at += 2;
        continue;
      }
      value += char;
      at++;
    }
    labels[key] = value;
    at++;
  }
}

function parseValue(token: string): number | undefined {
  switch (token) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  const value = Number(token);
  return token === '' || Number.isNaN(value) ? undefined : value;
}
