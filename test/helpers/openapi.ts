/**
 * OpenAPI component schemas as JSON Schema 2020-12 for ajv, so tests can check wire bodies against the vendors'
 * published specs (specs/openai-openapi.yaml, specs/anthropic-openapi.json). It handles what OpenAPI adds to or
 * changes in JSON Schema: `#/components/schemas/*` refs, `nullable`, boolean `exclusiveMinimum/Maximum` (3.0),
 * `discriminator`, `example` and `x-*` annotations, and formats such as OpenAI's `unixtime`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

type Node = Record<string, unknown>;
export type JsonSchema = Node;

const componentRef = '#/components/schemas/';
/** OpenAPI-only keywords: annotations ajv does not know, and `discriminator`, whose oneOf already decides. */
const dropped = new Set(['discriminator', 'example', 'examples', 'xml', 'externalDocs', 'readOnly', 'writeOnly']);

const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Converts one OpenAPI schema node; `refs` collects the component names it points to. */
export function toJsonSchema(node: unknown, refs: Set<string> = new Set()): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, refs));
  if (!isNode(node)) return node;
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || dropped.has(key) || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith(componentRef)) throw new Error(`unsupported $ref ${value}`);
      const name = value.slice(componentRef.length);
      refs.add(name);
      out.$ref = `#/$defs/${name}`;
    } else if ((key === 'properties' || key === 'patternProperties' || key === '$defs') && isNode(value)) {
      // Maps of names to schemas: the names are data, not keywords.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema, refs)]));
    } else {
      out[key] = toJsonSchema(value, refs);
    }
  }
  // OpenAPI 3.0 writes exclusive bounds as a flag beside minimum/maximum; 2020-12 wants the number.
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  return node.nullable === true ? nullable(out) : out;
}

/** `nullable: true` (OpenAPI 3.0, still found in 3.1 documents) → a schema that also accepts null. */
function nullable(schema: Node): Node {
  if (typeof schema.type === 'string' && schema.$ref === undefined) {
    const out: Node = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

export interface OpenAPISchemas {
  /** The named component as a standalone JSON Schema, with every component it references under `$defs`. */
  jsonSchema(name: string): JsonSchema;
  /** ajv's errors for `value` against the named component (empty when valid). */
  errors(name: string, value: unknown): ErrorObject[];
  /** Throws with a readable list of violations when `value` does not match the named component. */
  assertValid(name: string, value: unknown, label?: string): void;
}

// Unix seconds: an integer well below millisecond magnitudes, so a `Date.now()` slip is caught.
const unixtime = { type: 'number' as const, validate: (value: number) => Number.isInteger(value) && value >= 0 && value < 1e11 };

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A vendor spec vendored in the repo's `specs/` folder (see specs/README.md). */
export function specPath(file: 'openai-openapi.yaml' | 'anthropic-openapi.json'): string {
  const path = `${repoRoot}specs/${file}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: the vendor specs are part of the repository`);
  return path;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const loaded = new Map<string, OpenAPISchemas>();

/** Loads a spec (YAML or JSON) once per process and returns its component schemas. */
export function loadOpenAPI(file: string): OpenAPISchemas {
  const cached = loaded.get(file);
  if (cached !== undefined) return cached;
  const text = readFileSync(file, 'utf8');
  const document = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: -1 })) as Node;
  const components = ((document.components as Node | undefined)?.schemas ?? {}) as Node;

  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('unixtime', unixtime);
  const compiled = new Map<string, ValidateFunction>();

  function jsonSchema(name: string): JsonSchema {
    if (!(name in components)) throw new Error(`no component schema named ${name}`);
    const defs: Node = {};
    const pending = [name];
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (next in defs) continue;
      if (!(next in components)) throw new Error(`dangling $ref to ${next}`);
      const refs = new Set<string>();
      defs[next] = toJsonSchema(components[next], refs);
      pending.push(...refs);
    }
    return { $ref: `#/$defs/${name}`, $defs: defs };
  }

  function errors(name: string, value: unknown): ErrorObject[] {
    let validate = compiled.get(name);
    if (validate === undefined) {
      validate = ajv.compile(jsonSchema(name));
      compiled.set(name, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []);
  }

  const schemas: OpenAPISchemas = {
    jsonSchema,
    errors,
    assertValid(name, value, label = 'body') {
      const found = errors(name, value);
      if (found.length === 0) return;
      const lines = found.slice(0, 12).map((error) => `  ${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
      throw new Error(`${label} does not match ${name}:\n${lines.join('\n')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
    },
  };
  loaded.set(file, schemas);
  return schemas;
}
