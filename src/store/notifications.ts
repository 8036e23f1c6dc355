import type { Selectable } from 'kysely';
import type { NotificationAttemptTable, NotificationTable } from './schema.js';
import type { Db } from './store.js';
import { lockSkippingLocked } from './dialect/locking.js';
import type { DialectKind } from './dialect/index.js';

export type NotificationRecord = Selectable<NotificationTable>;

export async function enqueueNotification(
  db: Db,
  row: { order_id: string; url: string; body: string },
  now: number,
): Promise<void> {
  await db
    .insertInto('notifications')
    .values({ ...row, status: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
    .execute();
}

/**
 * Claims up to `limit` due deliveries for `owner` until `leaseUntil`. A delivery whose
 * lease has expired (its instance died) is due again. On PostgreSQL the candidates are
 * locked with FOR UPDATE SKIP LOCKED, so concurrent claimers never take the same row.
 */
export async function claimDueNotifications(
  db: Db,
  kind: DialectKind,
  owner: string,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<NotificationRecord[]> {
  const due = lockSkippingLocked(
    kind,
    db
      .selectFrom('notifications')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(limit),
  );
  return db
    .updateTable('notifications')
    .set({ lease_owner: owner, lease_until: leaseUntil })
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

export type AttemptRecord = Omit<Selectable<NotificationAttemptTable>, 'id'>;

/**
 * Records one attempt and its consequence, in one transaction: delivered, rescheduled
 * for `nextAttemptAt`, or abandoned past the give-up horizon. Only the lease holder may
 * write, so a delivery taken over by another instance is not overwritten.
 */
export async function recordAttempt(
  db: Db,
  attempt: AttemptRecord,
  outcome: { delivered: true } | { delivered: false; nextAttemptAt: number; abandon: boolean },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const base = trx
      .updateTable('notifications')
      .where('id', '=', attempt.notification_id)
      .where('lease_owner', '=', attempt.owner)
      .where('status', '=', 'pending');
    const result = outcome.delivered
      ? await base
          .set((eb) => ({
            status: 'delivered',
            attempts: eb('attempts', '+', 1),
            delivered_at: attempt.attempted_at + attempt.duration_ms,
            lease_owner: null,
            lease_until: null,
          }))
          .executeTakeFirst()
      : await base
          .set((eb) => ({
            status: outcome.abandon ? 'abandoned' : 'pending',
            attempts: eb('attempts', '+', 1),
            next_attempt_at: outcome.nextAttemptAt,
            lease_owner: null,
            lease_until: null,
          }))
          .executeTakeFirst();
    await trx.insertInto('notification_attempts').values(attempt).execute();
    return Number(result.numUpdatedRows) === 1;
  });
}

/** Gives back every lease `owner` holds (graceful shutdown), so others can take them at once. */
export async function releaseLeases(db: Db, owner: string): Promise<number> {
  const result = await db
    .updateTable('notifications')
    .set({ lease_owner: null, lease_until: null })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** When the next pending delivery is due (epoch ms), or undefined when none is pending. */
export async function findNextDueAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.min('next_attempt_at').as('next'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.next == null ? undefined : Number(row.next);
}

export async function listNotificationsForOrder(db: Db, orderId: string): Promise<NotificationRecord[]> {
  return db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

export async function listAttempts(db: Db, notificationId: number) {
  return db
    .selectFrom('notification_attempts')
    .selectAll()
    .where('notification_id', '=', notificationId)
    .orderBy('id')
    .execute();
}

/** Makes a delivery due now again (an operator's "re-send"); re-opens it when it was delivered or abandoned. */
export async function resendNotification(db: Db, notificationId: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('notifications')
    .set({ status: 'pending', next_attempt_at: now, lease_owner: null, lease_until: null, delivered_at: null })
    .where('id', '=', notificationId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
