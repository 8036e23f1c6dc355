/**
 * Fills the orders table with a merchant's history for the portal scenario
 * (bench/portal.ts): `count` orders over the last year, of mixed statuses, methods, two
 * wallets and many amounts, so that the transaction list's filters select something real
 * (the other scenarios' orders are all alike: pending, 120.00, alipay, one instant).
 * Written directly, not through the API: INSERT … SELECT FROM generate_series on
 * PostgreSQL, one prepared statement in one transaction on SQLite.
 *
 * Order i: created `i × step` before `now` (newest first), status by i mod 20 (14 paid,
 * 2 failed, 1 canceled, 1 rejected, 2 pending if created in the last two hours, else
 * failed: expired), method by i mod 10 (5 alipay, 3 wechat,
 * 1 onlineBank, 1 payid), wallet by i mod 5 (4 the first, 1 the second), amount
 * 1.00 + (i × 7919 mod 100000) cents.
 */
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

export interface PortalSeedMerchant {
  user_id: string;
  wallet_id: string;
  organisation_id: number;
}

const YEAR_MS = 365 * 24 * 3600_000;

/** The second wallet the seed gives the merchant's organisation. */
export const secondWalletOf = (m: PortalSeedMerchant) => `${m.wallet_id}B`;

export async function seedPortalOrders(databaseUrl: string, merchant: PortalSeedMerchant, count: number, now = Date.now()): Promise<void> {
  const step = Math.max(1, Math.floor(YEAR_MS / Math.max(1, count)));
  const second = secondWalletOf(merchant);
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new SqliteDatabase(databaseUrl.slice('sqlite:'.length));
    try {
      db.pragma('journal_mode = WAL');
      db.prepare(`insert into wallets (id, organisation_id, name, currency, methods, single_limit_minor, created_at) values (?, ?, 'Second', 'NZD', 'alipay,wechat', null, ?)`).run(
        second,
        merchant.organisation_id,
        now,
      );
      db.prepare(`insert into wallet_users (wallet_id, user_id) values (?, ?)`).run(second, merchant.user_id);
      // Computed in SQL from a recursive counter, like PostgreSQL's generate_series below: no rows cross from JavaScript.
      db.prepare(
        `with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < @count)
         insert into orders (${COLUMNS.join(',')})
         select ${valuesSql('i', "printf('97%020d', i)", "'bp-' || i", "'bench-portal-nonce-' || i", '@user', '@wallet', '@second', '@organisation', '@now', '@step')} from n`,
      ).run({ count, user: merchant.user_id, wallet: merchant.wallet_id, second, organisation: merchant.organisation_id, now, step });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`insert into wallets (id, organisation_id, name, currency, methods, single_limit_minor, created_at) values ($1, $2, 'Second', 'NZD', 'alipay,wechat', null, $3)`, [
      second,
      merchant.organisation_id,
      now,
    ]);
    await client.query(`insert into wallet_users (wallet_id, user_id) values ($1, $2)`, [second, merchant.user_id]);
    await client.query(
      `insert into orders (${COLUMNS.join(',')})
       select ${valuesSql('i', "'97' || lpad(i::text, 20, '0')", "'bp-' || i", "'bench-portal-nonce-' || i", '$2', '$3', '$4', '$5::bigint', '$6::bigint', '$7::bigint')}
       from generate_series(0::bigint, $1::bigint - 1) as i`,
      [count, merchant.user_id, merchant.wallet_id, second, merchant.organisation_id, now, step],
    );
    await client.query('analyze orders');
  } finally {
    await client.end();
  }
}

const COLUMNS = [
  'order_id', 'user_id', 'wallet_id', 'organisation_id', 'merchant_reference', 'amount_minor', 'currency',
  'payment_method', 'product_name', 'return_url', 'callback_url', 'backpage_url', 'ip', 'host_type', 'present_qr',
  'request_hash', 'status', 'nonce', 'channel', 'created_at', 'expires_at', 'paid_at', 'updated_at',
] as const;

/** The SELECT list of order `i` (same SQL on both databases but for the parameters' spelling). */
function valuesSql(i: string, orderId: string, reference: string, nonce: string, user: string, wallet: string, second: string, organisation: string, now: string, step: string): string {
  const created = `(${now} - ${i} * ${step})`;
  // Pending only within its payment window (the last two hours): an older one would have
  // expired as failed, and the gateway's expiry sweep would spend the run failing them.
  const status = `case when ${i} % 20 < 14 then 'paid' when ${i} % 20 < 16 then 'failed' when ${i} % 20 = 16 then 'canceled' when ${i} % 20 = 17 then 'rejected' when ${i} * ${step} < 7000000 then 'pending' else 'failed' end`;
  const method = `case when ${i} % 10 < 5 then 'alipay' when ${i} % 10 < 8 then 'wechat' when ${i} % 10 = 8 then 'onlineBank' else 'payid' end`;
  return [
    orderId,
    user,
    `case when ${i} % 5 = 4 then ${second} else ${wallet} end`,
    organisation,
    reference,
    `100 + (${i} * 7919) % 100000`,
    `'NZD'`,
    method,
    `'Pinot Noir, Otago'`,
    `'https://merchant.example/return'`,
    `'https://merchant.example/callback'`,
    'null',
    `'122.122.122.1'`,
    `'0'`,
    `'0'`,
    `'seeded'`,
    status,
    nonce,
    `'sandbox'`,
    created,
    `${created} + 7200000`,
    `case when ${i} % 20 < 14 then ${created} + 60000 else null end`,
    `${created} + 60000`,
  ].join(', ');
}
