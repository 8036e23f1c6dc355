import type { Insertable } from 'kysely';
import type { LedgerEntryTable } from './schema.js';
import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';
import { sql } from 'kysely';
import { lockForUpdate } from './dialect/locking.js';

/**
 * The append-only ledger: every movement of money is a row, never updated or deleted.
 * A wallet's balance is the sum of its rows.
 */
const insertEntry = new PreparedQuery((db, slot) =>
  db.insertInto('ledger_entries').values({
    wallet_id: slot(0),
    order_id: slot(1),
    refund_id: slot(2),
    kind: slot(3),
    amount_minor: slot(4),
    currency: slot(5),
    created_at: slot(6),
  }),
);

export async function appendLedgerEntry(db: Db, e: Omit<Insertable<LedgerEntryTable>, 'id'>): Promise<void> {
  await insertEntry.execute(db, [e.wallet_id, e.order_id, e.refund_id ?? null, e.kind, e.amount_minor, e.currency, e.created_at]);
}

export async function walletBalance(db: Db, walletId: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_minor'), sql<number>`0`).as('balance'))
    .where('wallet_id', '=', walletId)
    .executeTakeFirstOrThrow();
  return Number(row.balance);
}

export async function listLedgerEntries(db: Db, walletId: string) {
  return db.selectFrom('ledger_entries').selectAll().where('wallet_id', '=', walletId).orderBy('id').execute();
}

/**
 * Serialises money movements of one wallet for the rest of the transaction: a row lock on
 * PostgreSQL; on SQLite the transaction already holds the database's single write lock.
 */
export async function lockWallet(db: Db, walletId: string): Promise<void> {
  await lockForUpdate(db, db.selectFrom('wallets').select('id').where('id', '=', walletId)).execute();
}

/** A wallet's ledger summed per kind of entry (payment, refund, refund_failed, reversal), in minor units. */
export async function walletTotalsByKind(db: Db, walletId: string): Promise<Array<{ kind: string; total: number; entries: number }>> {
  const rows = await db
    .selectFrom('ledger_entries')
    .select((eb) => ['kind', eb.fn.sum<number>('amount_minor').as('total'), eb.fn.countAll<number>().as('entries')])
    .where('wallet_id', '=', walletId)
    .groupBy('kind')
    .orderBy('kind')
    .execute();
  return rows.map((r) => ({ kind: r.kind, total: Number(r.total), entries: Number(r.entries) }));
}

export async function listLedgerEntriesOfOrder(db: Db, orderId: string) {
  return db.selectFrom('ledger_entries').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}
