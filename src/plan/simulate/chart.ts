/**
 * The simulation as an SVG chart: offered load against each policy's ready capacity over time. Hand-written SVG,
 * deterministic (same input, same bytes), so a chart in the docs changes only when the model does.
 */
import type { SimulationResult } from './simulator.js';
import type { TrafficCurve } from './traffic.js';

const width = 960;
const height = 440;
const margin = { top: 48, right: 24, bottom: 72, left: 72 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
/** At most this many points per series: buckets keep the load's peaks and the capacity's dips. */
const maxPoints = 720;
const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const number = (n: number) => (Math.round(n * 10) / 10).toString();

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Round step for about `count` axis ticks: 1, 2 or 5 × a power of ten. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

function buckets(values: readonly number[], size: number, pick: (bucket: number[]) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += size) out.push(pick(values.slice(i, i + size)));
  return out;
}

export function scalingChartSvg(curve: TrafficCurve, results: readonly SimulationResult[], title: string): string {
  const minutes = curve.length;
  const size = Math.max(1, Math.ceil(minutes / maxPoints));
  const load = buckets(curve, size, (b) => Math.max(...b));
  const capacities = results.map((r) => buckets(r.minutes.map((m) => m.capacityRequestsPerMinute), size, (b) => Math.min(...b)));
  const top = Math.max(1, ...load, ...capacities.flat());
  const step = niceStep(top * 1.05, 5);
  const yMax = Math.ceil((top * 1.05) / step) * step;
  const x = (bucket: number) => margin.left + (bucket * size * plotWidth) / Math.max(1, minutes);
  const y = (value: number) => margin.top + plotHeight - (value / yMax) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let value = 0; value <= yMax + step / 2; value += step) {
    parts.push(
      `<line x1="${margin.left}" y1="${number(y(value))}" x2="${margin.left + plotWidth}" y2="${number(y(value))}" stroke="#e5e7eb"/>`,
      `<text x="${margin.left - 8}" y="${number(y(value) + 4)}" text-anchor="end">${number(value)}</text>`,
    );
  }
  const hourStep = minutes > 2 * 24 * 60 ? 12 : minutes > 12 * 60 ? 6 : minutes > 3 * 60 ? 1 : 0.25;
  for (let hour = 0; hour * 60 <= minutes; hour += hourStep) {
    const px = number(margin.left + (hour * 60 * plotWidth) / minutes);
    const label = hourStep < 1 ? `${hour * 60}m` : hour % 24 === 0 ? `day ${hour / 24 + 1}` : `${hour % 24}:00`;
    parts.push(
      `<line x1="${px}" y1="${margin.top}" x2="${px}" y2="${margin.top + plotHeight}" stroke="#f3f4f6"/>`,
      `<text x="${px}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 40}" text-anchor="middle">time</text>`,
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">requests per minute</text>`,
  );

  const loadPoints = load.map((v, i) => `${number(x(i))},${number(y(v))}`);
  parts.push(
    `<polygon points="${number(x(0))},${number(y(0))} ${loadPoints.join(' ')} ${number(x(load.length - 1))},${number(y(0))}" fill="#d1d5db" fill-opacity="0.6"/>`,
    `<polyline points="${loadPoints.join(' ')}" fill="none" stroke="#374151" stroke-width="1.5"/>`,
  );
  capacities.forEach((series, index) => {
    // Steps: capacity holds until the next bucket, then jumps.
    const points = series.flatMap((v, i) => [`${number(x(i))},${number(y(v))}`, `${number(x(i + 1))},${number(y(v))}`]);
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${palette[index % palette.length]}" stroke-width="1.5"/>`);
  });

  const legend = [{ label: 'offered load', color: '#374151' }, ...results.map((r, i) => ({ label: `${r.policy.name} capacity`, color: palette[i % palette.length]! }))];
  legend.forEach((entry, index) => {
    const lx = margin.left + index * 170;
    const ly = height - 14;
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${entry.color}" stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${ly}">${escapeXml(entry.label)}</text>`,
    );
  });
  if (size > 1) {
    parts.push(`<text x="${margin.left}" y="40" fill="#6b7280">${size}-minute buckets: load at its max, capacity at its min</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
