/**
 * The bare ceiling (issue #21): a plain `node:http` server answering the bench's
 * `POST /v2/transaction` and `GET /v2/transaction/{merchant_reference}` with the least work
 * that is still honest (handler.ts), on SQLite (sqlite-store.ts) or PostgreSQL
 * (postgres-store.ts). `npm run bench` runs it beside the gateway, interleaved, and prints
 * gateway ÷ ceiling per scenario.
 *
 *   node --import tsx bench/ceiling/server.ts
 *
 * Configured by environment (the api key stays off the command line):
 *   CEILING_DATABASE_URL  sqlite:/path/file.db or postgres://…  (its table: ceiling_orders, made afresh)
 *   CEILING_MERCHANT      {"user_id":…,"wallet_id":…,"api_key":…}, the one merchant it serves
 *   CEILING_PORT          (8090), CEILING_HOST (127.0.0.1), CEILING_PUBLIC_URL (http://HOST:PORT)
 *   CEILING_SEED          query orders bq-0 … bq-(N-1) to create first (0)
 *   CEILING_PROCESSES     PostgreSQL only: N processes sharing the port through node:cluster, as
 *                         `latipay serve --processes N` does (1)
 * SIGTERM or SIGINT stops it.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { createCeilingHandler, type CeilingMerchant, type CeilingStore } from './handler.js';

const env = process.env;
const databaseUrl = env.CEILING_DATABASE_URL ?? '';
const merchant = JSON.parse(env.CEILING_MERCHANT ?? 'null') as CeilingMerchant | null;
const port = Number(env.CEILING_PORT ?? 8090);
const host = env.CEILING_HOST ?? '127.0.0.1';
const publicUrl = env.CEILING_PUBLIC_URL ?? `http://${host}:${port}`;
const seed = Number(env.CEILING_SEED ?? 0);
const processes = Number(env.CEILING_PROCESSES ?? 1);
const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;

async function main(): Promise<void> {
  if (!merchant?.user_id || !merchant.wallet_id || !merchant.api_key) throw new Error('CEILING_MERCHANT: {"user_id","wallet_id","api_key"}');
  if (!sqlitePath && !/^postgres(ql)?:/.test(databaseUrl)) throw new Error('CEILING_DATABASE_URL: sqlite:PATH or postgres://…');
  if (!Number.isInteger(processes) || processes < 1) throw new Error('CEILING_PROCESSES: a whole number from 1');
  if (sqlitePath && processes > 1) throw new Error('CEILING_PROCESSES: SQLite has one writer; use 1');

  if (cluster.isPrimary && !sqlitePath) {
    const { prepareCeilingTable } = await import('./postgres-store.js');
    await prepareCeilingTable(databaseUrl, merchant, seed);
  }
  if (cluster.isPrimary && processes > 1) return superviseProcesses();

  let store: CeilingStore & { close(): unknown };
  if (sqlitePath) {
    const { openSqliteStore } = await import('./sqlite-store.js');
    store = openSqliteStore(sqlitePath, merchant, seed);
  } else {
    const { openPostgresStore } = await import('./postgres-store.js');
    store = openPostgresStore(databaseUrl);
  }
  const server = createServer(createCeilingHandler(store, merchant, publicUrl, cluster.worker?.id ?? 0));
  server.keepAliveTimeout = 72_000; // as the gateway's
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void Promise.resolve(store.close()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // A process of the cluster whose parent is gone stops too.
  process.once('disconnect', stop);
}

/** The parent of CEILING_PROCESSES processes: starts them, passes a stop on, and exits after them. */
function superviseProcesses(): void {
  for (let i = 0; i < processes; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let exited = 0;
  cluster.on('exit', () => {
    if (++exited === processes) process.exit(0);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
