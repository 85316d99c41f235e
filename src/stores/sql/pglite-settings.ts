/**
 * How the embedded PGlite database is started, shared by the worker that serves it and the one-off process that
 * creates a fresh data directory.
 */
import { PGlite } from '@electric-sql/pglite';

/**
 * Postgres' default `shared_buffers` (128 MB) is written in full when PGlite starts, so it all lands in RSS. The
 * gateway's tables (tenants, keys, spend, request log) are small and hot; 16 MB of buffer cache holds them, and
 * the OS page cache backs the rest.
 */
export const pgliteStartParams: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

export function openPGlite(dataDir: string | undefined): Promise<PGlite> {
  return PGlite.create(dataDir ?? 'memory://', { startParams: [...pgliteStartParams] });
}
