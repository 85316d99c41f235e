/**
 * Paginated lists, OpenAI-style: `?limit=&after=` in, `{object: 'list', data, has_more, last_id}` out. Ids sort
 * by creation time in every store, so `after` is simply the previous page's `last_id`.
 */
import { z } from 'zod';
import type { Page } from '../../stores/types.js';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT).describe(`Page size, 1-${MAX_LIST_LIMIT}.`),
  after: z.string().min(1).max(128).optional().describe('The last_id of the previous page.'),
});

export type ListQuery = z.output<typeof listQuerySchema>;

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
    last_id: z.string().nullable().describe('Pass as `after` to get the next page; null when the page is empty.'),
  });
}

/** One more than the page, so the page knows whether another follows without a count query. */
export function storePage(query: ListQuery): Page {
  return { limit: query.limit + 1, after: query.after };
}

export function listPage<R extends { id: string }, W>(records: readonly R[], query: ListQuery, toWire: (record: R) => W) {
  const page = records.slice(0, query.limit);
  return {
    object: 'list' as const,
    data: page.map(toWire),
    has_more: records.length > query.limit,
    last_id: page.at(-1)?.id ?? null,
  };
}
