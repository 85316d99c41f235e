/**
 * Applies the SQL migrations in ./migrations (written by drizzle-kit, applied by drizzle's migrator) to the
 * connection's schema. On PostgreSQL an advisory lock serialises replicas that start together.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

/** Beside this module in src/ and, copied by `npm run build`, in dist/. */
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** `connection`: a pool (PostgreSQL: the lock is held on one of its connections) or PGlite's single client. */
export async function applyMigrations(connection: pg.Pool | pg.Client, schema: string): Promise<void> {
  const run = () =>
    migrate(drizzle({ client: connection }), { migrationsFolder, migrationsSchema: schema, migrationsTable: '__drizzle_migrations' });
  if (!(connection instanceof pg.Pool)) return run();
  const lock = `switchyard:migrate:${schema}`;
  const holder = await connection.connect();
  try {
    await holder.query('select pg_advisory_lock(hashtext($1))', [lock]);
    await run();
  } finally {
    await holder.query('select pg_advisory_unlock(hashtext($1))', [lock]).catch(() => undefined);
    holder.release();
  }
}
