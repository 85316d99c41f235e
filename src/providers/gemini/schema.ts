/**
 * JSON Schema → Gemini `Schema` (an OpenAPI 3.0 subset). Gemini rejects fields it does not know
 * (`additionalProperties`, `$schema`, `$ref`, ...) with a 400, so tool parameters and response schemas keep only
 * what it accepts, and the common JSON-Schema idioms it lacks are rewritten: `const` → `enum`,
 * `type: [T, "null"]` and `anyOf: [..., {type: "null"}]` → `nullable`, local `$ref`s inlined.
 */
type Schema = Record<string, unknown>;

/** Keys Gemini's Schema message defines that carry plain values (no nested schemas). */
const plainKeys = [
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'propertyOrdering',
  'default',
  'minimum',
  'maximum',
] as const;

/** Recursive `$ref`s (a tree type, say) cannot be inlined forever; past this depth the node becomes a bare object. */
const maxRefDepth = 8;

const isSchema = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

const isNullSchema = (value: unknown) => isSchema(value) && value.type === 'null';

function resolveRef(ref: string, root: Schema): Schema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1]!];
  const target = isSchema(defs) ? defs[match[2]!] : undefined;
  return isSchema(target) ? target : undefined;
}

function convert(schema: Schema, root: Schema, depth: number): Schema {
  if (typeof schema.$ref === 'string') {
    const target = depth < maxRefDepth ? resolveRef(schema.$ref, root) : undefined;
    // Sibling keywords of a $ref (a description, say) still apply.
    const { $ref: _ref, ...siblings } = schema;
    return target === undefined ? { type: 'object' } : convert({ ...target, ...siblings }, root, depth + 1);
  }
  const result: Schema = {};
  for (const key of plainKeys) if (schema[key] !== undefined) result[key] = schema[key];
  if (schema.const !== undefined) result.enum = [schema.const];
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((type) => type !== 'null');
    if (types.length < schema.type.length) result.nullable = true;
    if (types.length === 1) result.type = types[0];
    // Several non-null types have no Schema equivalent except anyOf.
    else if (types.length > 1) {
      delete result.type;
      result.anyOf = types.map((type) => ({ type }));
    }
  }
  if (isSchema(schema.properties)) {
    const properties: Schema = {};
    for (const [name, value] of Object.entries(schema.properties)) {
      if (isSchema(value)) properties[name] = convert(value, root, depth);
    }
    result.properties = properties;
  }
  if (isSchema(schema.items)) result.items = convert(schema.items, root, depth);
  const alternatives = [schema.anyOf, schema.oneOf].flatMap((list) => (Array.isArray(list) ? list : []));
  if (alternatives.length > 0) {
    const nonNull = alternatives.filter((item): item is Schema => isSchema(item) && !isNullSchema(item));
    if (nonNull.length < alternatives.length) result.nullable = true;
    if (nonNull.length === 1) Object.assign(result, convert(nonNull[0]!, root, depth));
    else if (nonNull.length > 1) result.anyOf = nonNull.map((item) => convert(item, root, depth));
  }
  // allOf has no equivalent; merging its members is right for the usual use (a $ref plus extra keywords).
  if (Array.isArray(schema.allOf)) {
    for (const item of schema.allOf) if (isSchema(item)) Object.assign(result, convert(item, root, depth));
  }
  return result;
}

export function toGeminiSchema(schema: Schema): Schema {
  return convert(schema, schema, 0);
}

/**
 * Function parameters: an object schema without properties must be left out entirely, since Gemini rejects an
 * OBJECT with empty `properties`.
 */
export function toGeminiParameters(schema: Schema | undefined): Schema | undefined {
  if (schema === undefined) return undefined;
  const converted = toGeminiSchema(schema);
  const properties = converted.properties;
  if (converted.type === 'object' && (!isSchema(properties) || Object.keys(properties).length === 0)) return undefined;
  return converted;
}
