import type { Selectable } from 'kysely';
import type { OrderTable } from './schema.js';
import type { Db } from './store.js';

export type OrderRecord = Selectable<OrderTable>;

export async function insertOrder(db: Db, order: OrderRecord): Promise<void> {
  await db.insertInto('orders').values(order).execute();
}

export async function findOrderByReference(db: Db, userId: string, merchantReference: string): Promise<OrderRecord | undefined> {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('user_id', '=', userId)
    .where('merchant_reference', '=', merchantReference)
    .executeTakeFirst();
}

export async function findOrderByNonce(db: Db, nonce: string): Promise<OrderRecord | undefined> {
  return db.selectFrom('orders').selectAll().where('nonce', '=', nonce).executeTakeFirst();
}

export async function findOrderById(db: Db, orderId: string): Promise<OrderRecord | undefined> {
  return db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export async function findOrderStatus(db: Db, orderId: string): Promise<string | undefined> {
  const row = await db.selectFrom('orders').select('status').where('order_id', '=', orderId).executeTakeFirst();
  return row?.status;
}

/** Gives a still-pending order a fresh nonce (a customer retrying checkout). */
export async function renewOrderNonce(db: Db, orderId: string, nonce: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('orders')
    .set({ nonce, updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setOrderChannelTrade(db: Db, orderId: string, tradeId: string, qrUrl: string, now: number): Promise<void> {
  await db
    .updateTable('orders')
    .set({ channel_trade_id: tradeId, channel_qr_url: qrUrl, updated_at: now })
    .where('order_id', '=', orderId)
    .execute();
}

/**
 * Moves a pending order to a final status. Returns false when it was no longer pending,
 * so that of two concurrent settlements exactly one wins.
 */
export async function finishPendingOrder(db: Db, orderId: string, status: string, paidAt: number | null, now: number): Promise<boolean> {
  const result = await db
    .updateTable('orders')
    .set({ status, paid_at: paidAt, updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
