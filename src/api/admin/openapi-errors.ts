/** The error responses each admin operation documents, by what the route declares (body, params, access). */
import { z } from 'zod';
import type { AdminRoute } from './registry.js';

export const adminErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'Error', description: 'OpenAI-style error envelope.' });

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const error = (description: string) => ({ description, content: errorContent });

export function errorResponses(route: AdminRoute): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  if (route.body !== undefined || route.query !== undefined) responses['400'] = error('Invalid body or query: `param` names the field.');
  responses['401'] = error('Missing, unknown, expired or revoked key.');
  responses['403'] = error(
    route.access === 'master' ? 'Not the master key, or the admin API is disabled (no master key configured).' : 'Not an admin key, or the admin API is disabled.',
  );
  if (route.params !== undefined) responses['404'] = error('No such tenant or key (also: another tenant\u2019s ids, to a tenant admin key).');
  if (route.method !== 'GET' && route.params !== undefined) responses['409'] = error('Conflict: the id is taken, or the key is revoked.');
  if (route.method === 'POST' && route.params === undefined && route.body !== undefined) responses['409'] = error('Conflict: the id is taken.');
  responses['503'] = error('The tenant store is unreachable, or the gateway is shutting down.');
  return responses;
}
