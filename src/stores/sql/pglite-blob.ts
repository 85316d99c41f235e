/**
 * Hands text to the PGlite worker as the content of its `/dev/blob` device, which `COPY … FROM '/dev/blob'`
 * then reads: PGlite's COPY has no STDIN over the socket (the wire protocol's copy-in breaks the session), so the
 * data goes by worker message and the COPY statement by the usual connection. The worker keeps one blob at a
 * time; the caller serialises stage → COPY → clear (request-log-store.ts).
 */
import type { Worker } from 'node:worker_threads';

/** What the store needs: put the text in place (resolves once the worker holds it), and drop it afterwards. */
export interface BlobStager {
  stage(text: string): Promise<void>;
  clear(): void;
}

export type BlobRequest = { type: 'stage-blob'; seq: number; text: string } | { type: 'clear-blob' };
export type BlobReply = { type: 'blob-staged'; seq: number } | { type: 'blob-failed'; seq: number; message: string };

function isBlobReply(message: unknown): message is BlobReply {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'blob-staged' || type === 'blob-failed';
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** The supervised worker's side of it (pglite.ts attaches each worker it starts, restarts included). */
export class WorkerBlobChannel implements BlobStager {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();

  attach(worker: Worker): void {
    this.worker = worker;
    worker.on('message', (message: unknown) => {
      if (!isBlobReply(message)) return;
      const waiter = this.waiting.get(message.seq);
      this.waiting.delete(message.seq);
      if (message.type === 'blob-staged') waiter?.resolve();
      else waiter?.reject(new Error(`PGlite could not take the COPY data: ${message.message}`));
    });
    // A worker that dies never answers: fail what waited on it (the batch writer retries).
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(new Error('The embedded database worker exited before it took the COPY data.'));
      this.waiting.clear();
    });
  }

  stage(text: string): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(new Error('The embedded database worker is not running.'));
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ type: 'stage-blob', seq, text } satisfies BlobRequest);
    });
  }

  clear(): void {
    this.worker?.postMessage({ type: 'clear-blob' } satisfies BlobRequest);
  }
}
