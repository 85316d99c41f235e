/**
 * Runs in a worker thread: PGlite (Postgres compiled to WASM, which executes queries on the thread that calls it)
 * behind pglite-socket on a private Unix socket, so the request thread only does socket I/O and talks to it with
 * the same `pg` driver code it uses for PostgreSQL.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openPGlite } from './pglite-settings.js';

export interface PGliteWorkerData {
  /** A directory (created if missing), or undefined for an in-memory database. */
  dataDir: string | undefined;
  socketPath: string;
}

export type PGliteWorkerMessage = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'closed' };

const port = parentPort!;
const { dataDir, socketPath } = workerData as PGliteWorkerData;
const send = (message: PGliteWorkerMessage) => port.postMessage(message);

try {
  const db = await openPGlite(dataDir);
  // One client at a time: PGlite is a single session, and the multiplexer interleaves extended-protocol
  // messages of concurrent clients. The pool on the other side holds one connection; the second slot is only
  // there so a reconnect is not refused while the old connection is still being torn down.
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
  await server.start();
  port.on('message', (message: unknown) => {
    if (message !== 'close') return;
    void (async () => {
      await server.stop();
      await db.close();
      send({ type: 'closed' });
      port.close();
    })();
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
