import { listNotificationsForOrder, resendNotification } from '../store/notifications.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';

/**
 * Makes every callback of an order due again now (also a delivered or given-up one), and
 * records who asked, in one transaction: `latipay callbacks resend` and the portal's Resend
 * callback. Answers how many there were (0: the order has none, and nothing is recorded).
 * A delivery worker picks them up at its next poll, or at once when woken.
 */
export async function resendCallbacks(db: Db, orderId: string, by: Actor, now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const notifications = await listNotificationsForOrder(trx, orderId);
    if (notifications.length === 0) return 0;
    for (const n of notifications) await resendNotification(trx, Number(n.id), now);
    await recordAudit(trx, by, 'callbacks.resend', orderId, { callbacks: notifications.length }, now);
    return notifications.length;
  });
}
