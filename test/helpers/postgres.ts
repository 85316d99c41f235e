/**
 * PostgreSQL for store tests: 127.0.0.1:5432, database `test`, trust auth (TEST_DATABASE_URL overrides). Every
 * test file works in its own schema (`sy_test_<pid>_<random>`), dropped afterwards, so parallel files and reruns
 * never collide. With CI=true an unreachable server fails the run; locally the suites skip, loudly.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeWithService } from './service-suite.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe();

/** `describe`, when PostgreSQL is there; a failing test under CI=true; a loud skip otherwise. */
export function describePostgres(name: string, body: () => void): void {
  describeWithService({ name: 'PostgreSQL', url: POSTGRES_URL, unreachable, hint: 'Start PostgreSQL or set TEST_DATABASE_URL' }, name, body);
}

export interface TestSchema {
  readonly name: string;
  drop(): Promise<void>;
}

/** A fresh schema name; the stores create it on open, `drop()` removes it and everything in it. */
export function testSchema(): TestSchema {
  const name = `sy_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    name,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${name} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
