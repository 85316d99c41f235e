/**
 * `GET /admin/openapi.json`: an OpenAPI 3.1 document generated from the admin route registry — every route, its
 * params, query, body and responses, from the same zod schemas that validate requests (z.toJSONSchema, JSON
 * Schema 2020-12, which OpenAPI 3.1 uses as is). Built once per process: routes are fixed at start.
 */
import { z } from 'zod';
import { adminErrorSchema, errorResponses } from './openapi-errors.js';
import { defineAdminRoute, type AdminRoute } from './registry.js';

type JsonObject = Record<string, unknown>;

const componentPrefix = '#/components/schemas/';
const sharedPrefix = `${componentPrefix}__shared#/$defs/`;

const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A definition zod shared between schemas: named ones keep their id, anonymous ones (`schema0`) get a prefix. */
function sharedName(name: string, prefix: string): string {
  return /^schema\d+$/.test(name) ? `${prefix}${capitalized(name)}` : name;
}

/** `__shared#/$defs/X` refs → plain components; no `$schema`/`$id`. */
function tidy(node: unknown, prefix: string): unknown {
  if (Array.isArray(node)) return node.map((item) => tidy(item, prefix));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(sharedPrefix)) {
      out.$ref = `${componentPrefix}${sharedName(value.slice(sharedPrefix.length), prefix)}`;
    } else {
      out[key] = tidy(value, prefix);
    }
  }
  return out;
}

/** Converts a registry of named schemas into components, hoisting zod's shared definitions beside them. */
function components(registry: z.core.$ZodRegistry<{ id?: string }>, io: 'input' | 'output'): JsonObject {
  const prefix = io === 'input' ? 'Input' : '';
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => `${componentPrefix}${id}`, unrepresentable: 'throw' });
  const out: JsonObject = {};
  for (const [id, schema] of Object.entries(schemas)) {
    if (id === '__shared') {
      const defs = (schema as { $defs?: JsonObject }).$defs ?? {};
      for (const [name, def] of Object.entries(defs)) out[sharedName(name, prefix)] = tidy(def, prefix);
    } else {
      out[id] = tidy(schema, prefix);
    }
  }
  return out;
}

/** A schema's component name: its own `.meta({ id })`, else one derived from the operation. */
function register(registry: z.core.$ZodRegistry<{ id?: string }>, schema: z.ZodType, fallbackId: string): string {
  const registered = registry.get(schema)?.id;
  if (registered !== undefined) return registered;
  const id = z.globalRegistry.get(schema)?.id ?? fallbackId;
  registry.add(schema, { id });
  return id;
}

const ref = (id: string) => ({ $ref: `${componentPrefix}${id}` });

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonObject[] {
  if (schema === undefined) return [];
  if (!(schema instanceof z.ZodObject)) throw new Error(`admin route ${location} schemas must be z.object(), got ${schema.def.type}`);
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, property]) => {
    const json = tidy(z.toJSONSchema(property, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }), 'Input') as JsonObject;
    const { description, ...rest } = json;
    return {
      name,
      in: location,
      required: location === 'path' || !property.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function accessNote(route: AdminRoute): string {
  return route.access === 'master'
    ? 'Master key only.'
    : 'Master key, or an admin key of the tenant named in the path (other tenants answer 404).';
}

export function buildOpenApiDocument(routes: readonly AdminRoute[]): JsonObject {
  const inputs = z.registry<{ id?: string }>();
  const outputs = z.registry<{ id?: string }>();
  const paths: Record<string, JsonObject> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    if (operationIds.has(route.operationId)) throw new Error(`duplicate admin operationId ${route.operationId}`);
    operationIds.add(route.operationId);
    const name = capitalized(route.operationId);
    const status = String(route.status ?? 200);
    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, accessNote(route)].filter(Boolean).join('\n\n'),
      tags: [route.tag],
      'x-switchyard-access': route.access,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: {
        [status]: { description: route.summary, content: { 'application/json': { schema: ref(register(outputs, route.response, `${name}Response`)) } } },
        ...errorResponses(route),
      },
    };
    if (route.body !== undefined) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: ref(register(inputs, route.body, `${name}Request`)) } } };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  register(outputs, adminErrorSchema, 'Error');
  const outputComponents = components(outputs, 'output');
  const inputComponents = components(inputs, 'input');
  for (const [id, schema] of Object.entries(inputComponents)) {
    const existing = outputComponents[id];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(`admin schema ${id} differs between requests and responses: give one of them another id`);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard admin API',
      version: '1',
      description: 'Tenants, virtual keys, budgets, usage and the resilience controls of a Switchyard gateway. See docs/tenancy.md.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((tag) => ({ name: tag })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The master key (auth.master_key) or a tenant admin key (scopes.admin).' },
      },
      schemas: { ...inputComponents, ...outputComponents },
    },
  };
}

const documentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) }).meta({ id: 'OpenApiDocument' });

/** The document route; `routes` returns the full list (this route included) once the registry is assembled. */
export function openApiRoute(routes: () => readonly AdminRoute[]): AdminRoute {
  let document: JsonObject | undefined;
  return defineAdminRoute({
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/admin/openapi.json',
    tag: 'meta',
    summary: 'This OpenAPI 3.1 document',
    access: 'tenant',
    response: documentSchema,
    handle: () => (document ??= buildOpenApiDocument(routes())) as z.input<typeof documentSchema>,
  });
}
