/**
 * `node --import tsx bench/claim-churn.ts [--db=postgres|sqlite] [--rows=60000] [--outage-seconds=30]
 *   [--retry-cap=1] [--concurrency=128]`
 *
 * The callback outbox's own share of a merchant outage, without HTTP: `rows` callbacks are
 * pending on a fresh database; for `outage-seconds` a worker-like loop claims them
 * (claimDueNotifications, `concurrency` at most in flight) and records each attempt as failed
 * (rescheduled by the retry schedule, capped at `retry-cap` seconds), as the worker does while
 * a merchant is down; then it records every attempt as delivered until none is pending (the
 * drain). Prints the attempts a second during the outage, the drain's length, and the
 * claims' durations and sizes; on PostgreSQL also the table's dead tuples and HOT updates.
 * Uses the store of the checkout it is run from, so two builds compare with the same script.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { retryDelayMs } from '../src/notify/retry-schedule.js';
import { claimDueNotifications, recordAttempt } from '../src/store/notifications.js';
import { openStore, type Store } from '../src/store/store.js';

const args = process.argv.slice(2);
const valueOf = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const kind = valueOf('db') ?? 'postgres';
const ROWS = Number(valueOf('rows') ?? 60_000);
const OUTAGE_MS = Number(valueOf('outage-seconds') ?? 30) * 1000;
const CAP_MS = Number(valueOf('retry-cap') ?? 1) * 1000;
const CONCURRENCY = Number(valueOf('concurrency') ?? 128);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LEASE_MS = 25_000;
const OWNER = 'churn';

async function seed(store: Store, url: string, dir: string, schema: string | undefined): Promise<void> {
  const now = Date.now();
  if (kind === 'sqlite') {
    // A second connection, without foreign keys (no order rows are needed).
    const raw = new Database(join(dir, 'churn.db'));
    raw.pragma('foreign_keys = off');
    const hasEndpoint = (raw.prepare(`select count(*) as n from pragma_table_info('notifications') where name = 'endpoint'`).get() as { n: number }).n > 0;
    const insert = raw.prepare(
      `insert into notifications (order_id, url, ${hasEndpoint ? 'endpoint, ' : ''}body, status, attempts, next_attempt_at, created_at, user_id)
       values (?, 'http://127.0.0.1:9/cb', ${hasEndpoint ? `'http://127.0.0.1:9', ` : ''}?, 'pending', 0, ?, ?, 'U1')`,
    );
    raw.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`o${i}`, `merchant_reference=r${i}&status=paid`, now, now);
    })();
    raw.close();
    return;
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`set search_path = ${schema}`);
    await client.query('set session_replication_role = replica');
    const hasEndpoint = (await client.query(`select 1 from information_schema.columns where table_schema = $1 and table_name = 'notifications' and column_name = 'endpoint'`, [schema])).rowCount;
    await client.query(
      `insert into notifications (order_id, url, ${hasEndpoint ? 'endpoint, ' : ''}body, status, attempts, next_attempt_at, created_at, user_id)
       select 'o' || i, 'http://127.0.0.1:9/cb', ${hasEndpoint ? `'http://127.0.0.1:9', ` : ''}'merchant_reference=r' || i || '&status=paid', 'pending', 0, $1::bigint, $1::bigint, 'U1'
       from generate_series(1, $2::int) i`,
      [now, ROWS],
    );
    await client.query('analyze notifications');
  } finally {
    await client.end();
  }
  void url;
}

async function tableStats(schema: string | undefined): Promise<string> {
  if (kind !== 'postgres') return '';
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count from pg_stat_user_tables where schemaname = $1 and relname = 'notifications'`,
      [schema],
    );
    const r = rows[0] as Record<string, string>;
    return `dead ${r.n_dead_tup}, updates ${r.n_tup_upd} (HOT ${r.n_tup_hot_upd}), autovacuum ${r.autovacuum_count}`;
  } finally {
    await client.end();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Claims and records until `stop()` says so; `deliver` decides each attempt's outcome. */
async function drive(store: Store, until: (recorded: number) => boolean, delivered: boolean): Promise<{ attempts: number; claims: number[]; sizes: number[] }> {
  let inflight = 0;
  let attempts = 0;
  let recorded = 0;
  const claims: number[] = [];
  const sizes: number[] = [];
  let wake: (() => void) | undefined;
  while (!until(recorded)) {
    const free = CONCURRENCY - inflight;
    if (free > 0) {
      const now = Date.now();
      const started = performance.now();
      const rows = await claimDueNotifications(store.db, OWNER, now, now + LEASE_MS, free);
      claims.push(performance.now() - started);
      sizes.push(rows.length);
      for (const row of rows) {
        inflight++;
        // The merchant answers at once; the attempt is recorded as the worker records it.
        void new Promise((resolve) => setImmediate(resolve))
          .then(() => {
            const at = Date.now();
            return recordAttempt(
              store.db,
              { notification_id: Number(row.id), attempted_at: at, http_status: delivered ? 200 : 503, body_excerpt: delivered ? 'sent' : 'down', duration_ms: 1, error: null, owner: OWNER },
              delivered ? { delivered: true } : { delivered: false, nextAttemptAt: at + retryDelayMs(row.attempts + 1, CAP_MS), abandon: false },
            );
          })
          .then((ok) => {
            if (ok) recorded++;
          })
          .finally(() => {
            inflight--;
            attempts++;
            wake?.();
          });
      }
      if (rows.length === free) continue;
      if (rows.length === 0 && inflight === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (inflight > 0) await new Promise<void>((resolve) => (wake = resolve));
  }
  while (inflight > 0) await new Promise<void>((resolve) => (wake = resolve));
  return { attempts, claims, sizes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'latipay-churn-'));
  let schema: string | undefined;
  let admin: pg.Client | undefined;
  let url = `sqlite:${join(dir, 'churn.db')}`;
  if (kind === 'postgres') {
    schema = `bench_churn_${randomBytes(4).toString('hex')}`;
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
    console.log(`[postgres] schema ${schema}`);
  }
  const store = await openStore(url, { poolSize: 10 });
  try {
    await seed(store, url, dir, schema);
    const outageEnds = Date.now() + OUTAGE_MS;
    const outage = await drive(store, () => Date.now() >= outageEnds, false);
    const statsAtRecovery = await tableStats(schema);
    const recovered = Date.now();
    // Done when every callback's delivery is on record (counted here: no query polls the table).
    const drain = await drive(store, (recorded) => recorded >= ROWS, true);
    const drainMs = Date.now() - recovered;
    const summary = (label: string, r: { attempts: number; claims: number[]; sizes: number[] }, ms: number) => {
      const sorted = [...r.claims].sort((a, b) => a - b);
      const mean = r.claims.reduce((a, b) => a + b, 0) / Math.max(1, r.claims.length);
      const rows = r.sizes.reduce((a, b) => a + b, 0) / Math.max(1, r.sizes.length);
      return `${label}: ${r.attempts} attempts in ${(ms / 1000).toFixed(1)} s (${Math.round(r.attempts / (ms / 1000))}/s); ${r.claims.length} claims, mean ${mean.toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ${rows.toFixed(0)} rows each`;
    };
    console.log(`${kind}, ${ROWS} pending, cap ${CAP_MS / 1000} s, concurrency ${CONCURRENCY}`);
    console.log(summary('outage', outage, OUTAGE_MS));
    if (statsAtRecovery) console.log(`at recovery: ${statsAtRecovery}`);
    console.log(summary('drain', drain, drainMs));
  } finally {
    await store.close();
    if (admin) {
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
