/**
 * The ceiling's SQLite store (issue #21's bare server): WAL with `synchronous=FULL`, each
 * create one INSERT into the open transaction, and the transaction committed on
 * `setImmediate`, so the creates of one event-loop turn share one COMMIT and its fsync
 * (on the event loop, as SQLite does it). Nobody is answered before that COMMIT returns.
 * Reads go to a second connection, which sees only what is committed.
 */
import { createHash } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { CEILING_COLUMNS, type CeilingMerchant, type CeilingOrder, type CeilingStore, type FoundOrder } from './handler.js';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Creates the table afresh (with `seed` query orders `bq-0`… of the merchant) and opens the store. */
export function openSqliteStore(path: string, merchant: CeilingMerchant, seed: number): CeilingStore & { close(): void } {
  const db = new SqliteDatabase(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    drop table if exists ceiling_orders;
    create table ceiling_orders (
      order_id text not null, user_id text not null, wallet_id text not null, merchant_reference text not null,
      amount_minor integer not null, currency text not null, payment_method text not null, product_name text not null,
      return_url text not null, callback_url text not null, ip text not null, nonce text not null,
      status text not null, created_at integer not null
    );
    create unique index ceiling_orders_reference on ceiling_orders (user_id, merchant_reference);
  `);
  const insert = db.prepare(`insert into ceiling_orders (${CEILING_COLUMNS.join(', ')}) values (${CEILING_COLUMNS.map(() => '?').join(', ')})`);
  const values = (order: CeilingOrder) => CEILING_COLUMNS.map((column) => order[column]);
  db.transaction(() => {
    for (let i = 0; i < seed; i++) insert.run(values(seededOrder(merchant, i)));
  })();

  const reader = new SqliteDatabase(path);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');
  const select = reader.prepare(
    'select order_id, merchant_reference, currency, amount_minor, payment_method, status from ceiling_orders where user_id = ? and merchant_reference = ?',
  );
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  let open = false;
  let waiters: Waiter[] = [];

  const flush = () => {
    const committing = waiters;
    waiters = [];
    open = false;
    try {
      commit.run();
    } catch (error) {
      if (db.inTransaction) db.exec('rollback');
      for (const w of committing) w.reject(error);
      return;
    }
    for (const w of committing) w.resolve();
  };

  return {
    insert(order) {
      if (!open) {
        begin.run();
        open = true;
      }
      let inserted = true;
      try {
        insert.run(values(order));
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') return Promise.reject(error);
        inserted = false;
      }
      return new Promise<boolean>((resolve, reject) => {
        waiters.push({ resolve: () => resolve(inserted), reject });
        if (waiters.length === 1) setImmediate(flush);
      });
    },
    find(userId, merchantReference) {
      return Promise.resolve(select.get(userId, merchantReference) as FoundOrder | undefined);
    },
    close() {
      if (open) flush();
      reader.close();
      db.close();
    },
  };
}

/** Query order i: the same reference the bench's query scenario asks the gateway for. */
export function seededOrder(merchant: CeilingMerchant, i: number): CeilingOrder {
  return {
    order_id: `98${String(i).padStart(17, '0')}`,
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    merchant_reference: `bq-${i}`,
    amount_minor: 12000,
    currency: 'NZD',
    payment_method: 'alipay',
    product_name: 'Pinot Noir, Otago',
    return_url: 'https://merchant.example/return',
    callback_url: 'https://merchant.example/callback',
    ip: '122.122.122.1',
    nonce: createHash('sha256').update(`ceiling-${i}`).digest('hex'),
    status: 'pending',
    created_at: Date.now(),
  };
}
