#!/usr/bin/env node
// A self-contained SVG icicle graph (flame graph, root at the top) from a V8 .cpuprofile (bench/profile.sh).
//   node bench/flamegraph.mjs <file.cpuprofile> <out.svg> [title] [--min-frac 0.001]
// Frame width is inclusive sampled time (timeDeltas summed per sample; hitCount when the profile has no samples).
// Label: function + file:line (path shortened after node_modules/ or src/). Colour by category: node internals,
// node_modules, src (the gateway), GC, idle, program. Frames narrower than --min-frac of the total are merged into
// one "[merged]" frame per parent so that the file stays small; <title> tooltips give time, share and self time.
// Pure Node, no dependencies, deterministic (children sorted by name, then by time).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const COLORS = {
  src: ['#e8743b', '#f29b5c'],
  node_modules: ['#4e9a06', '#73c23a'],
  node: ['#3465a4', '#729fcf'],
  gc: ['#cc0000', '#ef5959'],
  idle: ['#c8c8c8', '#dedede'],
  program: ['#75507b', '#ad7fa8'],
  root: ['#888a85', '#babdb6'],
  merged: ['#d3d7cf', '#e6e8e3'],
};

/** Category of a call frame, for colour. */
export function category(frame) {
  const name = frame.functionName;
  const url = frame.url ?? '';
  if (name === '(root)') return 'root';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program';
  if (url.includes('node_modules/')) return 'node_modules';
  if (url === '' || url.startsWith('node:') || !/^(file:|\/)/.test(url)) return 'node';
  return 'src';
}

/** "functionName file:line" with the path shortened; lines in the profile are 0-based. */
export function label(frame) {
  const name = frame.functionName || '(anonymous)';
  const url = frame.url ?? '';
  if (!url) return name;
  let file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) file = file.slice(nm + 'node_modules/'.length);
  else if (!file.startsWith('node:')) {
    const m = /\/(dist|src)\/(.*)$/.exec(file);
    if (m) file = `${m[1]}/${m[2]}`;
    else file = path.basename(file);
  }
  return frame.lineNumber >= 0 ? `${name} ${file}:${frame.lineNumber + 1}` : `${name} ${file}`;
}

/**
 * Builds the tree of inclusive times (µs) from a profile. Returns { name, category, self, total, children[] }.
 * Nodes that share a label under one parent are merged (V8 splits frames by inlining and column).
 */
export function buildTree(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  if (Array.isArray(profile.samples) && profile.samples.length > 0) {
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < profile.samples.length; i++) {
      // timeDeltas[i] is the time before sample i; the time after it is timeDeltas[i + 1] (last: the mean).
      let dt = deltas[i + 1];
      if (dt === undefined || dt < 0) dt = deltas.length > 1 ? (profile.endTime - profile.startTime) / deltas.length : 1;
      const id = profile.samples[i];
      self.set(id, (self.get(id) ?? 0) + Math.max(0, dt));
    }
  } else {
    for (const n of profile.nodes) self.set(n.id, n.hitCount ?? 0);
  }
  const hasParent = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const rootNode = profile.nodes.find((n) => !hasParent.has(n.id));
  if (!rootNode) throw new Error('profile has no root node');

  function convert(node) {
    const out = { name: label(node.callFrame), category: category(node.callFrame), self: self.get(node.id) ?? 0, total: 0, children: [] };
    const merged = new Map();
    for (const childId of node.children ?? []) {
      const child = convert(byId.get(childId));
      const same = merged.get(child.name);
      if (same) mergeInto(same, child);
      else merged.set(child.name, child);
    }
    out.children = [...merged.values()];
    out.total = out.self + out.children.reduce((s, c) => s + c.total, 0);
    return out;
  }
  return convert(rootNode);
}

function mergeInto(a, b) {
  a.self += b.self;
  a.total += b.total;
  for (const child of b.children) {
    const same = a.children.find((c) => c.name === child.name);
    if (same) mergeInto(same, child);
    else a.children.push(child);
  }
}

/** Merges children narrower than minTotal into one "[merged]" child per parent; drops zero-time nodes. */
export function prune(node, minTotal) {
  const keep = [];
  let small = 0;
  let smallCount = 0;
  for (const child of node.children) {
    if (child.total <= 0) continue;
    if (child.total < minTotal) {
      small += child.total;
      smallCount += 1;
    } else keep.push(prune(child, minTotal));
  }
  keep.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : b.total - a.total));
  if (small > 0) keep.push({ name: `[merged: ${smallCount} frame${smallCount === 1 ? '' : 's'} < min width]`, category: 'merged', self: small, total: small, children: [] });
  return { ...node, children: keep };
}

/** Self time summed by label over the whole tree, largest first. */
export function topSelf(tree, rows = 10) {
  const sums = new Map();
  (function walk(n) {
    sums.set(n.name, (sums.get(n.name) ?? 0) + n.self);
    n.children.forEach(walk);
  })(tree);
  return [...sums].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, rows);
}

const escapeXml = (s) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);

/** Hash of a string for a stable colour choice between the two shades of a category. */
function shade(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h % 2;
}

/**
 * Renders the tree as SVG. Returns { svg, frames } where frames lists every drawn rectangle
 * ({ name, x, width, depth }) for tests.
 */
export function render(tree, { title = 'CPU profile', width = 1600, rowHeight = 17, minFrac = 0.001 } = {}) {
  const total = tree.total || 1;
  const pruned = prune(tree, total * minFrac);
  const padX = 10;
  const top = 48;
  const graphWidth = width - 2 * padX;
  const frames = [];
  let maxDepth = 0;
  (function layout(node, x, depth) {
    const w = (node.total / total) * graphWidth;
    frames.push({ node, x, width: w, depth });
    maxDepth = Math.max(maxDepth, depth);
    let cx = x;
    for (const child of node.children) {
      layout(child, cx, depth + 1);
      cx += (child.total / total) * graphWidth;
    }
  })(pruned, padX, 0);

  const legendY = top + (maxDepth + 1) * rowHeight + 20;
  const height = legendY + 40;
  const charWidth = 6.6;
  const ms = (us) => (us / 1000).toFixed(1);
  const lines = [];
  lines.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Verdana, sans-serif" font-size="11">`);
  lines.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fbfbf8"/>`);
  lines.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  const top5 = topSelf(tree, 5).map(([n, v]) => `${n} ${((100 * v) / total).toFixed(1)}%`).join(' · ');
  lines.push(`<text x="${padX}" y="38" font-size="10" fill="#555">total ${ms(total)} ms sampled; width = inclusive time; top self: ${escapeXml(top5)}</text>`);
  for (const { node, x, width: w, depth } of frames) {
    const y = top + depth * rowHeight;
    const [a, b] = COLORS[node.category] ?? COLORS.root;
    const pct = ((100 * node.total) / total).toFixed(2);
    const tip = `${node.name} — ${ms(node.total)} ms (${pct}%), self ${ms(node.self)} ms, ${node.category}`;
    lines.push(`<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.1, w - 0.5).toFixed(2)}" height="${rowHeight - 1}" fill="${shade(node.name) ? b : a}" rx="1"/>`);
    const maxChars = Math.floor((w - 6) / charWidth);
    if (maxChars >= 3) {
      const text = node.name.length > maxChars ? `${node.name.slice(0, maxChars - 1)}…` : node.name;
      lines.push(`<text x="${(x + 3).toFixed(2)}" y="${y + rowHeight - 5}">${escapeXml(text)}</text>`);
    }
    lines.push('</g>');
  }
  let lx = padX;
  for (const [cat, [fill]] of Object.entries(COLORS)) {
    lines.push(`<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${fill}"/><text x="${lx + 16}" y="${legendY + 10}">${cat}</text>`);
    lx += 30 + cat.length * charWidth + 10;
  }
  lines.push('</svg>');
  return { svg: `${lines.join('\n')}\n`, frames: frames.map((f) => ({ name: f.node.name, x: f.x, width: f.width, depth: f.depth, total: f.node.total })) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  let minFrac = 0.001;
  const at = argv.indexOf('--min-frac');
  if (at >= 0) {
    minFrac = Number(argv[at + 1]);
    argv.splice(at, 2);
  }
  const [input, output, title] = argv;
  if (!input || !output) {
    console.error('usage: node bench/flamegraph.mjs <file.cpuprofile> <out.svg> [title] [--min-frac 0.001]');
    process.exit(2);
  }
  const tree = buildTree(JSON.parse(readFileSync(input, 'utf8')));
  const { svg, frames } = render(tree, { title: title ?? path.basename(input), minFrac });
  writeFileSync(output, svg);
  console.log(`${output}: ${frames.length} frames, ${(svg.length / 1024).toFixed(0)} KiB, total ${(tree.total / 1000).toFixed(1)} ms`);
  for (const [name, us] of topSelf(tree, 10)) console.log(`${((100 * us) / tree.total).toFixed(1).padStart(5)}%  ${name}`);
}
