/**
 * Runs in a worker thread: PGlite (Postgres compiled to WASM, which executes queries on the thread that calls it)
 * behind pglite-socket on a private Unix socket, so the request thread only does socket I/O and talks to it with
 * the same `pg` driver code it uses for PostgreSQL.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { BlobReply, BlobRequest } from './pglite-blob.js';
import { openPGlite } from './pglite-settings.js';

export interface PGliteWorkerData {
  /** A directory (created if missing), or undefined for an in-memory database. */
  dataDir: string | undefined;
  socketPath: string;
}

export type PGliteWorkerMessage = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'closed' };

const port = parentPort!;
const { dataDir, socketPath } = workerData as PGliteWorkerData;
const send = (message: PGliteWorkerMessage | BlobReply) => port.postMessage(message);

/**
 * Between batches `/dev/blob` holds an empty blob, never none: PGlite's read of a missing blob throws inside
 * Postgres and leaves the database unusable, whereas an empty one makes a stray COPY store 0 rows, which the store
 * sees (row count) and answers with its INSERT path. (PGlite's own `exec`/`query` reset it to none; here only
 * pglite-socket calls `exec`, for a ROLLBACK when a connection closes inside a transaction, which the gateway's
 * one connection does not leave open.)
 */
const emptyBlob = new Blob([]);

/** The request log's COPY data (pglite-blob.ts): answered once PGlite holds it, so the COPY sent next reads it. */
async function takeBlob(db: PGlite, request: BlobRequest): Promise<void> {
  if (request.type === 'clear-blob') return db._handleBlob(emptyBlob);
  try {
    await db._handleBlob(new Blob([request.text]));
    send({ type: 'blob-staged', seq: request.seq });
  } catch (error) {
    send({ type: 'blob-failed', seq: request.seq, message: error instanceof Error ? error.message : String(error) });
  }
}

try {
  const db = await openPGlite(dataDir);
  await db._handleBlob(emptyBlob);
  // One client at a time: PGlite is a single session, and the multiplexer interleaves extended-protocol
  // messages of concurrent clients. The pool on the other side holds one connection; the second slot is only
  // there so a reconnect is not refused while the old connection is still being torn down.
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
  await server.start();
  port.on('message', (message: 'close' | BlobRequest) => {
    if (message !== 'close') return void takeBlob(db, message);
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
