/** The `store` section: where tenants and virtual keys live (DESIGN.md §12). See docs/stores.md. */
import { z } from 'zod';

export const storeSchema = z.strictObject({
  /**
   * `auto`: PostgreSQL when `url` is set or DATABASE_URL is in the environment, else embedded PGlite in
   * `data_dir`. `memory` keeps keys in the process only (they are gone after a restart).
   */
  driver: z.enum(['auto', 'pglite', 'postgres', 'memory']).default('auto'),
  /** PostgreSQL connection URL (default: DATABASE_URL). */
  url: z.string().min(1).optional(),
  /** PostgreSQL schema for Switchyard's tables, created if missing. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  /** Embedded mode: PGlite's files (`<data_dir>/pglite`) and, if none is configured, the generated key pepper. */
  data_dir: z.string().min(1).default('./data'),
  /** PostgreSQL connections per process. */
  pool_size: z.number().int().min(2).max(100).default(10),
  /**
   * Longest wait for a PostgreSQL connection (a new one, or a free one from the pool). With the database down,
   * an admin write fails with 503 store_unavailable after at most this plus `statement_timeout_ms`.
   */
  connect_timeout_ms: z.number().int().min(100).max(60_000).default(5000),
  /** Longest one PostgreSQL statement may run (enforced by the server, and by the client when no answer comes). */
  statement_timeout_ms: z.number().int().min(100).max(300_000).default(5000),
});
