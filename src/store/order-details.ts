import type { Db } from './store.js';

/** Keeps an order's console fields (JSON; see src/gateway/order-details.ts). */
export async function insertOrderDetails(db: Db, orderId: string, details: string): Promise<void> {
  await db.insertInto('order_details').values({ order_id: orderId, details }).execute();
}

export async function findOrderDetails(db: Db, orderId: string): Promise<string | undefined> {
  return (await db.selectFrom('order_details').select('details').where('order_id', '=', orderId).executeTakeFirst())?.details;
}
