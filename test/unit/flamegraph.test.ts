import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTree, category, render, type CpuProfile } from '../../bench/flamegraph.mjs';

// root → main (src) → { handle (src), parse (node_modules) }, root → (garbage collector), root → (idle).
// Samples are 10 µs apart (timeDeltas[i + 1] is sample i's time).
const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('main', 'file:///app/src/main.js', 9), children: [3, 4] },
    { id: 3, callFrame: frame('handle', 'file:///app/src/handle.js', 41) },
    { id: 4, callFrame: frame('parse', 'file:///app/node_modules/fast-json/index.js', 0) },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 100,
  samples: [3, 3, 3, 4, 4, 2, 5, 6, 6, 6],
  timeDeltas: [0, 10, 10, 10, 10, 10, 10, 10, 10, 10],
};

describe('bench/flamegraph.mjs', () => {
  test('inclusive times add up from samples and time deltas', () => {
    const tree = buildTree(profile);
    assert.equal(tree.total, 100);
    const main = tree.children.find((c) => c.name.startsWith('main'))!;
    assert.equal(main.total, 60);
    assert.equal(main.self, 10);
    assert.deepEqual(main.children.map((c) => c.total).sort((a, b) => a - b), [20, 30]);
  });

  test('frame widths add up to the parent width, labels and categories appear', () => {
    const { svg, frames } = render(buildTree(profile), { width: 1020, minFrac: 0 });
    const graphWidth = 1000;
    const root = frames.find((f) => f.depth === 0)!;
    assert.ok(Math.abs(root.width - graphWidth) < 1e-9);
    const depth1 = frames.filter((f) => f.depth === 1).reduce((s, f) => s + f.width, 0);
    assert.ok(Math.abs(depth1 - graphWidth) < 1e-9);
    const main = frames.find((f) => f.name === 'main src/main.js:10')!;
    assert.ok(Math.abs(main.width - 0.6 * graphWidth) < 1e-9);
    const depth2 = frames.filter((f) => f.depth === 2).reduce((s, f) => s + f.width, 0);
    assert.ok(Math.abs(depth2 - 0.5 * graphWidth) < 1e-9);
    for (const name of ['main src/main.js:10', 'handle src/handle.js:42', 'parse fast-json/index.js:1', '(garbage collector)', '(idle)']) {
      assert.ok(svg.includes(`<title>${name} —`), `tooltip for ${name}`);
    }
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(render(buildTree(profile), { width: 1020, minFrac: 0 }).svg, svg, 'deterministic');
  });

  test('categories: src, node_modules, node internals, GC, idle', () => {
    assert.equal(category(frame('f', 'file:///app/src/x.js')), 'src');
    assert.equal(category(frame('f', 'file:///app/node_modules/y/x.js')), 'node_modules');
    assert.equal(category(frame('f', 'node:internal/streams/readable')), 'node');
    assert.equal(category(frame('(garbage collector)')), 'gc');
    assert.equal(category(frame('(idle)')), 'idle');
  });

  test('frames under the minimum width are merged into one per parent', () => {
    const { frames } = render(buildTree(profile), { width: 1020, minFrac: 0.35 });
    assert.equal(frames.filter((f) => f.name.startsWith('[merged: 2 frames')).length, 2);
    assert.ok(!frames.some((f) => f.name.startsWith('handle') || f.name === '(idle)'));
    assert.equal(frames.filter((f) => f.depth === 1).reduce((s, f) => s + f.total, 0), 100, 'merged time is kept');
  });
});
