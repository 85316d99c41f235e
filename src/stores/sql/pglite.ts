/**
 * Embedded Postgres: starts the PGlite worker (pglite-worker.ts) and returns `pg` connection settings for its
 * socket. The socket sits in a fresh 0700 temp directory, so only this user can reach the database; a lock file
 * in the data directory stops a second process from opening the same data (PGlite is single-process).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import { Availability } from '../../core/availability.js';
import type { StoreLogger } from '../types.js';
import { WorkerBlobChannel, type BlobStager } from './pglite-blob.js';
import type { PGliteWorkerData, PGliteWorkerMessage } from './pglite-worker.js';

export interface EmbeddedDatabase {
  readonly client: pg.ClientConfig;
  /** Down from an unexpected exit of the worker until its replacement listens. */
  readonly availability: Availability;
  /** The current worker's `/dev/blob`, for the request log's COPY (pglite-blob.ts). */
  readonly blobs: BlobStager;
  /** Fault injection for tests: ends the worker thread as a crash would (the supervisor restarts it). */
  terminateWorker(): Promise<void>;
  close(): Promise<void>;
}

const SOCKET_PORT = 5432;
const START_TIMEOUT_MS = 60_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Data directories this process has open. A lock file naming our own pid but not listed here is stale (a
 * container restarted with the same pid). */
const lockedHere = new Set<string>();

/** Takes `<dir>/switchyard.lock`, replacing a lock whose process is gone. */
function lockDataDir(dir: string): () => void {
  const path = join(dir, 'switchyard.lock');
  const inUse = (by: number) => new Error(`The embedded database in ${dir} is in use by process ${by}; PGlite allows one process per data directory.`);
  if (lockedHere.has(dir)) throw inUse(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      lockedHere.add(dir);
      return () => {
        lockedHere.delete(dir);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) throw inUse(holder);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`Could not lock ${path}`);
}

/**
 * The worker module beside this one. Built, that is plain `pglite-worker.js`. From source (tsx), Node 20 does
 * not carry tsx's loader hooks into worker threads, so a two-line entry registers them and then imports the .ts.
 */
function workerEntry(): URL {
  if (extname(fileURLToPath(import.meta.url)) === '.js') return new URL('./pglite-worker.js', import.meta.url);
  const source = new URL('./pglite-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(source)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(entry)}`);
}

/** `node pglite-init.js <dir>`; from source, through tsx's loader as for the worker. */
function initCommand(directory: string): string[] {
  if (extname(fileURLToPath(import.meta.url)) === '.js') return [fileURLToPath(new URL('./pglite-init.js', import.meta.url)), directory];
  return ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./pglite-init.ts', import.meta.url)), directory];
}

/**
 * A data directory Postgres was never initialised in gets its initdb in a short-lived child process
 * (pglite-init.ts): run in the gateway, it would leave ~600 MB of RSS behind for good.
 */
async function initialiseDataDir(directory: string): Promise<void> {
  if (existsSync(join(directory, 'PG_VERSION'))) return;
  try {
    await promisify(execFile)(process.execPath, initCommand(directory), { timeout: START_TIMEOUT_MS });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`PGlite could not create its database in ${directory}: ${stderr?.trim() || (error as Error).message}`);
  }
}

function spawnWorker(data: PGliteWorkerData): Promise<Worker> {
  const worker = new Worker(workerEntry(), { workerData: data });
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    once(worker, 'message') as Promise<[PGliteWorkerMessage]>,
    once(worker, 'error').then(([error]) => Promise.reject(error as Error)),
    once(worker, 'exit').then(([code]) => Promise.reject(new Error(`PGlite worker exited with code ${String(code)} while starting`))),
    new Promise<never>((_, reject) => (timer = setTimeout(reject, START_TIMEOUT_MS, new Error('PGlite did not start in time')))),
  ])
    .then(([message]) => {
      if (message.type === 'failed') throw new Error(`PGlite could not start: ${message.message}`);
      return worker;
    })
    .catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    })
    .finally(() => clearTimeout(timer));
}

/** Asks the worker to close PGlite cleanly; ends the thread if it has not after 10 s. */
async function stopWorker(worker: Worker): Promise<void> {
  const done = once(worker, 'exit');
  worker.postMessage('close');
  const timer = setTimeout(() => void worker.terminate(), 10_000);
  await done;
  clearTimeout(timer);
}

/**
 * Starts PGlite in a worker thread and supervises it: when the thread dies unexpectedly it is started again on
 * the same data directory and socket, with backoff (250 ms → 10 s), until it listens or `close()` is called.
 * `availability` is down from the exit until the replacement listens; each change is one log line.
 * `dataDir` undefined: in memory (tests; a restarted worker starts empty).
 */
export async function startEmbeddedDatabase(dataDir: string | undefined, log: StoreLogger): Promise<EmbeddedDatabase> {
  const directory = dataDir === undefined ? undefined : resolve(dataDir);
  if (directory !== undefined) mkdirSync(directory, { recursive: true, mode: 0o700 });
  const unlock = directory === undefined ? () => undefined : lockDataDir(directory);
  const socketDir = mkdtempSync(join(tmpdir(), 'switchyard-pglite-'));
  const cleanup = () => {
    rmSync(socketDir, { recursive: true, force: true });
    unlock();
  };
  const data: PGliteWorkerData = { dataDir: directory, socketPath: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`) };
  let worker: Worker;
  try {
    if (directory !== undefined) await initialiseDataDir(directory);
    worker = await spawnWorker(data);
  } catch (error) {
    cleanup();
    throw error;
  }

  const availability = new Availability('embedded database (pglite)');
  const blobs = new WorkerBlobChannel();
  let closing = false;
  let alive = true;
  let restarting: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const timer = setTimeout(done, ms);
      wake = () => {
        clearTimeout(timer);
        done();
      };
    });

  const restart = async (): Promise<void> => {
    let delay = 250;
    for (let attempt = 1; !closing; attempt++) {
      await sleep(delay);
      if (closing) return;
      delay = Math.min(delay * 2, 10_000);
      rmSync(data.socketPath, { force: true }); // the dead server's socket file would make listen() fail
      try {
        const next = await spawnWorker(data);
        if (closing) return await stopWorker(next);
        watch(next);
        availability.succeeded();
        log.info('embedded database worker restarted', { attempts: attempt });
        return;
      } catch (error) {
        // Logged once per outage: the exit line already says a restart is under way.
        if (attempt === 1) log.warn('embedded database worker did not restart; retrying with backoff', { error: (error as Error).message });
      }
    }
  };

  const watch = (current: Worker) => {
    worker = current;
    alive = true;
    blobs.attach(current);
    let failure: Error | undefined;
    current.on('error', (error) => (failure = error));
    current.once('exit', (code) => {
      if (current !== worker) return;
      alive = false;
      if (closing) return;
      const error = failure ?? new Error(`PGlite worker exited with code ${code}`);
      availability.failed(error);
      log.error('embedded database worker died; restarting it', { error: error.message });
      restarting = restart().finally(() => (restarting = undefined));
    });
  };
  watch(worker);

  let closed: Promise<void> | undefined;
  return {
    client: { host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' },
    availability,
    blobs,
    async terminateWorker() {
      await worker.terminate();
    },
    close() {
      closed ??= (async () => {
        closing = true;
        wake?.();
        await restarting;
        if (alive) await stopWorker(worker);
        cleanup();
      })();
      return closed;
    },
  };
}
