import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS with `module.exports = formatsPlugin` and a `default` alias.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const root = join(import.meta.dirname, '..', '..');

describe('npm run schema: the JSON Schema of switchyard.yaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-schema-'));
  const target = join(dir, 'switchyard.schema.json');
  let schema: Record<string, unknown>;
  let validate: ValidateFunction;

  before(async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/config/emit-schema.ts', target], {
      cwd: root,
      timeout: 30_000,
    });
    assert.match(stdout, /wrote .*switchyard\.schema\.json/);
    schema = JSON.parse(readFileSync(target, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(schema);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is a draft 2020-12 schema that ajv compiles in strict mode', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['providers', 'models']);
  });

  test('the committed schema/switchyard.schema.json is up to date', () => {
    assert.equal(readFileSync(join(root, 'schema', 'switchyard.schema.json'), 'utf8'), readFileSync(target, 'utf8'));
  });

  test('switchyard.example.yaml validates', () => {
    const example: unknown = parse(readFileSync(join(root, 'switchyard.example.yaml'), 'utf8'));
    assert.equal(validate(example), true, JSON.stringify(validate.errors));
  });

  test('broken configs do not validate, and the errors point at the fault', () => {
    const base = () => ({ providers: { sim: { type: 'sim' } }, models: { m: { deployments: [{ provider: 'sim', model: 'm' }] } } });
    const cases: [config: unknown, path: string][] = [
      [{ ...base(), server: { port: -1 } }, '/server/port'],
      [{ ...base(), server: { prot: 8400 } }, '/server'],
      [{ ...base(), providers: { x: { type: 'bogus' } } }, '/providers/x'],
      [{ ...base(), providers: { v: { type: 'openai-compatible', base_url: 'not a url' } } }, '/providers/v'],
      [{ ...base(), models: { m: { deployments: [] } } }, '/models/m/deployments'],
      [{ providers: {} }, ''],
    ];
    for (const [config, path] of cases) {
      assert.equal(validate(config), false, `accepted ${JSON.stringify(config)}`);
      assert.ok(
        validate.errors?.some((error) => error.instancePath === path),
        `no error at ${path}: ${JSON.stringify(validate.errors)}`,
      );
    }
  });
});
