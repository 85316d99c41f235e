/**
 * What a gateway loads at start-up (bench/RESULTS.md, "Memory"): the packages only some configs use are loaded
 * when those configs ask for them, so a gateway without Redis or a SQL store does not pay their memory (ioredis
 * alone ~12 MB of RSS; drizzle + pg ~110 modules). Follows src/main.ts's static value imports; `import type` and
 * dynamic `import()` / `require` do not load anything at start.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcRoot = join(dirname(fileURLToPath(import.meta.url)), '../../src');
const staticImport = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;

/** Every module main.ts loads statically: src files (relative to src/) and packages (by name). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const [, specifier] of readFileSync(join(srcRoot, file), 'utf8').matchAll(staticImport)) {
      if (specifier!.startsWith('.')) pending.push(relative(srcRoot, join(srcRoot, dirname(file), specifier!.replace(/\.js$/, '.ts'))));
      else packages.add(specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!);
    }
  }
  return { files, packages };
}

test('main.ts does not load Redis, PostgreSQL, drizzle or PGlite code before a config asks for it', () => {
  const { files, packages } = staticGraph('main.ts');
  assert.ok(files.has('gateway.ts') && packages.has('zod'), 'the graph follows imports');
  for (const name of ['ioredis', 'pg', 'drizzle-orm', '@electric-sql/pglite', '@electric-sql/pglite-socket', 'gpt-tokenizer']) {
    assert.ok(!packages.has(name), `${name} is imported statically from main.ts`);
  }
  assert.deepEqual([...files].filter((file) => file.startsWith('stores/sql/')), []);
});
