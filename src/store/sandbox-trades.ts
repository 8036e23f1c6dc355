import type { Selectable } from 'kysely';
import type { SandboxTradeTable } from './schema.js';
import type { Db } from './store.js';

export type SandboxTradeRecord = Selectable<SandboxTradeTable>;

export async function insertSandboxTrade(db: Db, trade: SandboxTradeRecord): Promise<void> {
  await db.insertInto('sandbox_trades').values(trade).onConflict((oc) => oc.column('order_id').doNothing()).execute();
}

export async function findSandboxTrade(db: Db, tradeNo: string): Promise<SandboxTradeRecord | undefined> {
  return db.selectFrom('sandbox_trades').selectAll().where('trade_no', '=', tradeNo).executeTakeFirst();
}

export async function findSandboxTradeByOrder(db: Db, orderId: string): Promise<SandboxTradeRecord | undefined> {
  return db.selectFrom('sandbox_trades').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export async function setSandboxTradeStatus(db: Db, tradeNo: string, status: string, now: number): Promise<void> {
  await db.updateTable('sandbox_trades').set({ status, updated_at: now }).where('trade_no', '=', tradeNo).execute();
}

/** Closes the order's trade if it is still waiting for the buyer; a paid or closed trade stays as it is. */
export async function closeOpenSandboxTrade(db: Db, orderId: string, now: number): Promise<void> {
  await db
    .updateTable('sandbox_trades')
    .set({ status: 'TRADE_CLOSED', updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'WAIT_BUYER_PAY')
    .execute();
}
