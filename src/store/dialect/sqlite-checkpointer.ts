import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's WAL checkpoints, on a thread of their own. In WAL mode a commit appends pages to
 * the WAL, and a checkpoint copies them back into the database file and syncs it. SQLite
 * runs one inside the COMMIT that takes the WAL past `wal_autocheckpoint` pages: on the
 * event loop, every ~1,000 pages, a pause of milliseconds that every request of that turn
 * waited out (with a million orders, pushing checkpoints out of a run moved create from
 * 0.51–0.56 to 0.54–0.67 of the ceiling).
 *
 * Here a worker thread with its own connection to the file runs `wal_checkpoint(PASSIVE)`
 * every `intervalMs`: it copies what is committed without waiting for, or holding up, the
 * writer or a reader. The writer's automatic checkpoint stays as a backstop at a higher
 * mark (see createSqliteParts): it then has only the pages committed since the worker's
 * last pass left to copy, and it is what lets SQLite start the WAL file over again.
 *
 * A checkpoint only copies what a commit already made durable in the WAL, so the worker
 * stopping, failing or dying loses nothing: the backstop takes over.
 */
export interface Checkpointer {
  /** Stops the worker and closes its connection. */
  close(): Promise<void>;
}

// The worker's code: CommonJS, run from a string, so the same code serves src/ under tsx
// and the compiled dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
let timer;
const pass = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
  timer = setTimeout(pass, workerData.intervalMs);
};
timer = setTimeout(pass, workerData.intervalMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(
  path: string,
  options: { intervalMs: number; onError?: (message: string) => void },
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs: options.intervalMs } });
  // The backstop checkpoints anyway: the thread never keeps the process alive on its own.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (message: { error?: string }) => {
    if (message.error) options.onError?.(message.error);
  });
  worker.on('error', (error) => options.onError?.(error.message));
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        // Held open while it closes its connection.
        worker.ref();
        worker.postMessage('close');
        await exited;
      })();
      return closing;
    },
  };
}
