/**
 * Creates a fresh embedded database directory, run once as its own short-lived process (see pglite.ts): PGlite's
 * initdb step leaves ~600 MB of WASM memory and compiled code behind in the process that ran it, which a
 * gateway should not carry for the rest of its life.
 *   node pglite-init.js <data dir>
 */
import { openPGlite } from './pglite-settings.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: pglite-init <data dir>');
const db = await openPGlite(dataDir);
await db.close();
