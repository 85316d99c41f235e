/**
 * Deterministic content for the simulated model: the same prompt and seed give the same answer, so tests and
 * demos are repeatable, while different prompts give different text, JSON and tool arguments.
 */
const vocabulary = (
  'the gateway routes each request to a model and the model answers with tokens that stream back to the ' +
  'client while counters track cost latency and usage across tenants keys and providers so operators see ' +
  'what happens when traffic grows caches warm and backends fail over to healthy replicas in another region'
).split(' ');

/** FNV-1a over a string: a stable 32-bit seed. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: tiny, fast, good enough for simulated text. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Approximate token count of text, ~4 characters per token (the usual rule of thumb for English). */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

/** A sentence of `count` tokens; each token is one word with its leading space. */
export function generateTokens(random: () => number, count: number): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = vocabulary[Math.floor(random() * vocabulary.length)] ?? 'token';
    tokens.push(i === 0 ? word[0]!.toUpperCase() + word.slice(1) : ` ${word}`);
  }
  if (tokens.length > 0) tokens[tokens.length - 1] += '.';
  return tokens;
}

type JsonSchema = Record<string, unknown>;

/** A value that satisfies a (simple) JSON Schema: objects, arrays, enums, strings, numbers, booleans. */
export function sampleFromSchema(schema: JsonSchema | undefined, random: () => number, depth = 0): unknown {
  if (schema === undefined || depth > 6) return 'value';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[Math.floor(random() * schema.enum.length)];
  }
  if ('const' in schema) return schema.const;
  const anyOf = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0) return sampleFromSchema(anyOf[0], random, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, sampleFromSchema(value, random, depth + 1)]),
      );
    }
    case 'array': {
      const length = Math.max(Number(schema.minItems ?? 1), 1);
      return Array.from({ length }, () => sampleFromSchema(schema.items as JsonSchema | undefined, random, depth + 1));
    }
    case 'integer':
      return Math.floor(random() * 100);
    case 'number':
      return Math.round(random() * 10000) / 100;
    case 'boolean':
      return random() < 0.5;
    case 'null':
      return null;
    default:
      return generateTokens(random, 3).join('').replace(/\.$/, '');
  }
}

/** A unit-length embedding derived from the text: similar texts share words and so share direction. */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    const random = createRandom(hashString(word));
    for (let i = 0; i < dimensions; i++) vector[i]! += random() * 2 - 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}
