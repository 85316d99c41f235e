/** `npm run schema`: writes schema/switchyard.schema.json from the zod schema, for editor completion. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { configJsonSchema } from './json-schema.js';

const target = resolve(process.argv[2] ?? 'schema/switchyard.schema.json');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
