/**
 * The request log in process memory, for tests, library mode and the `memory` store: bounded to `capacity`
 * records (the oldest go first), copied in and out as a database would.
 */
import { compareIds } from '../records.js';
import { checkScope, logPageLimit, type RequestLogQuery, type RequestLogRecord, type RequestLogStore } from '../request-log.js';

/** `request_log.memory_records`' default: ~10 MB of records, not a second heap. */
const DEFAULT_CAPACITY = 10_000;

/** A record's fields are primitives and one Date: a spread copies it far cheaper than `structuredClone`. */
function copyOf(record: RequestLogRecord): RequestLogRecord {
  return { ...record, time: new Date(record.time.getTime()) };
}

function matches(record: RequestLogRecord, query: RequestLogQuery): boolean {
  const { scope } = query;
  if (scope.all !== true && record.tenantId !== scope.tenantId) return false;
  if (query.after !== undefined && compareIds(record.id, query.after) >= 0) return false;
  if (query.model !== undefined && record.model !== query.model && record.requestedModel !== query.model) return false;
  if (query.statusFrom !== undefined && record.status < query.statusFrom) return false;
  if (query.statusTo !== undefined && record.status > query.statusTo) return false;
  if (query.from !== undefined && record.time < query.from) return false;
  if (query.to !== undefined && record.time >= query.to) return false;
  return true;
}

export class MemoryRequestLogStore implements RequestLogStore {
  /** Keyed by id; Map keeps insertion order, which is roughly id order, so eviction drops the oldest first. */
  private readonly records = new Map<string, RequestLogRecord>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  async append(records: readonly RequestLogRecord[]): Promise<void> {
    for (const record of records) {
      if (this.records.has(record.id)) continue;
      this.records.set(record.id, copyOf(record));
    }
    for (const id of this.records.keys()) {
      if (this.records.size <= this.capacity) break;
      this.records.delete(id);
    }
  }

  async list(query: RequestLogQuery): Promise<RequestLogRecord[]> {
    checkScope(query.scope);
    const limit = logPageLimit(query);
    return [...this.records.values()]
      .filter((record) => matches(record, query))
      .sort((a, b) => compareIds(b.id, a.id))
      .slice(0, limit)
      .map(copyOf);
  }

  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    let deleted = 0;
    for (const [id, record] of this.records) {
      if (deleted >= limit) break;
      if (record.time < cutoff) {
        this.records.delete(id);
        deleted += 1;
      }
    }
    return deleted;
  }
}
