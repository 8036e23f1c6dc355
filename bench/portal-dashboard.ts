/**
 * `node --import tsx bench/portal-dashboard.ts [--db=sqlite|postgres] [--orders=1000000] [--pending=0]`
 *
 * Measures the portal's dashboard and balance reads on a large history: `--orders` final
 * orders over the last 60 days (three organisations, 80% of them the first's; 70% paid,
 * the rest failed, canceled or rejected; four methods), a ledger payment for each paid one
 * and a refund for one in a hundred; and, with `--pending=N`, N pending orders of the first
 * organisation written by bench/seed-orders.ts (the shape `npm run bench` queries). Prints
 * the time of a first read (which adds the whole history to the day totals, a slice at a
 * time), of later reads, the longest single statement (on SQLite a statement blocks the
 * event loop), and the query plans of a later read's statements.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type LogEvent } from 'kysely';
import pg from 'pg';
import { dayOf } from '../src/domain/calendar-day.js';
import { SecretBox } from '../src/domain/secret-box.js';
import { createMerchant, type CreatedMerchant } from '../src/gateway/create-merchant.js';
import { createDialectParts } from '../src/store/dialect/index.js';
import { LedgerDayTotals } from '../src/store/ledger-day-totals.js';
import { OrderDayTotals } from '../src/store/order-day-totals.js';
import type { Database } from '../src/store/schema.js';
import { openStore } from '../src/store/store.js';
import { seedOrders } from './seed-orders.js';

const args = process.argv.slice(2);
const valueOf = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const dbKind = valueOf('db') ?? 'sqlite';
const ORDERS = Number(valueOf('orders') ?? 1_000_000);
const PENDING = Number(valueOf('pending') ?? 0);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OFFSET = 8 * 60;
const DAY = 86_400_000;

const now = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'portal-bench-'));
let url: string;
let schema: string | undefined;
if (dbKind === 'sqlite') {
  url = `sqlite:${join(dir, 'bench.db')}`;
} else {
  schema = `portal_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const u = new URL(POSTGRES_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  url = u.toString();
}

try {
  // The schema and three merchants, through the gateway's own code.
  const secrets = new SecretBox(randomBytes(32));
  const setup = await openStore(url, { poolSize: 2 });
  const merchants: CreatedMerchant[] = [];
  for (const [name, currency] of [['Big', 'NZD'], ['Mid', 'NZD'], ['Small', 'AUD']]) {
    merchants.push(await createMerchant(setup.db, secrets, { name, currency, methods: ['alipay', 'wechat'] }, now));
  }
  await setup.close();

  const started = Date.now();
  await seedHistory(url, merchants, ORDERS);
  if (PENDING > 0) await seedOrders(url, merchants[0], { queryCount: PENDING, settleCount: 0, callbackUrl: 'http://127.0.0.1:9/cb' });
  console.log(`${dbKind}: seeded ${ORDERS.toLocaleString('en')} final orders${PENDING ? ` and ${PENDING.toLocaleString('en')} pending` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Every statement is timed (and kept, for its plan).
  let statements: Array<{ sql: string; parameters: readonly unknown[]; ms: number }> = [];
  const parts = createDialectParts(url, { poolSize: 4 });
  const db = new Kysely<Database>({
    dialect: parts.dialect,
    log: (event: LogEvent) => {
      statements.push({ sql: event.query.sql, parameters: event.query.parameters, ms: event.queryDurationMillis });
    },
  });
  const orders = new OrderDayTotals(db, OFFSET);
  const ledger = new LedgerDayTotals(db, OFFSET);
  const today = dayOf(now, OFFSET);
  const org = merchants[0].organisation_id;
  const wallet = merchants[0].wallet_id;

  const timed = async (label: string, read: () => Promise<unknown>) => {
    statements = [];
    const t = performance.now();
    await read();
    const ms = performance.now() - t;
    const longest = statements.reduce((a, s) => (s.ms > a.ms ? s : a), { ms: 0, sql: '' } as { ms: number; sql: string });
    console.log(`${label.padEnd(52)} ${ms.toFixed(1).padStart(9)} ms  ${String(statements.length).padStart(5)} statements, longest ${longest.ms.toFixed(1)} ms`);
    return statements;
  };

  await timed('dashboard, first read (adds the history)', () => orders.read(org, today - 29, today, now));
  const dashboardStatements = await timed('dashboard, next read', () => orders.read(org, today - 29, today, now));
  await timed('dashboard, next read (another organisation)', () => orders.read(merchants[2].organisation_id, today - 29, today, now));
  await timed('balance, first read (adds the wallet’s history)', () => ledger.read(wallet, today - 29, today, now));
  const balanceStatements = await timed('balance, next read (30 days)', () => ledger.read(wallet, today - 29, today, now));
  await timed('balance, next read (366 days)', () => ledger.read(wallet, today - 365, today, now));
  await timed('dashboard, read 1 hour later (adds that hour)', () => orders.read(org, today - 29, today, now + 3_600_000));

  console.log('\nPlans of a later dashboard read:');
  await explain(parts, dashboardStatements);
  console.log('\nPlans of a later balance read:');
  await explain(parts, balanceStatements);
  await db.destroy();
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (schema) {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

async function explain(parts: ReturnType<typeof createDialectParts>, list: Array<{ sql: string; parameters: readonly unknown[] }>): Promise<void> {
  const seen = new Set<string>();
  for (const s of list) {
    if (seen.has(s.sql) || !/^select/i.test(s.sql)) continue;
    seen.add(s.sql);
    console.log(`\n  ${s.sql.replace(/\s+/g, ' ')}`);
    if (dbKind === 'sqlite') {
      const raw = new SqliteDatabase(url.slice('sqlite:'.length), { readonly: true });
      const plan = raw.prepare(`explain query plan ${s.sql}`).all(...(s.parameters as unknown[])) as Array<{ detail: string }>;
      for (const row of plan) console.log(`    ${row.detail}`);
      raw.close();
    } else {
      const plan = await (parts.pool as pg.Pool).query(`explain (analyze, costs off) ${s.sql}`, s.parameters as unknown[]);
      for (const row of plan.rows) console.log(`    ${row['QUERY PLAN']}`);
    }
  }
}

/** The history, generated by the database itself (a recursive CTE on SQLite, generate_series on PostgreSQL). */
async function seedHistory(databaseUrl: string, m: Array<{ organisation_id: number; wallet_id: string; user_id: string }>, n: number): Promise<void> {
  const span = 60 * DAY;
  const pick = (field: 'organisation_id' | 'wallet_id' | 'user_id') =>
    `case when i % 10 < 8 then '${m[0][field]}' when i % 10 = 8 then '${m[1][field]}' else '${m[2][field]}' end`;
  const created = `(${now - span} + (i * ${span}) / ${n})`;
  const select = `
    select '97' || (1000000000000 + i), ${pick('user_id')}, ${pick('wallet_id')}, cast(${pick('organisation_id')} as bigint), 'pd-' || i,
      100 + i % 9973, case when i % 10 = 9 then 'AUD' else 'NZD' end,
      case (i / 20) % 4 when 0 then 'alipay' when 1 then 'wechat' when 2 then 'alipay' else 'upi_upop' end,
      'p', 'https://m.example/r', 'https://m.example/c', null, '1.1.1.1', '0', '0', 'h',
      case when i % 20 < 14 then 'paid' when i % 20 < 17 then 'failed' when i % 20 < 19 then 'canceled' else 'rejected' end,
      'pdn-' || i, 'sandbox', null, null, ${created}, ${created} + 7200000,
      case when i % 20 < 14 then ${created} + 60000 else null end, ${created} + 60000`;
  const insertOrders = `insert into orders (order_id, user_id, wallet_id, organisation_id, merchant_reference, amount_minor, currency,
      payment_method, product_name, return_url, callback_url, backpage_url, ip, host_type, present_qr, request_hash, status, nonce,
      channel, channel_trade_id, channel_qr_url, created_at, expires_at, paid_at, updated_at)`;
  const insertLedger = `insert into ledger_entries (wallet_id, order_id, refund_id, kind, amount_minor, currency, created_at)
      select wallet_id, order_id, null, 'payment', amount_minor, currency, paid_at from orders where status = 'paid' and merchant_reference like 'pd-%'`;
  const insertRefunds = `insert into ledger_entries (wallet_id, order_id, refund_id, kind, amount_minor, currency, created_at)
      select wallet_id, order_id, 'r' || order_id, 'refund', -(amount_minor / 2), currency, paid_at + 3600000 from orders
      where status = 'paid' and merchant_reference like 'pd-%' and cast(substr(order_id, 3) as bigint) % 100 = 0`;
  if (databaseUrl.startsWith('sqlite:')) {
    const raw = new SqliteDatabase(databaseUrl.slice('sqlite:'.length));
    raw.pragma('journal_mode = WAL');
    raw.transaction(() => {
      raw.exec(`${insertOrders} with recursive s(i) as (select 0 union all select i + 1 from s where i < ${n - 1}) ${select} from s`);
      raw.exec(insertLedger);
      raw.exec(insertRefunds);
    })();
    raw.exec('analyze');
    raw.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`${insertOrders} ${select} from generate_series(0, ${n - 1}) as i`);
  await client.query(insertLedger);
  await client.query(insertRefunds);
  await client.query('vacuum analyze orders');
  await client.query('vacuum analyze ledger_entries');
  await client.end();
}
