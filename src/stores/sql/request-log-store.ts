/**
 * The request log on SQL (PGlite and PostgreSQL alike): a batch is one multi-row INSERT (ON CONFLICT DO NOTHING,
 * so a retried batch is not doubled); pages are keyset pages on the id, newest first; retention deletes in
 * bounded chunks so a long backlog never holds one huge transaction.
 */
import { and, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { checkScope, logPageLimit, type RequestLogQuery, type RequestLogRecord, type RequestLogStore } from '../request-log.js';
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

export class SqlRequestLogStore implements RequestLogStore {
  constructor(private readonly db: Database) {}

  async append(records: readonly RequestLogRecord[]): Promise<void> {
    if (records.length === 0) return;
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
