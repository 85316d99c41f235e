/** Opening each store implementation for tests. */
import { openMemoryStores } from '../../src/stores/memory/index.js';
import { openSqlStores } from '../../src/stores/sql/index.js';
import { openEmbeddedStores } from '../../src/stores/open.js';
import type { StoreLogger, Stores } from '../../src/stores/types.js';
import { POSTGRES_URL } from './postgres.js';

export const TEST_PEPPER = 'test-pepper-0123456789abcdef';

/** Collects what the stores log, so tests can assert on it and the output stays clean. */
export function recordingLog(): StoreLogger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const record = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

export function openMemory(pepper = TEST_PEPPER): Promise<Stores> {
  return Promise.resolve(openMemoryStores(pepper));
}

export function openPGliteInMemory(pepper = TEST_PEPPER): Promise<Stores> {
  return openEmbeddedStores(undefined, pepper, recordingLog());
}

export function openPostgres(
  schema: string,
  options: { pepper?: string; applicationName?: string; log?: StoreLogger } = {},
): Promise<Stores> {
  return openSqlStores({
    kind: 'postgres',
    client: { connectionString: POSTGRES_URL, application_name: options.applicationName ?? 'switchyard-test' },
    schema,
    poolSize: 4,
    pepper: options.pepper ?? TEST_PEPPER,
    log: options.log ?? recordingLog(),
  });
}
