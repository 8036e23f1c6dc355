import type { Insertable } from 'kysely';
import type { LedgerEntryTable } from './schema.js';
import type { Db } from './store.js';
import type { DialectKind } from './dialect/index.js';
import { sql } from 'kysely';
import { lockForUpdate } from './dialect/locking.js';

/**
 * The append-only ledger: every movement of money is a row, never updated or deleted.
 * A wallet's balance is the sum of its rows.
 */
export async function appendLedgerEntry(db: Db, entry: Omit<Insertable<LedgerEntryTable>, 'id'>): Promise<void> {
  await db.insertInto('ledger_entries').values(entry).execute();
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
export async function lockWallet(db: Db, kind: DialectKind, walletId: string): Promise<void> {
  await lockForUpdate(kind, db.selectFrom('wallets').select('id').where('id', '=', walletId)).execute();
}
