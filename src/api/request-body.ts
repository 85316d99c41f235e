/** Parses and validates a JSON body; failures are 400s naming the offending parameter, OpenAI-style. */
import type { z } from 'zod';
import { GatewayError } from '../core/errors.js';

/** `messages.0.content` → `messages[0].content`, as OpenAI writes `param`. */
export function paramPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

function describe(issue: z.core.$ZodIssue): string {
  const param = paramPath(issue.path);
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `Missing required parameter: '${param}'.`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `Unrecognized request argument${issue.keys.length > 1 ? 's' : ''} supplied${param ? ` in '${param}'` : ''}: ${issue.keys.join(', ')}`;
  }
  return param === '' ? `Invalid request: ${issue.message}` : `Invalid value for '${param}': ${issue.message}`;
}

export function parseJsonBody<S extends z.ZodType>(body: Uint8Array | null, schema: S): z.output<S> {
  if (body === null || body.length === 0) {
    throw new GatewayError('invalid_json', 'The request body is empty; send a JSON object.');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new GatewayError('invalid_json', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new GatewayError('invalid_request', describe(issue), { param: paramPath(issue.path) || null });
  }
  return result.data;
}
