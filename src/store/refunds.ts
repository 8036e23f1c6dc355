import { sql, type Selectable } from 'kysely';
import type { RefundTable } from './schema.js';
import type { Db } from './store.js';

export type RefundRecord = Selectable<RefundTable>;

/** `merchant`: asked for through POST /refund; `reversal`: a late payment for a cancelled order, given back. */
export type RefundKind = 'merchant' | 'reversal';
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export async function insertRefund(db: Db, refund: RefundRecord): Promise<void> {
  await db.insertInto('refunds').values(refund).execute();
}

export async function findRefund(db: Db, refundId: string): Promise<RefundRecord | undefined> {
  return db.selectFrom('refunds').selectAll().where('refund_id', '=', refundId).executeTakeFirst();
}

export async function listRefundsForOrder(db: Db, orderId: string): Promise<RefundRecord[]> {
  return db.selectFrom('refunds').selectAll().where('order_id', '=', orderId).orderBy('created_at').orderBy('refund_id').execute();
}

/** Refunds that may still give money back, or have: waiting for the provider, accepted by it, or done. */
export const OPEN_REFUND_STATUSES = ['pending', 'processing', 'succeeded'] as const;

/** What the order has given back or is giving back: refunds that are pending, processing or succeeded. */
export async function sumOpenRefunds(db: Db, orderId: string): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_minor'), sql<number>`0`).as('total'))
    .where('order_id', '=', orderId)
    .where('status', 'in', OPEN_REFUND_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/** How many refunds of the order have not failed (providers limit how many one payment may have). */
export async function countRefunds(db: Db, orderId: string): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('order_id', '=', orderId)
    .where('status', 'in', OPEN_REFUND_STATUSES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A merchant refund of the same order, amount and reference since `since` that did not fail. */
export async function hasRecentIdenticalRefund(
  db: Db,
  refund: { orderId: string; amountMinor: number; reference: string },
  since: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('refunds')
    .select('refund_id')
    .where('order_id', '=', refund.orderId)
    .where('kind', '=', 'merchant')
    .where('amount_minor', '=', refund.amountMinor)
    .where('reference', '=', refund.reference)
    .where('status', 'in', OPEN_REFUND_STATUSES)
    .where('created_at', '>=', since)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Moves a refund still in flight (pending, or processing at the provider) on: to
 * `processing` (the provider accepted it; only from pending), or to its final status.
 * Returns false when it had already moved, so that of two answers about the same refund
 * exactly one takes effect.
 */
export async function moveOpenRefund(
  db: Db,
  refundId: string,
  outcome: { status: 'processing' | 'succeeded'; channelRefundId: string | null } | { status: 'failed'; failure: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('refunds')
    .set(
      outcome.status === 'failed'
        ? { status: 'failed', failure: outcome.failure.slice(0, 500), updated_at: now }
        : { status: outcome.status, ...(outcome.channelRefundId ? { channel_refund_id: outcome.channelRefundId } : {}), updated_at: now },
    )
    .where('refund_id', '=', refundId)
    .where('status', 'in', outcome.status === 'processing' ? ['pending'] : ['pending', 'processing'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Refunds in flight since before `before`: pending ones (their provider call was lost in a
 * crash or had no answer) and processing ones (the provider has not said how they ended).
 */
export async function listStaleOpenRefunds(db: Db, before: number, limit: number): Promise<RefundRecord[]> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('status', 'in', ['pending', 'processing'])
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}

/**
 * Takes a stale pending refund for a retry: only one of several instances that saw it
 * with the same `updated_at` wins (the row's `updated_at` moves to `now`).
 */
export async function claimStaleRefund(db: Db, refundId: string, seenUpdatedAt: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('refunds')
    .set({ updated_at: now })
    .where('refund_id', '=', refundId)
    .where('status', 'in', ['pending', 'processing'])
    .where('updated_at', '=', seenUpdatedAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
