import { findOrderById, findOrderByReference, findOrdersByReference, type OrderRecord } from '../store/orders.js';
import type { Db } from '../store/store.js';

/** An operator named no order, or more than one (the message says which and what to add). */
export class OrderLookupError extends Error {}

/**
 * The order an operator names by its order_id or its merchant_reference. A reference is
 * unique per user only: when several users have it, `userId` says whose (and makes the
 * lookup use the (user_id, merchant_reference) index instead of reading every order).
 */
export async function findOrderByIdOrReference(db: Db, idOrReference: string, userId?: string): Promise<OrderRecord> {
  if (userId !== undefined) {
    const byReference = await findOrderByReference(db, userId, idOrReference);
    if (byReference) return byReference;
    const byId = await findOrderById(db, idOrReference);
    if (byId && byId.user_id === userId) return byId;
    throw new OrderLookupError(`${userId} has no order with order_id or merchant_reference ${JSON.stringify(idOrReference)}`);
  }
  const byId = await findOrderById(db, idOrReference);
  if (byId) return byId;
  const byReference = await findOrdersByReference(db, idOrReference, 10);
  if (byReference.length === 1) return byReference[0] as OrderRecord;
  if (byReference.length === 0) throw new OrderLookupError(`no order with order_id or merchant_reference ${JSON.stringify(idOrReference)}`);
  const users = byReference.map((o) => o.user_id).join(', ');
  throw new OrderLookupError(`merchant_reference ${JSON.stringify(idOrReference)} belongs to orders of several users (${users}): add --user USER_ID`);
}
