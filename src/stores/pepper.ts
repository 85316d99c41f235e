/**
 * The server pepper keys are hashed with. Configured (`auth.key_pepper` or SWITCHYARD_KEY_PEPPER) wins. Without
 * one: the memory store makes a throwaway pepper (its keys die with the process anyway); embedded PGlite makes
 * one once, keeps it in `<data_dir>/key-pepper` (0600) and says so loudly, so `npm start` works on a fresh clone;
 * PostgreSQL refuses to start, because replicas must share the pepper and a generated one would live on one host.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StoreLogger } from './types.js';

export const MIN_PEPPER_LENGTH = 16;
export const PEPPER_FILE = 'key-pepper';

export type StoreDriver = 'memory' | 'pglite' | 'postgres';

export function resolvePepper(driver: StoreDriver, configured: string | undefined, dataDir: string, log: StoreLogger): string {
  if (configured !== undefined && configured !== '') {
    if (configured.length < MIN_PEPPER_LENGTH) throw new Error(`The key pepper must be at least ${MIN_PEPPER_LENGTH} characters.`);
    return configured;
  }
  if (driver === 'memory') return randomBytes(32).toString('base64url');
  if (driver === 'postgres') {
    throw new Error(
      'Virtual keys on PostgreSQL need a key pepper shared by every replica: set SWITCHYARD_KEY_PEPPER ' +
        `(or auth.key_pepper), at least ${MIN_PEPPER_LENGTH} random characters, e.g. \`openssl rand -base64 32\`.`,
    );
  }
  const path = join(resolve(dataDir), PEPPER_FILE);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
  const pepper = randomBytes(32).toString('base64url');
  writeFileSync(path, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
  log.warn(
    `GENERATED A KEY PEPPER in ${path}. API keys are hashed with it: back it up together with ${resolve(dataDir)}, ` +
      'or set SWITCHYARD_KEY_PEPPER to keep it off the data disk. Losing it invalidates every key.',
  );
  return pepper;
}
