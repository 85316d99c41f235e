/**
 * The request log store (DESIGN.md §10): one record per answered request, appended in batches by the async writer
 * (`observability/request-log/`), read newest first by the admin API, pruned by age. Memory and SQL implement it;
 * `test/contract/request-log-store.test.ts` holds both to one contract.
 *
 * Tenant scoping: a query names the tenant it may see (`tenantId`), or `all: true` for the master key's view;
 * there is no query without one of the two, so an admin route cannot forget the scope.
 */
import { randomBase62 } from './key-secret.js';
import { StoreError } from './types.js';

export interface RequestLogRecord {
  /** `log_…`: sorts by the time the record was made, so keyset pages run newest first by id. */
  id: string;
  /** The `x-request-id` the caller saw (a caller may choose it, so it is not unique). */
  requestId: string;
  time: Date;
  tenantId: string | null;
  keyId: string | null;
  endpoint: string;
  requestedModel: string | null;
  model: string | null;
  provider: string | null;
  status: number;
  errorCode: string | null;
  attempts: number;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  cache: string;
  degraded: boolean;
  /** Messages the token budget trimmed from the request, when it trimmed any. */
  trimmedMessages: number | null;
  /** Redacted and truncated; only when `request_log.bodies` is on. */
  requestBody: string | null;
  responseBody: string | null;
}

export type RequestLogScope = { tenantId: string; all?: never } | { all: true; tenantId?: never };

export interface RequestLogQuery {
  scope: RequestLogScope;
  /** Default 100, at most 1000. */
  limit?: number;
  /** The last id of the previous page: the next page holds older records. */
  after?: string;
  /** Matches the requested model (or alias) or the model that served it. */
  model?: string;
  /** HTTP status range, both ends included (`429` → 429..429, `5xx` → 500..599). */
  statusFrom?: number;
  statusTo?: number;
  /** Time range: `from` included, `to` excluded. */
  from?: Date;
  to?: Date;
}

export interface RequestLogStore {
  /** Appends a batch in one round trip. Idempotent per record id, so a batch retried after a timeout is not doubled. */
  append(records: readonly RequestLogRecord[]): Promise<void>;
  /** Newest first. */
  list(query: RequestLogQuery): Promise<RequestLogRecord[]>;
  /** Deletes records older than `cutoff`, at most `limit` of them; returns how many went. */
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

export const DEFAULT_LOG_PAGE = 100;
export const MAX_LOG_PAGE = 1000;

/** The page size a query asks for, checked and capped. */
export function logPageLimit(query: RequestLogQuery): number {
  const limit = query.limit ?? DEFAULT_LOG_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new StoreError('invalid', `limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_LOG_PAGE);
}

export function checkScope(scope: RequestLogScope): void {
  if (scope.all !== true && (typeof scope.tenantId !== 'string' || scope.tenantId === '')) {
    throw new StoreError('invalid', 'a request log query names a tenant or asks for all');
  }
}

let lastMs = 0;
let sequence = 0;
/**
 * Drawn once per process: ids from other replicas and from earlier runs of this one differ here, and within the
 * process (ms, sequence) never repeats. A random draw per record cost more than the rest of the record.
 */
const processSuffix = randomBase62(8);

/** `log_<ms><sequence><process>`: sorts by creation time, in creation order within a process. */
export function newLogId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    sequence += 1;
  }
  return `log_${lastMs.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${processSuffix}`;
}
