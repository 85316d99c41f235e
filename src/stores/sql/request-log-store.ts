/**
 * The request log on SQL (PGlite and PostgreSQL alike): a batch is one INSERT (ON CONFLICT DO NOTHING, so a
 * retried batch is not doubled); pages are keyset pages on the id, newest first; retention deletes in bounded
 * chunks so a long backlog never holds one huge transaction.
 *
 * A batch goes as one JSON parameter (`json_to_recordset`) rather than a multi-row VALUES list: one native
 * JSON.stringify instead of building and binding 22 parameters per record, which cost most of the request log's
 * CPU (bench/RESULTS.md, "Full-stages cost (session 3)"). Values JSON cannot carry exactly (NaN or ±Infinity in a
 * double column), or text the server refuses inside JSON (a lone surrogate, NUL), take the old multi-row path, so
 * what is stored, or refused, stays the same.
 *
 * On PGlite a batch is first a `COPY … FROM '/dev/blob'` (request-log-copy.ts), cheaper again for the worker; it
 * falls back to the INSERT whenever it cannot store the batch exactly once by itself.
 */
import { and, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { checkScope, logPageLimit, type RequestLogQuery, type RequestLogRecord, type RequestLogStore } from '../request-log.js';
import type { BlobStager } from './pglite-blob.js';
import { requestLogColumns } from './request-log-columns.js';
import { copyRequestLogFromBlob, requestLogCopyText } from './request-log-copy.js';
import { requestLog } from './schema.js';
import type { Database } from './tenancy-stores.js';

/** Ids compare by code unit, as the memory store does, whatever the database's collation. */
const idCollated = sql`${requestLog.id} collate "C"`;

function conditions(query: RequestLogQuery): SQL | undefined {
  const { scope } = query;
  const where: (SQL | undefined)[] = [
    scope.all === true ? undefined : eq(requestLog.tenantId, scope.tenantId),
    query.after === undefined ? undefined : sql`${idCollated} < ${query.after}`,
    query.model === undefined ? undefined : or(eq(requestLog.model, query.model), eq(requestLog.requestedModel, query.model)),
    query.statusFrom === undefined ? undefined : gte(requestLog.status, query.statusFrom),
    query.statusTo === undefined ? undefined : lte(requestLog.status, query.statusTo),
    query.from === undefined ? undefined : gte(requestLog.time, query.from),
    query.to === undefined ? undefined : lt(requestLog.time, query.to),
  ];
  return and(...where);
}

const insertHead = sql.raw(
  `insert into "request_log" (${requestLogColumns.map(([, column]) => `"${column}"`).join(', ')}) ` +
    `select ${requestLogColumns.map(([key]) => `"${key}"`).join(', ')} from json_to_recordset(`,
);
const insertTail = sql.raw(`::json) as r(${requestLogColumns.map(([key, , type]) => `"${key}" ${type}`).join(', ')}) on conflict ("id") do nothing`);

/** Doubles JSON would turn into null (NaN, ±Infinity); the multi-row path stores them as PostgreSQL does. */
function jsonSafe(record: RequestLogRecord): boolean {
  const { ttftMs, costUsd } = record;
  return Number.isFinite(record.latencyMs) && (ttftMs === null || Number.isFinite(ttftMs)) && (costUsd === null || Number.isFinite(costUsd));
}

/** SQLSTATE class 22 (data exception): the server refused a value inside the JSON, e.g. `\u0000` or a lone surrogate. */
function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') === true;
}

/** The SQLSTATE of a driver error; drizzle wraps the driver's error (with its `code`) as `cause`. */
function sqlState(error: unknown): string | undefined {
  let e = error;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++, e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The COPY of a batch that was (in part) stored before: a retry after a timeout. */
function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

export class SqlRequestLogStore implements RequestLogStore {
  /** Stage → COPY → clear, one batch at a time: the worker holds one blob. */
  private copying: Promise<unknown> = Promise.resolve();

  /** `blobs`: PGlite's `/dev/blob` (batches go by COPY); PostgreSQL has none (batches go as one JSON parameter). */
  constructor(
    private readonly db: Database,
    private readonly blobs?: BlobStager,
  ) {}

  async append(records: readonly RequestLogRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.blobs !== undefined && (await this.appendByCopy(records, this.blobs))) return;
    if (!records.every(jsonSafe)) return this.appendRows(records);
    try {
      await this.db.execute(sql`${insertHead}${JSON.stringify(records)}${insertTail}`);
    } catch (error) {
      if (!isDataException(error)) throw error;
      await this.appendRows(records);
    }
  }

  /**
   * COPY straight into the table. False when the INSERT path must decide instead: a record already stored (a
   * retried batch; COPY has no ON CONFLICT), a value the server refuses, an invalid Date, or a row count that
   * does not match the batch. The INSERT path is idempotent, so a partial or doubtful COPY is never doubled.
   */
  private appendByCopy(records: readonly RequestLogRecord[], blobs: BlobStager): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      let text: string;
      try {
        text = requestLogCopyText(records);
      } catch {
        return false;
      }
      await blobs.stage(text);
      try {
        const result = await this.db.execute(sql.raw(copyRequestLogFromBlob));
        return result.rowCount === records.length;
      } catch (error) {
        if (isDataException(error) || isUniqueViolation(error)) return false;
        throw error;
      } finally {
        blobs.clear();
      }
    };
    const done = this.copying.then(run, run);
    this.copying = done.catch(() => undefined);
    return done;
  }

  /** One multi-row VALUES insert: 22 bound parameters per record. */
  private async appendRows(records: readonly RequestLogRecord[]): Promise<void> {
    await this.db.insert(requestLog).values([...records]).onConflictDoNothing({ target: requestLog.id });
  }

  async list(query: RequestLogQuery): Promise<RequestLogRecord[]> {
    checkScope(query.scope);
    const limit = logPageLimit(query);
    return this.db.select().from(requestLog).where(conditions(query)).orderBy(desc(idCollated)).limit(limit);
  }

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const oldest = this.db.select({ id: requestLog.id }).from(requestLog).where(lt(requestLog.time, cutoff)).limit(limit);
    const deleted = await this.db.delete(requestLog).where(inArray(requestLog.id, oldest)).returning({ id: requestLog.id });
    return deleted.length;
  }
}
